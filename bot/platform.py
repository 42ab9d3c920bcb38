"""The platform protocol: every action a cog may ask of Discord, Slack or the local adapter.

Platforms declare `capabilities`; a cog checks one before it offers an action, and an
adapter asked for something it cannot do raises `Unsupported`. Other failures are typed
too (`DirectMessagesClosed`, `MissingPermission`, `NotFound`) so cogs can tell members and
moderators what happened in plain words.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Protocol

from bot.inventory import CommunityFacts
from bot.model import ChannelRef, Community, Member, MessageRef, PostedMessage, UserRef
from bot.outgoing import OutgoingMessage


class Capability(StrEnum):
    EDIT = "edit messages"
    DELETE_OWN = "delete its own messages"
    DELETE_OTHERS = "delete other people's messages"
    REACT = "add reactions"
    REMOVE_REACTIONS = "remove other people's reactions"
    THREADS = "open threads"
    ARCHIVE_THREADS = "archive and lock threads"
    DIRECT_MESSAGES = "send direct messages"
    TIMEOUT = "time members out"
    KICK = "kick members"
    BAN = "ban members"
    ROLES = "grant roles"
    BUTTONS = "show buttons"
    FORMS = "show forms"
    MESSAGE_COMMANDS = "offer message actions"
    SLOW_MODE = "set slow mode"
    PAUSE_INVITES = "pause invites"


@dataclass(frozen=True, slots=True)
class ReactionUsers:
    """One emoji on a message and who reacted with it (never the bot itself), spelled as
    the platform's live reaction events spell it, so both paths name it alike."""

    emoji: str
    users: tuple[UserRef, ...]


class Platform(Protocol):
    """One connected platform; methods address the community through their references."""

    name: str
    capabilities: frozenset[Capability]

    # `nonce` is the outbox entry's idempotency key: a send retried with the same nonce
    # after a crash (`recovering`) returns the message already posted instead of posting
    # it again.
    async def send(
        self,
        channel: ChannelRef,
        message: OutgoingMessage,
        *,
        allow_pings: bool = True,
        nonce: str | None = None,
        recovering: bool = False,
    ) -> MessageRef: ...

    async def edit(self, message: MessageRef, new: OutgoingMessage) -> None: ...

    async def delete(self, message: MessageRef) -> None: ...

    async def add_reaction(self, message: MessageRef, emoji: str) -> None: ...

    async def remove_reaction(self, message: MessageRef, emoji: str, user: UserRef) -> None: ...

    async def open_thread(self, message: MessageRef, name: str) -> ChannelRef: ...

    async def archive_thread(self, thread: ChannelRef, *, lock: bool) -> None: ...

    # The way back from `archive_thread` (a reopened ticket's conversation goes on there).
    async def unarchive_thread(self, thread: ChannelRef) -> None: ...

    # Give a thread a new name (a ticket's edited title); the name it has already is no
    # change, so a retry after a crash is harmless. A platform whose threads have no name
    # (Slack's) has nothing to do.
    async def rename_thread(self, thread: ChannelRef, name: str) -> None: ...

    async def send_direct(
        self,
        user: UserRef,
        message: OutgoingMessage,
        *,
        nonce: str | None = None,
        recovering: bool = False,
    ) -> MessageRef: ...

    # `recovering`: a timeout already in place until (about) the same end is left alone.
    async def timeout(
        self, user: UserRef, duration: timedelta, reason: str, *, recovering: bool = False
    ) -> None: ...

    # `recovering`: an attempt cut off by a crash may already have removed the member; a
    # platform that cannot tell "already kicked" from "not allowed" takes nothing left to
    # remove as done then.
    async def kick(self, user: UserRef, reason: str, *, recovering: bool = False) -> None: ...

    # `recovering`: a ban already in place is not placed again (a retry after a crash).
    async def ban(self, user: UserRef, reason: str, *, recovering: bool = False) -> None: ...

    # Both leave alone a member who is not timed out / not banned: nothing to lift is done.
    # `ending_in`: lift only the timeout that ends about that long from now (the one the
    # caller placed, as `timeout` was told its duration); a different one (a moderator's
    # since) is left alone and False returned. True: the timeout is gone (or never was).
    async def lift_timeout(
        self, user: UserRef, reason: str, *, ending_in: timedelta | None = None
    ) -> bool: ...

    async def unban(self, user: UserRef, reason: str) -> None: ...

    async def grant_role(self, user: UserRef, role_id: str, reason: str) -> None: ...

    # Seconds a member must wait between two messages in the channel; 0 = no slow mode.
    # Setting the value the channel has already is done (a retry after a crash).
    async def slow_mode(self, channel: ChannelRef) -> int: ...

    async def set_slow_mode(self, channel: ChannelRef, seconds: int, reason: str) -> None: ...

    # Whether nobody can join through an invite right now (Discord's "pause invites").
    async def invites_paused(self, community: Community) -> bool: ...

    async def pause_invites(self, community: Community, paused: bool, reason: str) -> None: ...

    async def permalink(self, message: MessageRef) -> str: ...

    async def fetch_message(self, message: MessageRef) -> PostedMessage | None: ...

    # Everything on the message now, read when the bot (re)connects to catch up on what
    # moderators and members did while it was away; raises `NotFound` for a gone message.
    async def reactions(self, message: MessageRef) -> list[ReactionUsers]: ...

    async def fetch_member(self, user: UserRef) -> Member | None: ...

    async def find_channel(self, community: Community, name_or_id: str) -> ChannelRef | None: ...

    async def member_count(self, community: Community) -> int: ...

    async def community_name(self, community: Community) -> str: ...

    # Every community this platform serves, with its channels and roles and what the bot may
    # do in each: what the start-up check and `/config set` compare the configuration with.
    async def inspect_communities(self) -> list[CommunityFacts]: ...

    def parse_message_link(self, community: Community, link: str) -> MessageRef | None: ...

    def parse_user(self, community: Community, text: str) -> UserRef | None: ...

    def parse_channel(self, community: Community, text: str) -> ChannelRef | None: ...


class Platforms:
    """The connected platforms by name; cogs reach a platform through a community."""

    def __init__(self, platforms: Iterable[Platform] = ()) -> None:
        self._by_name: dict[str, Platform] = {}
        for platform in platforms:
            self.add(platform)

    def add(self, platform: Platform) -> None:
        self._by_name[platform.name] = platform

    def for_community(self, community: Community) -> Platform:
        return self._by_name[community.platform]

    def names(self) -> list[str]:
        return sorted(self._by_name)

    def __iter__(self) -> Iterator[Platform]:
        return iter(self._by_name.values())
