"""Neutral events: what adapters deliver to the dispatcher.

Each event carries the facts cogs commonly need (author roles, account age, locale), so a
cog rarely has to call back into the platform. Interactive events carry a `Responder`, the
adapter's handle for answering the member who acted (it already acknowledged or deferred).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from bot.model import ChannelRef, Community, Member, MessageRef, PostedMessage
from bot.outgoing import Form, OutgoingMessage


class Responder(Protocol):
    """Answers the member behind an interaction; private replies only they can see."""

    async def reply(self, message: OutgoingMessage, *, private: bool) -> None: ...

    async def open_form(self, form: Form) -> None:
        """Show a form; raises `Unsupported` where the platform has none."""
        ...


@dataclass(frozen=True, slots=True)
class Event:
    @property
    def community(self) -> Community:
        raise NotImplementedError


@dataclass(frozen=True, slots=True)
class Connected(Event):
    """The adapter is connected to the community again (first connect, reconnect or
    resume): events may have been missed, so cogs catch up on what they watch."""

    where: Community

    @property
    def community(self) -> Community:
        return self.where


@dataclass(frozen=True, slots=True)
class MemberJoined(Event):
    member: Member
    at: datetime
    # Joined, but must pass the community's screening (Discord's Membership Screening)
    # before taking part: remembered, and welcomed on `MemberScreened`.
    pending: bool = False

    @property
    def community(self) -> Community:
        return self.member.community


@dataclass(frozen=True, slots=True)
class MemberScreened(Event):
    """A member who joined pending passed the community's screening: now they are welcomed.

    `certain` is False when the platform could not tell that the member was pending before
    (it had not seen them since a restart); the join remembered on `MemberJoined` decides.
    """

    member: Member
    at: datetime
    certain: bool = True

    @property
    def community(self) -> Community:
        return self.member.community


@dataclass(frozen=True, slots=True)
class MessagePosted(Event):
    message: PostedMessage

    @property
    def community(self) -> Community:
        return self.message.ref.community


@dataclass(frozen=True, slots=True)
class MessageEdited(Event):
    message: PostedMessage
    before_text: str | None = field(default=None, repr=False)  # may hold a secret, see model

    @property
    def community(self) -> Community:
        return self.message.ref.community


@dataclass(frozen=True, slots=True)
class ReactionAdded(Event):
    message: MessageRef
    member: Member
    emoji: str

    @property
    def community(self) -> Community:
        return self.message.community


@dataclass(frozen=True, slots=True)
class ReactionRemoved(Event):
    message: MessageRef
    member: Member
    emoji: str

    @property
    def community(self) -> Community:
        return self.message.community


@dataclass(frozen=True, slots=True)
class CommandInvoked(Event):
    """A slash command. `arguments` is raw text (local, Slack) or typed values (Discord)."""

    member: Member
    channel: ChannelRef
    path: str
    arguments: str | Mapping[str, object] = field(repr=False)  # may hold a secret, see model
    responder: Responder = field(compare=False, repr=False)

    @property
    def community(self) -> Community:
        return self.member.community


@dataclass(frozen=True, slots=True)
class MessageCommandInvoked(Event):
    """A message action such as "Report message"."""

    member: Member
    name: str
    message: PostedMessage
    responder: Responder = field(compare=False, repr=False)

    @property
    def community(self) -> Community:
        return self.member.community


@dataclass(frozen=True, slots=True)
class ButtonPressed(Event):
    member: Member
    message: MessageRef
    action_id: str
    responder: Responder = field(compare=False, repr=False)

    @property
    def community(self) -> Community:
        return self.member.community


@dataclass(frozen=True, slots=True)
class FormSubmitted(Event):
    member: Member
    channel: ChannelRef
    form_id: str
    values: Mapping[str, str] = field(repr=False)  # may hold a secret, see model
    responder: Responder = field(compare=False, repr=False)

    @property
    def community(self) -> Community:
        return self.member.community


class FilterAction(StrEnum):
    """What the platform's own filter did (Discord's AutoMod actions)."""

    BLOCK = "block"  # the message was never posted
    ALERT = "alert"  # the platform posted an alert in a channel of the community's choosing
    TIMEOUT = "timeout"  # the author was timed out
    OTHER = "other"  # an action this version does not know


@dataclass(frozen=True, slots=True)
class FilterActed(Event):
    """The platform's own filter (Discord's AutoMod) acted on a member's message.

    One event per action: a blocked message that also alerts arrives twice. `message_id` is
    None for a blocked message, which never existed; `alert_id` is the alert's message,
    for an alert. `content` may hold a secret, like any message text.
    """

    member: Member
    channel: ChannelRef
    rule_id: str
    rule_name: str
    action: FilterAction
    content: str = field(repr=False)
    matched: str  # the part of the text that matched, as typed
    keyword: str  # the rule's keyword or pattern that matched
    message_id: str | None
    alert_id: str | None
    at: datetime

    @property
    def community(self) -> Community:
        return self.member.community
