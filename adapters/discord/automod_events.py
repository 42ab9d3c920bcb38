"""AutoMod's action executions (gateway ``AUTO_MODERATION_ACTION_EXECUTION``) as neutral
`FilterActed` events.

Discord sends one event per action of a rule (a block, its alert, a timeout) and names
the rule only by id; its name is read once per rule (needs Manage Server, like every
AutoMod read) and remembered, and without the permission the flag shows the rule's id.
The events need the AUTO_MODERATION_EXECUTION intent (not privileged).

A replayed event is dropped here. After a dropped connection discord.py RESUMEs the
gateway session and Discord sends again what it counts as missed, and an event it sends
twice is, for a blocked message, identical to the same text sent twice: the payload has no
message id, no execution id and no time. What tells them apart is the frame's place in the
session: a replay keeps its session id and sequence number, a second attempt by the member
is a new event with a new sequence number. discord.py shows neither to listeners, so
`install` wraps its parser for this one event (as `report_uncached_member_updates` does
for another) and hands the pair to the listener's task in a context variable (a task
starts with the context it was created in). A RESUME happens only within the process
that holds the session, so the pairs already delivered are kept in memory, the newest
`REMEMBERED` of them; without a gateway (simcord feeds the parser directly) there is no
pair, and every event counts as new. Storage pairs a block with its alert and timeout
(`storage.automod`), so the same text really sent twice still makes two entries.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from contextvars import ContextVar
from typing import Any, Protocol

import aiohttp
import discord

from adapters.discord.convert import channel_ref, community_of
from bot.events import Event, FilterActed, FilterAction
from bot.model import ChannelRef, Community, Member

log = logging.getLogger(__name__)

# Deliveries remembered to recognise a replay: far more AutoMod actions than one gateway
# session misses while it is down (Discord keeps a resumable session for minutes).
REMEMBERED = 10_000
# The gateway session and sequence number of the frame whose listener runs in this task.
_DELIVERY: ContextVar[tuple[str, int] | None] = ContextVar("automod_delivery", default=None)
_EVENT = "AUTO_MODERATION_ACTION_EXECUTION"

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
        self._delivered: OrderedDict[tuple[str, int], None] = OrderedDict()

    def install(self, client: discord.Client) -> None:
        """Mark each AutoMod frame with its session and sequence number (once per client)."""
        parsers: dict[str, Any] = client._connection.parsers
        parse = parsers[_EVENT]
        if getattr(parse, "marks_delivery", False):
            return

        def parse_and_mark(data: dict[str, Any]) -> None:
            gateway = client._connection._get_websocket(int(data["guild_id"]))
            session = getattr(gateway, "session_id", None)
            token = _DELIVERY.set(None if session is None else (session, gateway.sequence))
            try:
                parse(data)  # dispatches the listener's task, which copies the context
            finally:
                _DELIVERY.reset(token)

        parse_and_mark.marks_delivery = True  # type: ignore[attr-defined]
        parsers[_EVENT] = parse_and_mark

    async def on_automod_action(self, execution: discord.AutoModAction) -> None:
        host = self._host
        if not host.serves(execution.guild_id) or _is_me(host.client, execution.user_id):
            return
        delivery = _DELIVERY.get()
        if delivery is not None and delivery in self._delivered:
            log.info(
                "AutoMod action of rule %s replayed by the gateway (sequence %s): already filed",
                execution.rule_id,
                delivery[1],
            )
            return
        if delivery is not None:
            self._remember(delivery)  # before the first await: a replay may arrive meanwhile
        try:
            await self._dispatch(execution)
        except BaseException:
            if delivery is not None:
                self._delivered.pop(delivery, None)  # not delivered: its replay is no copy
            raise

    def _remember(self, delivery: tuple[str, int]) -> None:
        self._delivered[delivery] = None
        while len(self._delivered) > REMEMBERED:
            self._delivered.popitem(last=False)

    async def _dispatch(self, execution: discord.AutoModAction) -> None:
        host = self._host
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
