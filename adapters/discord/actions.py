"""The platform protocol on Discord: what cogs may ask of a server, with clear refusals.

Moderation actions check the bot's permission and the role hierarchy first, from the
gateway cache, so a moderator reads "their highest role is not below mine" instead of a
bare 403; a refusal Discord still returns is translated the same way (`errors.translated`).
Messages are addressed by id through partial objects, so acting on an old, uncached flag or
tracker message costs exactly one request.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import timedelta
from functools import lru_cache, partial
from typing import Any

import discord
from discord.message import convert_emoji_reaction

from adapters.discord.audit import audit_reason
from adapters.discord.convert import channel_ref, member_of, posted_message
from adapters.discord.emoji import discord_emoji
from adapters.discord.errors import ROLE_SETTINGS, THREAD_ALREADY_CREATED, translated
from adapters.discord.links import channel_id_in, permalink, split_message_link, user_id_in
from adapters.discord.mentions import CommandMentions
from adapters.discord.render import (
    DiscordMessage,
    fit,
    render_edit,
    render_message,
    with_role_ids,
)
from bot.errors import MissingPermission, NotFound, PlatformUnavailable
from bot.i18n import core_error
from bot.model import ChannelRef, Community, Member, MessageRef, PostedMessage, UserRef
from bot.outgoing import OutgoingMessage
from bot.platform import Capability

# Discord caps a timeout at 28 days.
MAX_TIMEOUT = timedelta(days=28)
# Thread names are at most 100 characters.
THREAD_NAME_LIMIT = 100
# A ticket thread stays open a week without activity before Discord hides it; the
# ambassador's follow-ups revive it, and resolving archives it for good.
THREAD_AUTO_ARCHIVE_MINUTES = 10080
# A timeout found in place after a crash counts as the one being retried if it ends within
# this of the intended end (the retry computes the remaining time a moment later).
SAME_END = timedelta(minutes=1)
# Discord pauses invites through incident actions for at most this long at a time.
INVITE_PAUSE = timedelta(hours=24)
# Discord accepts nonces of at most 25 characters.
NONCE_LENGTH = 25
# A ban keeps the member's messages: the flag and the audit log refer to them, and
# moderators can still delete what needs to go.
BAN_DELETES_MESSAGES_SECONDS = 0


class DiscordActions:
    """Platform actions against a connected discord.py client."""

    name = "discord"
    # Discord offers every action the core knows, given the permissions of the invite.
    capabilities = frozenset(Capability)
    client: discord.Client
    # Command references in the bot's texts become mentions once the ids are known.
    _mentions: CommandMentions

    async def send(
        self,
        channel: ChannelRef,
        message: OutgoingMessage,
        *,
        allow_pings: bool = True,
        nonce: str | None = None,
        recovering: bool = False,
    ) -> MessageRef:
        target = self._messageable(channel)
        message = with_role_ids(message, partial(self._role_id, channel.community))
        message = self._mentions.apply(channel.community.id, message)
        with translated(f"post in {_where(channel)}", "Send Messages"):
            first = await _send_parts(
                target, render_message(message, allow_pings=allow_pings), nonce
            )
        return MessageRef(channel, str(first.id))

    async def edit(self, message: MessageRef, new: OutgoingMessage) -> None:
        # Discord never notifies anyone about an edit, so an edit carries no ping line.
        rendered = render_edit(self._mentions.apply(message.channel.community.id, new))
        with translated("edit that message"):
            await self._partial(message).edit(**rendered.edit_kwargs())

    async def delete(self, message: MessageRef) -> None:
        with translated(f"delete that message in {_where(message.channel)}", "Manage Messages"):
            await self._partial(message).delete()

    async def add_reaction(self, message: MessageRef, emoji: str) -> None:
        """Straight to discord.py's HTTP client: a partial message (and the lookup of its
        channel) would be built only to hand on the same two ids, once per emoji of a
        flag's six."""
        spelled = _spelled(emoji)
        with translated(f"react with {spelled} in {_where(message.channel)}", "Add Reactions"):
            await self.client.http.add_reaction(
                int(message.channel.id), int(message.id), convert_emoji_reaction(spelled)
            )

    async def remove_reaction(self, message: MessageRef, emoji: str, user: UserRef) -> None:
        with translated(f"remove a reaction in {_where(message.channel)}", "Manage Messages"):
            await self._partial(message).remove_reaction(
                discord_emoji(emoji), discord.Object(int(user.id))
            )

    async def open_thread(self, message: MessageRef, name: str) -> ChannelRef:
        """Open the thread under a message, or return the one it already has: an attempt
        cut off by a crash may have opened it, and Discord allows one thread per message."""
        with translated(f"open a thread in {_where(message.channel)}", "Create Public Threads"):
            try:
                thread = await self._partial(message).create_thread(
                    name=fit(name, THREAD_NAME_LIMIT),
                    auto_archive_duration=THREAD_AUTO_ARCHIVE_MINUTES,  # type: ignore[arg-type]
                )
            except discord.HTTPException as error:
                if error.code != THREAD_ALREADY_CREATED:
                    raise
                # A message's thread has the message's id on Discord.
                thread = await self._thread(ChannelRef(message.community, message.id))
        return ChannelRef(message.community, str(thread.id), thread.name, message.channel.id)

    async def archive_thread(self, thread: ChannelRef, *, lock: bool) -> None:
        verb = "archive and lock" if lock else "archive"
        with translated(f"{verb} the thread {_where(thread)}", "Manage Threads"):
            channel = await self._thread(thread)
            await channel.edit(archived=True, locked=lock)

    async def unarchive_thread(self, thread: ChannelRef) -> None:
        with translated(f"unarchive the thread {_where(thread)}", "Manage Threads"):
            channel = await self._thread(thread)
            await channel.edit(archived=False, locked=False)

    async def rename_thread(self, thread: ChannelRef, name: str) -> None:
        """PATCH the thread's name, unless it has that name already (a retry; Discord
        allows a channel two renames in ten minutes). A thread Discord archived after a
        quiet week takes a new name only when unarchived with it, so it is: it belongs to
        an active ticket. A thread archived and locked is a closed ticket's, closed before a
        rename held back (see `bot.effects.RenameThread`) came: moot, and left as it is."""
        fitted = fit(name, THREAD_NAME_LIMIT)
        with translated(f"rename the thread {_where(thread)}", "Manage Threads"):
            channel = await self._thread(thread)
            if channel.name == fitted or (channel.archived and channel.locked):
                return
            if channel.archived and not channel.locked:
                await channel.edit(name=fitted, archived=False)
            else:
                await channel.edit(name=fitted)

    async def send_direct(
        self,
        user: UserRef,
        message: OutgoingMessage,
        *,
        nonce: str | None = None,
        recovering: bool = False,
    ) -> MessageRef:
        with translated("send them a direct message"):
            target = self.client.get_user(int(user.id)) or await self.client.fetch_user(
                int(user.id)
            )
            message = self._mentions.apply(user.community.id, message)
            first = await _send_parts(target, render_message(message), nonce)
        return MessageRef(ChannelRef(user.community, str(first.channel.id)), str(first.id))

    async def timeout(
        self, user: UserRef, duration: timedelta, reason: str, *, recovering: bool = False
    ) -> None:
        if duration > MAX_TIMEOUT:
            raise core_error("core.platform.timeout_too_long")
        member = await self._member(user)
        verb, permission = "time out", "Timeout Members"
        self._check_rank(member, verb, permission, lambda p: p.moderate_members)
        if member.guild_permissions.administrator:
            raise MissingPermission(
                f"I can't time out {member.display_name}: Discord never times out "
                "members with the Administrator permission."
            )
        ends, wanted = member.timed_out_until, discord.utils.utcnow() + duration
        if recovering and ends is not None and ends >= wanted - SAME_END:
            return  # the attempt a crash cut off placed it
        with translated(f"time out {member.display_name}", permission):
            await member.timeout(duration, reason=audit_reason(reason))
        # The cached member learns of it only from the gateway's echo, a moment later: a
        # take-back right behind it (`lift_timeout`) must not find it "not timed out".
        member.timed_out_until = wanted

    async def kick(self, user: UserRef, reason: str, *, recovering: bool = False) -> None:
        member = await self._member(user)
        self._check_rank(member, "kick", "Kick Members", lambda p: p.kick_members)
        with translated(f"kick {member.display_name}", "Kick Members"):
            await member.kick(reason=audit_reason(reason))

    async def ban(self, user: UserRef, reason: str, *, recovering: bool = False) -> None:
        guild = self._guild(user.community)
        if recovering and await self._banned(guild, user):
            return
        member = await self._member_or_none(user)
        if member is not None:
            self._check_rank(member, "ban", "Ban Members", lambda p: p.ban_members)
        elif not guild.me.guild_permissions.ban_members:
            raise MissingPermission(_lacks("ban", "that user", "Ban Members"))
        who = member.display_name if member is not None else "that user"
        with translated(f"ban {who}", "Ban Members"):
            await guild.ban(
                discord.Object(int(user.id)),
                reason=audit_reason(reason),
                delete_message_seconds=BAN_DELETES_MESSAGES_SECONDS,
            )

    async def lift_timeout(
        self, user: UserRef, reason: str, *, ending_in: timedelta | None = None
    ) -> bool:
        member = await self._member(user)  # the cached member knows its timeout...
        ends, now = member.timed_out_until, discord.utils.utcnow()
        if ends is None or ends <= now:
            # ...unless another process placed it and the gateway's echo is still on its
            # way: "nothing to lift" is asked of Discord before it is believed.
            member = await self._member_from_discord(user)
            ends = member.timed_out_until
        if ends is None or ends <= now:
            return True  # nothing to lift: ended already, or an earlier attempt lifted it
        if ending_in is not None and abs(ends - (now + ending_in)) > SAME_END:
            return False  # not the caller's timeout (a moderator's since): left alone
        self._check_rank(
            member, "lift the timeout of", "Timeout Members", lambda p: p.moderate_members
        )
        with translated(f"lift the timeout of {member.display_name}", "Timeout Members"):
            await member.timeout(None, reason=audit_reason(reason))
        member.timed_out_until = None  # as in `timeout`: before the gateway's echo
        return True

    async def unban(self, user: UserRef, reason: str) -> None:
        guild = self._guild(user.community)
        if not await self._banned(guild, user):
            return  # not banned (any more): an earlier attempt lifted it
        with translated("unban that user", "Ban Members"):
            await guild.unban(discord.Object(int(user.id)), reason=audit_reason(reason))

    async def _banned(self, guild: discord.Guild, user: UserRef) -> bool:
        """Whether the ban is already in place (an attempt cut off by a crash placed it)."""
        with translated("look up the ban", "Ban Members"):
            try:
                await guild.fetch_ban(discord.Object(int(user.id)))
            except discord.NotFound:
                return False
        return True

    async def grant_role(self, user: UserRef, role_id: str, reason: str) -> None:
        guild = self._guild(user.community)
        role = _find_role(guild, role_id)
        if role is None:
            raise NotFound(f"There is no role “{role_id}” on this server.")
        me = guild.me
        if not me.guild_permissions.manage_roles:
            raise MissingPermission(_lacks("give", f"the role “{role.name}”", "Manage Roles"))
        if role.managed or role >= me.top_role:
            raise MissingPermission(
                f"I can't give the role “{role.name}”: it is not below my highest role "
                f"“{me.top_role.name}”. An admin can drag my role above it in {ROLE_SETTINGS}."
            )
        member = await self._member(user)
        with translated(f"give {member.display_name} the role “{role.name}”", "Manage Roles"):
            await member.add_roles(role, reason=audit_reason(reason))

    async def slow_mode(self, channel: ChannelRef) -> int:
        found = await self._text_channel(channel)
        return found.slowmode_delay

    async def set_slow_mode(self, channel: ChannelRef, seconds: int, reason: str) -> None:
        """`rate_limit_per_user` on the channel (0-21600 s); needs Manage Channels there."""
        found = await self._text_channel(channel)
        if found.slowmode_delay == seconds:
            return  # set already (an earlier attempt, or a moderator)
        with translated(f"set slow mode in {_where(channel)}", "Manage Channels"):
            await found.edit(slowmode_delay=seconds, reason=audit_reason(reason))

    async def invites_paused(self, community: Community) -> bool:
        """Paused by incident actions (until a time), or by the older guild feature."""
        return (await self._fresh_guild(community)).invites_paused()

    async def pause_invites(self, community: Community, paused: bool, reason: str) -> None:
        """Discord's incident actions (PUT /guilds/{id}/incident-actions), which pause
        invites for at most 24 hours: setting the older guild feature INVITES_DISABLED no
        longer takes effect (discord-api-docs#6503). Needs Manage Server. The state is read
        fresh (the cache learns of a change only with the next GUILD_UPDATE), so a pause
        already in place, an earlier attempt's or an admin's, is left as it is."""
        if not self._guild(community).me.guild_permissions.manage_guild:
            verb = "pause invites on" if paused else "resume invites on"
            raise MissingPermission(_lacks(verb, "this server", "Manage Server"))
        guild = await self._fresh_guild(community)
        if guild.invites_paused() == paused:
            return  # so already (an earlier attempt, or an admin)
        until = (discord.utils.utcnow() + INVITE_PAUSE).isoformat() if paused else None
        verb = "pause invites" if paused else "resume invites"
        with translated(verb, "Manage Server"):
            await self.client.http.edit_incident_actions(
                guild.id, payload={"invites_disabled_until": until}
            )

    async def _fresh_guild(self, community: Community) -> discord.Guild:
        with translated("look up the server"):
            return await self.client.fetch_guild(int(community.id), with_counts=False)

    async def permalink(self, message: MessageRef) -> str:
        return permalink(message)

    async def fetch_message(self, message: MessageRef) -> PostedMessage | None:
        cached = discord.utils.get(self.client.cached_messages, id=int(message.id))
        if cached is not None:
            return posted_message(cached, message.community)
        try:
            with translated(f"read messages in {_where(message.channel)}", "Read Message History"):
                found = await self._messageable(message.channel).fetch_message(int(message.id))
        except NotFound:
            return None
        return posted_message(found, message.community)

    async def fetch_member(self, user: UserRef) -> Member | None:
        member = await self._member_or_none(user)
        return None if member is None else member_of(member, user.community)

    async def find_channel(self, community: Community, name_or_id: str) -> ChannelRef | None:
        guild = self.client.get_guild(int(community.id))
        if guild is None or not name_or_id.strip():
            return None
        channel_id = channel_id_in(name_or_id)
        if channel_id is not None:
            found = guild.get_channel_or_thread(int(channel_id))
        else:
            wanted = name_or_id.strip().removeprefix("#").casefold()
            found = discord.utils.find(
                lambda c: c.name.casefold() == wanted, [*guild.text_channels, *guild.threads]
            )
        return None if found is None else channel_ref(found, community)

    async def member_count(self, community: Community) -> int:
        return self._guild(community).member_count or 0

    async def community_name(self, community: Community) -> str:
        return self._guild(community).name

    def parse_message_link(self, community: Community, link: str) -> MessageRef | None:
        parts = split_message_link(link)
        if parts is None or parts[0] != community.id:
            return None
        _, channel_id, message_id = parts
        channel = self.client.get_channel(int(channel_id))
        ref = (
            channel_ref(channel, community)
            if channel is not None
            else ChannelRef(community, channel_id)
        )
        return MessageRef(ref, message_id)

    def parse_user(self, community: Community, text: str) -> UserRef | None:
        user_id = user_id_in(text)
        if user_id is not None:
            return UserRef(community, user_id)
        guild = self.client.get_guild(int(community.id))
        member = guild.get_member_named(text.strip().removeprefix("@")) if guild else None
        return None if member is None else UserRef(community, str(member.id))

    def parse_channel(self, community: Community, text: str) -> ChannelRef | None:
        guild = self.client.get_guild(int(community.id))
        if guild is None:
            return None
        channel_id = channel_id_in(text)
        if channel_id is not None:
            found = guild.get_channel_or_thread(int(channel_id))
            return None if found is None else channel_ref(found, community)
        wanted = text.strip().removeprefix("#").casefold()
        found = discord.utils.find(lambda c: c.name.casefold() == wanted, guild.text_channels)
        return None if found is None else channel_ref(found, community)

    def _role_id(self, community: Community, name: str) -> str | None:
        """The id of the server's role called `name` (any case), from the cache."""
        guild = self.client.get_guild(int(community.id))
        wanted = name.strip().removeprefix("@").casefold()
        found = (
            next((r for r in guild.roles if r.name.casefold() == wanted), None) if guild else None
        )
        return None if found is None else str(found.id)

    def _guild(self, community: Community) -> discord.Guild:
        guild = self.client.get_guild(int(community.id))
        if guild is None:
            if not self.client.is_ready():
                # Not connected yet (Discord could not be reached at start): the empty cache
                # says nothing about the server, and the outbox gives up on `NotFound`.
                raise PlatformUnavailable("not connected to Discord yet")
            raise NotFound(f"I am not on the Discord server {community.id}.")
        return guild

    def _messageable(self, channel: ChannelRef) -> Any:
        found = self.client.get_channel(int(channel.id))
        if isinstance(found, discord.abc.Messageable):
            return found
        return self.client.get_partial_messageable(
            int(channel.id), guild_id=int(channel.community.id)
        )

    def _partial(self, message: MessageRef) -> discord.PartialMessage:
        return self._messageable(message.channel).get_partial_message(int(message.id))

    async def _thread(self, thread: ChannelRef) -> discord.Thread:
        channel = self.client.get_channel(int(thread.id)) or await self.client.fetch_channel(
            int(thread.id)
        )
        if not isinstance(channel, discord.Thread):
            raise NotFound(f"{_where(thread)} is not a thread")
        return channel

    async def _text_channel(self, channel: ChannelRef) -> discord.TextChannel:
        found = self.client.get_channel(int(channel.id))
        if found is None:
            with translated(f"look up {_where(channel)}"):
                found = await self.client.fetch_channel(int(channel.id))
        if not isinstance(found, discord.TextChannel):
            raise NotFound(f"{_where(channel)} is not a text channel")
        return found

    async def _member(self, user: UserRef) -> discord.Member:
        member = await self._member_or_none(user)
        if member is None:
            raise NotFound("That member is no longer on the server.")
        return member

    async def _member_from_discord(self, user: UserRef) -> discord.Member:
        """The member as Discord has it now, not as the cache last heard."""
        try:
            with translated("look up that member"):
                return await self._guild(user.community).fetch_member(int(user.id))
        except NotFound:
            raise NotFound("That member is no longer on the server.") from None

    async def _member_or_none(self, user: UserRef) -> discord.Member | None:
        guild = self._guild(user.community)
        member = guild.get_member(int(user.id))
        if member is not None:
            return member
        try:
            with translated("look up that member"):
                return await guild.fetch_member(int(user.id))
        except NotFound:
            return None  # they left: an outage raises `PlatformUnavailable` instead

    def _check_rank(
        self,
        target: discord.Member,
        verb: str,
        permission: str,
        holds: Callable[[discord.Permissions], bool],
    ) -> None:
        """Refuse what Discord would refuse, in words a moderator can act on."""
        guild = target.guild
        me = guild.me
        who = target.display_name
        if not holds(me.guild_permissions):
            raise MissingPermission(_lacks(verb, who, permission))
        if target.id == me.id:
            raise MissingPermission(f"I can't {verb} myself.")
        if target.id == guild.owner_id:
            raise MissingPermission(f"I can't {verb} {who}: they own this server.")
        if target.top_role >= me.top_role:
            raise MissingPermission(
                f"I can't {verb} {who}: their highest role “{target.top_role.name}” is not "
                f"below my highest role “{me.top_role.name}”. An admin can drag my role above "
                f"theirs in {ROLE_SETTINGS}."
            )


def _lacks(verb: str, who: str, permission: str) -> str:
    return (
        f"I can't {verb} {who}: my role lacks the “{permission}” permission. An admin can "
        f"grant it in {ROLE_SETTINGS}."
    )


def _find_role(guild: discord.Guild, role_id: str) -> discord.Role | None:
    if role_id.isdigit():
        found = guild.get_role(int(role_id))
        if found is not None:
            return found
    wanted = role_id.casefold()
    return discord.utils.find(lambda r: r.name.casefold() == wanted, guild.roles)


# The few emojis the bot reacts with (the configured reactions), each spelled once.
_spelled = lru_cache(maxsize=256)(discord_emoji)


def _where(channel: ChannelRef) -> str:
    return f"#{channel.name}" if channel.name else "that channel"


async def _send_parts(
    target: discord.abc.Messageable, parts: list[DiscordMessage], key: str | None
) -> discord.Message:
    """Post the parts of one message in order; the first stands for the whole (it is what
    a later edit or reaction addresses). A retry after a crash re-posts nothing: each part
    has its own nonce."""
    sent = [
        await target.send(**part.send_kwargs(), **_nonce(key, index))
        for index, part in enumerate(parts)
    ]
    return sent[0]


def _nonce(key: str | None, part: int = 0) -> dict[str, str]:
    """Discord's message nonce for an outbox key (and part of a split message); discord.py
    sends it with ``enforce_nonce``, so Discord answers a repeated create (within a few
    minutes) with the message it already posted instead of posting again."""
    if key is None:
        return {}
    seed = key if part == 0 else f"{key}:{part}"
    return {"nonce": hashlib.sha256(seed.encode()).hexdigest()[:NONCE_LENGTH]}
