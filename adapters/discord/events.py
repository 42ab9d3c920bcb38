"""Gateway events as neutral events: joins, messages, edits and reactions.

Raw edit and reaction events are used so that edits and reactions on old messages (flags
and ticket trackers posted days ago, long gone from the message cache) still count. The
bot's own messages and reactions are not echoed back to the cogs, and nothing here makes
a REST call on the message path.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

import discord

from adapters.discord.automod_events import AutoModEvents
from adapters.discord.client import UNCACHED_MEMBER_UPDATE, report_uncached_member_updates
from adapters.discord.convert import channel_ref, community_of, member_of, posted_message
from adapters.discord.edits import EditFilter
from bot.events import (
    Event,
    MemberJoined,
    MemberScreened,
    MessageEdited,
    MessagePosted,
    ReactionAdded,
    ReactionRemoved,
)
from bot.model import ChannelRef, Community, Member, MessageRef

# Message types that are a member talking (not "pinned a message", "joined", ...).
_CONVERSATION = (discord.MessageType.default, discord.MessageType.reply)


class EventHost(Protocol):
    client: discord.Client

    async def dispatch(self, event: Event) -> None: ...

    def serves(self, guild_id: int) -> bool: ...

    async def member_by_id(self, guild_id: int, user_id: int, community: Community) -> Member: ...


class EventBridge:
    """discord.py listeners (``on_…``) that forward neutral events to the dispatcher."""

    def __init__(self, host: EventHost) -> None:
        self._host = host
        self._edits = EditFilter()
        self._automod = AutoModEvents(host)

    LISTENERS = (
        "on_message",
        "on_raw_message_edit",
        "on_member_join",
        "on_member_update",
        f"on_{UNCACHED_MEMBER_UPDATE}",
        "on_raw_reaction_add",
        "on_raw_reaction_remove",
        "on_automod_action",
    )

    def install(self, client: discord.Client) -> None:
        """Register the listeners the way ``@client.event`` does."""
        for name in self.LISTENERS:
            setattr(client, name, getattr(self, name))
        report_uncached_member_updates(client)
        self._automod.install(client)

    async def on_message(self, message: discord.Message) -> None:
        if not self._relevant(message) or message.type not in _CONVERSATION:
            return
        assert message.guild is not None
        community = community_of(message.guild)
        await self._host.dispatch(MessagePosted(posted_message(message, community)))

    async def on_raw_message_edit(self, payload: discord.RawMessageUpdateEvent) -> None:
        message = payload.message
        if not self._relevant(message) or message.type not in _CONVERSATION:
            return
        if not self._edits.is_edit(payload):
            return  # a pin, a thread, an embed or a link preview: not an edit (edits.py)
        before = payload.cached_message.content if payload.cached_message else None
        assert message.guild is not None
        community = community_of(message.guild)
        await self._host.dispatch(MessageEdited(posted_message(message, community), before))

    async def on_member_join(self, member: discord.Member) -> None:
        """A join; a member who must pass Membership Screening first joins `pending`."""
        if not self._host.serves(member.guild.id):
            return
        community = community_of(member.guild)
        at = member.joined_at or discord.utils.utcnow()
        joined = MemberJoined(member_of(member, community), at, pending=member.pending)
        await self._host.dispatch(joined)

    async def on_member_update(self, before: discord.Member, after: discord.Member) -> None:
        """Passing Membership Screening: ``pending`` turns false (once; later updates of
        roles or nickname leave it false)."""
        if before.pending and not after.pending:
            await self._screened(after, certain=True)

    async def on_uncached_member_update(self, member: discord.Member) -> None:
        """An update of a member the cache did not know (after a restart): it may be the
        end of their screening; the welcome cog knows whether they joined pending."""
        if not member.pending:
            await self._screened(member, certain=False)

    async def _screened(self, member: discord.Member, *, certain: bool) -> None:
        if not self._host.serves(member.guild.id) or member.bot:
            return
        community = community_of(member.guild)
        at = discord.utils.utcnow()
        await self._host.dispatch(MemberScreened(member_of(member, community), at, certain))

    async def on_automod_action(self, execution: discord.AutoModAction) -> None:
        await self._automod.on_automod_action(execution)

    async def on_raw_reaction_add(self, payload: discord.RawReactionActionEvent) -> None:
        await self._reaction(payload, ReactionAdded)

    async def on_raw_reaction_remove(self, payload: discord.RawReactionActionEvent) -> None:
        await self._reaction(payload, ReactionRemoved)

    async def _reaction(
        self,
        payload: discord.RawReactionActionEvent,
        kind: Callable[[MessageRef, Member, str], Event],
    ) -> None:
        guild_id = payload.guild_id
        client = self._host.client
        if guild_id is None or not self._host.serves(guild_id) or _is_me(client, payload.user_id):
            return
        community = community_of(guild_id)
        if payload.member is not None:
            member = member_of(payload.member, community)
        else:
            # Removals carry no member; the cache usually knows them, else one lookup.
            member = await self._host.member_by_id(guild_id, payload.user_id, community)
        channel = client.get_channel(payload.channel_id)
        ref = MessageRef(_channel(channel, payload.channel_id, community), str(payload.message_id))
        await self._host.dispatch(kind(ref, member, str(payload.emoji)))

    def _relevant(self, message: discord.Message) -> bool:
        guild = message.guild
        return (
            guild is not None
            and self._host.serves(guild.id)
            and not _is_me(self._host.client, message.author.id)
        )


def _is_me(client: discord.Client, user_id: int) -> bool:
    return client.user is not None and client.user.id == user_id


def _channel(channel: Any, channel_id: int, community: Community) -> ChannelRef:
    if channel is None:
        return ChannelRef(community, str(channel_id))
    return channel_ref(channel, community)
