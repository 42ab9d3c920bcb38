"""Neutral references to communities, members, channels and messages.

Nothing outside ``adapters/`` ever sees a discord.py or Slack object; cogs work with these
small frozen values instead. IDs are strings on every platform, and every reference carries
its community so that state can always be keyed by community.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Community:
    """A Discord guild, a Slack workspace or a local community."""

    platform: str
    id: str

    @property
    def key(self) -> str:
        """The stable text key used in storage and configuration, e.g. ``discord:123``."""
        return f"{self.platform}:{self.id}"

    @classmethod
    def from_key(cls, key: str) -> Community:
        platform, _, community_id = key.partition(":")
        return cls(platform, community_id)


@dataclass(frozen=True, slots=True)
class Role:
    id: str
    name: str


@dataclass(frozen=True, slots=True)
class UserRef:
    """Just enough to address a user; see `Member` for the facts cogs usually need."""

    community: Community
    id: str


@dataclass(frozen=True, slots=True)
class Member:
    """A member as the platform knows them at the moment of an event."""

    community: Community
    id: str
    name: str
    display_name: str = ""
    roles: tuple[Role, ...] = ()
    locale: str | None = None
    is_bot: bool = False
    is_platform_admin: bool = False
    created_at: datetime | None = None
    joined_at: datetime | None = None

    @property
    def ref(self) -> UserRef:
        return UserRef(self.community, self.id)

    @property
    def shown_name(self) -> str:
        return self.display_name or self.name


@dataclass(frozen=True, slots=True)
class ChannelRef:
    """A channel, or a thread (a thread names its parent channel)."""

    community: Community
    id: str
    name: str = ""
    parent_id: str | None = None

    @property
    def is_thread(self) -> bool:
        return self.parent_id is not None


@dataclass(frozen=True, slots=True)
class MessageRef:
    channel: ChannelRef
    id: str

    @property
    def community(self) -> Community:
        return self.channel.community


@dataclass(frozen=True, slots=True)
class Attachment:
    filename: str
    size: int = 0
    url: str = ""


@dataclass(frozen=True, slots=True)
class Forwarded:
    """A copy of another message that a member forwarded (Discord's forwards): what the
    copy says and carries, and where the original was when the platform tells."""

    text: str = field(repr=False)  # may hold a secret, like any message text
    attachments: tuple[Attachment, ...] = ()
    origin: ChannelRef | None = None  # its community may be another one than the forward's


@dataclass(frozen=True, slots=True)
class PostedMessage:
    """A message someone posted, as delivered with events or fetched by link."""

    ref: MessageRef
    author: Member
    # Kept out of repr: a failing handler logs its event, and a message may hold a secret.
    text: str = field(repr=False)
    attachments: tuple[Attachment, ...] = ()
    mentioned_user_ids: tuple[str, ...] = ()
    mentions_everyone: bool = False
    created_at: datetime | None = None
    extra: dict[str, str] = field(default_factory=dict, compare=False, hash=False)
    forwarded: Forwarded | None = None

    @property
    def full_text(self) -> str:
        """What the member wrote and, below it, what they forwarded: what rules read."""
        if self.forwarded is None:  # nearly every message, on the hot path
            return self.text
        parts = (self.text, self.forwarded.text)
        return "\n".join(part for part in parts if part)

    @property
    def all_attachments(self) -> tuple[Attachment, ...]:
        """Files the member attached, then those in what they forwarded."""
        if self.forwarded is None:
            return self.attachments
        return self.attachments + self.forwarded.attachments
