"""AutoMod's action executions (gateway ``AUTO_MODERATION_ACTION_EXECUTION``) as neutral
`FilterActed` events.

Discord sends one event per action of a rule (a block, its alert, a timeout) and names
the rule only by id; its name is read once per rule (needs Manage Server, like every
AutoMod read) and remembered, and without the permission the flag shows the rule's id.
The events need the AUTO_MODERATION_EXECUTION intent (not privileged).
"""

from __future__ import annotations

import logging
from typing import Protocol

import aiohttp
import discord

from adapters.discord.convert import channel_ref, community_of
from bot.events import Event, FilterActed, FilterAction
from bot.model import ChannelRef, Community, Member

log = logging.getLogger(__name__)

_ACTIONS = {
    discord.AutoModRuleActionType.block_message: FilterAction.BLOCK,
    discord.AutoModRuleActionType.send_alert_message: FilterAction.ALERT,
    discord.AutoModRuleActionType.timeout: FilterAction.TIMEOUT,
}


class AutoModHost(Protocol):
    client: discord.Client

    async def dispatch(self, event: Event) -> None: ...

    def serves(self, guild_id: int) -> bool: ...

    async def member_by_id(self, guild_id: int, user_id: int, community: Community) -> Member: ...


class AutoModEvents:
    def __init__(self, host: AutoModHost) -> None:
        self._host = host
        self._rule_names: dict[int, str] = {}

    async def on_automod_action(self, execution: discord.AutoModAction) -> None:
        host = self._host
        if not host.serves(execution.guild_id) or _is_me(host.client, execution.user_id):
            return
        community = community_of(execution.guild_id)
        member = await host.member_by_id(execution.guild_id, execution.user_id, community)
        channel = execution.channel
        if channel is not None:
            where = channel_ref(channel, community)
        else:
            where = ChannelRef(community, str(execution.channel_id or ""))
        await host.dispatch(
            FilterActed(
                member=member,
                channel=where,
                rule_id=str(execution.rule_id),
                rule_name=await self._rule_name(execution),
                action=_ACTIONS.get(execution.action.type, FilterAction.OTHER),
                content=execution.content,
                matched=execution.matched_content or "",
                keyword=execution.matched_keyword or "",
                message_id=_id(execution.message_id),
                alert_id=_id(execution.alert_system_message_id),
                at=discord.utils.utcnow(),
            )
        )

    async def _rule_name(self, execution: discord.AutoModAction) -> str:
        known = self._rule_names.get(execution.rule_id)
        if known is not None:
            return known
        try:
            rule = await execution.fetch_rule()
        except discord.Forbidden:
            log.info(
                "AutoMod rule %s: its name needs the Manage Server permission; showing its id",
                execution.rule_id,
            )
            return str(execution.rule_id)
        except (discord.HTTPException, aiohttp.ClientError, TimeoutError) as error:
            log.warning("could not read AutoMod rule %s: %s", execution.rule_id, error)
            return str(execution.rule_id)
        self._rule_names[execution.rule_id] = rule.name
        return rule.name


def _id(value: int | None) -> str | None:
    return None if value is None else str(value)


def _is_me(client: discord.Client, user_id: int) -> bool:
    return client.user is not None and client.user.id == user_id
