"""What a community holds and what the bot may do there, as one platform reports it.

`Platform.inspect_communities` answers with these values; the start-up check, ``config
check --platform`` and ``/config set`` compare the configured channels and roles with them
(see `bot.community_check`). Adapters report facts only: they never decide what a setting
needs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from bot.model import Community


class Use(StrEnum):
    """Something the bot does in a channel; the values are what a log line says it may not."""

    POST = "post"
    REACT = "add and see reactions"
    THREADS = "open and manage threads"


@dataclass(frozen=True)
class ChannelFacts:
    id: str
    name: str
    may: frozenset[Use]
    # For each use the bot may not: what an admin changes on the platform to allow it.
    advice: Mapping[Use, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RoleFacts:
    id: str
    name: str
    grantable: bool
    advice: str = ""  # why the bot cannot grant it and what to change, when it cannot


@dataclass(frozen=True)
class CommunityFacts:
    """One community's channels and roles; `roles` is None where the platform cannot list
    them, with the reason in `roles_unknown`."""

    community: Community
    name: str
    channels: tuple[ChannelFacts, ...]
    roles: tuple[RoleFacts, ...] | None
    roles_unknown: str = ""

    def channel(self, name_or_id: str) -> ChannelFacts | None:
        """A channel by id or name, as `Platform.find_channel` resolves it (``#`` optional,
        any case)."""
        wanted = name_or_id.strip().removeprefix("#")
        for channel in self.channels:
            if channel.id == wanted:
                return channel
        return next((c for c in self.channels if c.name.casefold() == wanted.casefold()), None)

    def role(self, name_or_id: str) -> RoleFacts | None:
        """A role by id or name in any case, as `bot.permissions.holds_role` matches them."""
        wanted = name_or_id.strip().removeprefix("@").casefold()
        return next(
            (r for r in self.roles or () if wanted in (r.id.casefold(), r.name.casefold())),
            None,
        )
