"""Platform side effects as values, so they can wait in the outbox and be carried out later.

Each effect names its `lane`: effects in one lane are carried out in the order they were
written (posts in one channel, changes to one message, actions on one member). `apply`
performs it on a platform; a retry after a crash passes `recovering`, and each effect
makes that retry safe in its own way: posts carry a nonce the platform de-duplicates on,
edits and thread changes re-apply a state, a timeout ends at the moment chosen when it
was decided, and a kick whose member is already gone is taken as done.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from bot.errors import NotFound, PlatformError, PlatformUnavailable
from bot.model import ChannelRef, Community, MessageRef, UserRef
from bot.outgoing import OutgoingMessage
from bot.platform import Platform


@dataclass(frozen=True, slots=True)
class Attempt:
    """How an effect is being carried out: its idempotency key, the clock, and whether an
    earlier attempt was cut off by a crash (so the platform may already have done it)."""

    key: str
    now: datetime
    recovering: bool


class Effect:
    """Base of effects; subclasses are frozen dataclasses listed in `EFFECTS`. Each names
    the field it acts on (`target`: a channel, message or user reference) and what kind of
    lane that is, which gives its community and its lane."""

    kind: ClassVar[str]
    target: ClassVar[str]
    lane_kind: ClassVar[str]

    @property
    def community(self) -> Community:
        return getattr(self, self.target).community  # type: ignore[no-any-return]

    @property
    def lane(self) -> str:
        return f"{self.lane_kind}:{getattr(self, self.target).id}"

    @property
    def calls(self) -> int:
        """Platform calls it makes; the outbox gives each its own time to answer."""
        return 1

    async def apply(self, platform: Platform, attempt: Attempt) -> Any:
        raise NotImplementedError


@dataclass(frozen=True, slots=True)
class Post(Effect):
    kind: ClassVar[str] = "post"
    target: ClassVar[str] = "channel"
    lane_kind: ClassVar[str] = "channel"
    channel: ChannelRef
    message: OutgoingMessage
    allow_pings: bool = True

    async def apply(self, platform: Platform, attempt: Attempt) -> MessageRef:
        return await platform.send(
            self.channel,
            self.message,
            allow_pings=self.allow_pings,
            nonce=attempt.key,
            recovering=attempt.recovering,
        )


@dataclass(frozen=True, slots=True)
class DirectMessage(Effect):
    kind: ClassVar[str] = "direct"
    target: ClassVar[str] = "user"
    lane_kind: ClassVar[str] = "user"
    user: UserRef
    message: OutgoingMessage

    async def apply(self, platform: Platform, attempt: Attempt) -> MessageRef:
        return await platform.send_direct(
            self.user, self.message, nonce=attempt.key, recovering=attempt.recovering
        )


@dataclass(frozen=True, slots=True)
class Edit(Effect):
    """Replace a message's content; a later edit of the same message supersedes a pending
    one, so only the latest state is ever applied."""

    kind: ClassVar[str] = "edit"
    target: ClassVar[str] = "message"
    lane_kind: ClassVar[str] = "message"
    message: MessageRef
    new: OutgoingMessage

    async def apply(self, platform: Platform, attempt: Attempt) -> None:
        await platform.edit(self.message, self.new)


@dataclass(frozen=True, slots=True)
class Delete(Effect):
    """A recovering delete of a message already gone is done: the cut-off attempt did it."""

    kind: ClassVar[str] = "delete"
    target: ClassVar[str] = "message"
    lane_kind: ClassVar[str] = "message"
    message: MessageRef

    async def apply(self, platform: Platform, attempt: Attempt) -> None:
        try:
            await platform.delete(self.message)
        except NotFound:
            if not attempt.recovering:
                raise


@dataclass(frozen=True, slots=True)
class React(Effect):
    """One reaction. The cogs pre-add their reactions with `ReactAll`; entries of this kind,
    written by older versions, still run."""

    kind: ClassVar[str] = "react"
    target: ClassVar[str] = "message"
    lane_kind: ClassVar[str] = "message"
    message: MessageRef
    emoji: str

    async def apply(self, platform: Platform, attempt: Attempt) -> None:
        await platform.add_reaction(self.message, self.emoji)


@dataclass(frozen=True, slots=True)
class ReactAll(Effect):
    """Add several reactions to a message, in order, as one entry (a flag's six choices
    would otherwise cost six entries, each claimed and settled on its own). The platforms
    take one emoji per call (Discord has no bulk route), and adding a reaction that is
    there already is harmless on each of them, so a retry after an outage or a crash simply
    adds them all again. A platform that says "not now" stops the run (the outbox retries
    it). An emoji refused for good (unknown to the server, one reaction too many) does not
    cost the others: the rest are added, then the first refusal is reported; only a
    message that is gone stops them all, as every other emoji would meet the same."""

    kind: ClassVar[str] = "react_all"
    target: ClassVar[str] = "message"
    lane_kind: ClassVar[str] = "message"
    message: MessageRef
    emojis: tuple[str, ...]

    @property
    def calls(self) -> int:
        """One per emoji: behind a busy channel's reaction rate limit each waits its turn,
        and six waits must not add up to a timeout that has all six added again."""
        return len(self.emojis)

    async def apply(self, platform: Platform, attempt: Attempt) -> None:
        refused: PlatformError | None = None
        for emoji in self.emojis:
            try:
                await platform.add_reaction(self.message, emoji)
            except (PlatformUnavailable, NotFound):
                raise
            except PlatformError as error:
                refused = refused or error
        if refused is not None:
            raise refused


@dataclass(frozen=True, slots=True)
class Unreact(Effect):
    kind: ClassVar[str] = "unreact"
    target: ClassVar[str] = "message"
    lane_kind: ClassVar[str] = "message"
    message: MessageRef
    emoji: str
    user: UserRef

    async def apply(self, platform: Platform, attempt: Attempt) -> None:
        await platform.remove_reaction(self.message, self.emoji, self.user)


@dataclass(frozen=True, slots=True)
class OpenThread(Effect):
    kind: ClassVar[str] = "open_thread"
    target: ClassVar[str] = "message"
    lane_kind: ClassVar[str] = "message"
    message: MessageRef
    name: str

    async def apply(self, platform: Platform, attempt: Attempt) -> ChannelRef:
        return await platform.open_thread(self.message, self.name)


@dataclass(frozen=True, slots=True)
class ArchiveThread(Effect):
    kind: ClassVar[str] = "archive_thread"
    target: ClassVar[str] = "thread"
    lane_kind: ClassVar[str] = "channel"
    thread: ChannelRef
    lock: bool

    async def apply(self, platform: Platform, attempt: Attempt) -> None:
        await platform.archive_thread(self.thread, lock=self.lock)


@dataclass(frozen=True, slots=True)
class RenameThread(Effect):
    """Name a thread: a retry sets the same name. In a lane of the thread's renames, not
    the thread's own: Discord makes a third rename in ten minutes wait (a 429 of up to ten
    minutes), and the thread's posts must not wait with it. A later rename of the same
    thread runs after it and supersedes it while it waits."""

    kind: ClassVar[str] = "rename_thread"
    target: ClassVar[str] = "thread"
    lane_kind: ClassVar[str] = "rename"
    thread: ChannelRef
    name: str

    async def apply(self, platform: Platform, attempt: Attempt) -> None:
        await platform.rename_thread(self.thread, self.name)


@dataclass(frozen=True, slots=True)
class UnarchiveThread(Effect):
    kind: ClassVar[str] = "unarchive_thread"
    target: ClassVar[str] = "thread"
    lane_kind: ClassVar[str] = "channel"
    thread: ChannelRef

    async def apply(self, platform: Platform, attempt: Attempt) -> None:
        await platform.unarchive_thread(self.thread)


@dataclass(frozen=True, slots=True)
class Timeout(Effect):
    """Time a member out until a fixed moment, so a repeated attempt never restarts the
    clock; a moment already past leaves nothing to do."""

    kind: ClassVar[str] = "timeout"
    target: ClassVar[str] = "user"
    lane_kind: ClassVar[str] = "user"
    user: UserRef
    until: datetime
    reason: str

    async def apply(self, platform: Platform, attempt: Attempt) -> None:
        remaining = self.until - attempt.now
        if remaining.total_seconds() > 0:
            await platform.timeout(self.user, remaining, self.reason, recovering=attempt.recovering)


@dataclass(frozen=True, slots=True)
class Kick(Effect):
    kind: ClassVar[str] = "kick"
    target: ClassVar[str] = "user"
    lane_kind: ClassVar[str] = "user"
    user: UserRef
    reason: str

    async def apply(self, platform: Platform, attempt: Attempt) -> None:
        if attempt.recovering and await platform.fetch_member(self.user) is None:
            return  # the interrupted attempt kicked them
        await platform.kick(self.user, self.reason, recovering=attempt.recovering)


@dataclass(frozen=True, slots=True)
class Ban(Effect):
    """A recovering ban first asks whether the ban is already in place."""

    kind: ClassVar[str] = "ban"
    target: ClassVar[str] = "user"
    lane_kind: ClassVar[str] = "user"
    user: UserRef
    reason: str

    async def apply(self, platform: Platform, attempt: Attempt) -> None:
        await platform.ban(self.user, self.reason, recovering=attempt.recovering)


@dataclass(frozen=True, slots=True)
class LiftTimeout(Effect):
    """End a member's timeout now; a member not (or no longer) timed out is left alone, so
    a retry after a crash changes nothing. With `until` (the end of the timeout the caller
    placed) only that timeout is lifted: one a moderator set since is left, and the result
    is False."""

    kind: ClassVar[str] = "lift_timeout"
    target: ClassVar[str] = "user"
    lane_kind: ClassVar[str] = "user"
    user: UserRef
    reason: str
    until: datetime | None = None

    async def apply(self, platform: Platform, attempt: Attempt) -> bool:
        # Relative to now, as `Timeout` tells the platform its duration: the platform
        # compares with its own clock.
        ending_in = None if self.until is None else self.until - attempt.now
        return await platform.lift_timeout(self.user, self.reason, ending_in=ending_in)


@dataclass(frozen=True, slots=True)
class Unban(Effect):
    """Lift a ban; a user not banned (an earlier attempt lifted it) is left alone."""

    kind: ClassVar[str] = "unban"
    target: ClassVar[str] = "user"
    lane_kind: ClassVar[str] = "user"
    user: UserRef
    reason: str

    async def apply(self, platform: Platform, attempt: Attempt) -> None:
        await platform.unban(self.user, self.reason)


@dataclass(frozen=True, slots=True)
class GrantRole(Effect):
    """A recovering grant first looks whether the member holds the role already."""

    kind: ClassVar[str] = "grant_role"
    target: ClassVar[str] = "user"
    lane_kind: ClassVar[str] = "user"
    user: UserRef
    role_id: str
    reason: str

    async def apply(self, platform: Platform, attempt: Attempt) -> None:
        if attempt.recovering:
            member = await platform.fetch_member(self.user)
            if member is not None and any(self.role_id in (r.id, r.name) for r in member.roles):
                return
        await platform.grant_role(self.user, self.role_id, self.reason)


@dataclass(frozen=True, slots=True)
class SetSlowMode(Effect):
    """Set a channel's slow mode to a value (0 lifts it): a retry sets the same value."""

    kind: ClassVar[str] = "slow_mode"
    target: ClassVar[str] = "channel"
    lane_kind: ClassVar[str] = "channel"
    channel: ChannelRef
    seconds: int
    reason: str

    async def apply(self, platform: Platform, attempt: Attempt) -> None:
        await platform.set_slow_mode(self.channel, self.seconds, self.reason)


@dataclass(frozen=True, slots=True)
class PauseInvites(Effect):
    """Pause (or resume) joining through invites: a retry sets the same state."""

    kind: ClassVar[str] = "pause_invites"
    where: Community
    paused: bool
    reason: str

    @property
    def community(self) -> Community:
        return self.where

    @property
    def lane(self) -> str:
        return f"invites:{self.where.key}"

    async def apply(self, platform: Platform, attempt: Attempt) -> None:
        await platform.pause_invites(self.where, self.paused, self.reason)


EFFECTS: dict[str, type[Effect]] = {
    kind.kind: kind
    for kind in (
        Post,
        DirectMessage,
        Edit,
        Delete,
        React,
        ReactAll,
        Unreact,
        OpenThread,
        ArchiveThread,
        UnarchiveThread,
        RenameThread,
        Timeout,
        Kick,
        Ban,
        LiftTimeout,
        Unban,
        GrantRole,
        SetSlowMode,
        PauseInvites,
    )
}


@dataclass(frozen=True, slots=True)
class Call(Effect):
    """A side effect outside the chat platform (e.g. the company webhook), carried out by
    the handler a cog registered under `name`; `data` is plain JSON. Calls queue per name
    and community: one community's endpoint in back-off never holds up another's."""

    kind: ClassVar[str] = "call"
    where: Community
    name: str
    data: dict[str, Any]

    @property
    def community(self) -> Community:
        return self.where

    @property
    def lane(self) -> str:
        return f"call:{self.name}:{self.where.key}"

    async def apply(self, platform: Platform, attempt: Attempt) -> None:
        raise TypeError("calls are carried out by their registered handler")


EFFECTS[Call.kind] = Call
