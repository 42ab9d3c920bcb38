"""What every rule has: a name, an action, a scope, and a check."""

from __future__ import annotations

from abc import abstractmethod
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Protocol

from pydantic import BaseModel, ConfigDict, Field, field_validator

from cogs.moderation.rules.model import Action, Reason, RuleKind, RuleMatch

if TYPE_CHECKING:
    from cogs.moderation.rules.view import MessageView


class RuleSettings(BaseModel):
    """The keys every ``[[moderation.rules]]`` entry may have.

    `channels` and `exempt_roles` take IDs or names (names without "#" or "@", case does
    not matter); no channels means every channel.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=100)
    channels: tuple[str, ...] = ()
    exempt_roles: tuple[str, ...] = ()
    enabled: bool = True
    # Whether the member's notice about a decision says what the rule found ("keyword
    # 'darn'"). Off by default: telling what tripped a word list helps evade it.
    show_reason: bool = False

    @field_validator("name")
    @classmethod
    def _name_is_not_blank(cls, name: str) -> str:
        if not name.strip():
            raise ValueError("a rule name needs a visible character")
        return name.strip()

    @property
    def scope(self) -> Scope:
        return Scope.of(self.channels, self.exempt_roles)


class SingleRuleSettings(RuleSettings):
    """Settings of a rule type checked on its own (keywords and regexes are pooled)."""

    @abstractmethod
    def compile(self) -> Rule:
        """The checking object for these settings."""


@dataclass(frozen=True, slots=True)
class Scope:
    """Where a rule applies: its channels (empty: all) minus authors with an exempt role."""

    channels: frozenset[str]
    exempt_roles: frozenset[str]

    @classmethod
    def of(cls, channels: tuple[str, ...], exempt_roles: tuple[str, ...]) -> Scope:
        return cls(
            frozenset(c.strip().lstrip("#").casefold() for c in channels),
            frozenset(r.strip().lstrip("@").casefold() for r in exempt_roles),
        )

    def applies(self, view: MessageView) -> bool:
        message = view.message
        if self.channels and not (
            message.channel_id.casefold() in self.channels
            or message.channel_name.lstrip("#").casefold() in self.channels
        ):
            return False
        return not (
            self.exempt_roles
            and not self.exempt_roles.isdisjoint(role.casefold() for role in message.author_roles)
        )


class Rule(Protocol):
    """A compiled rule: `check` returns what the message breaks, or nothing.

    `window` is how far back the rule looks at the author's posts (`MessageView.recent`);
    None for rules that judge a message on its own.
    """

    @property
    def window(self) -> timedelta | None: ...

    def check(self, view: MessageView) -> list[RuleMatch]: ...


@dataclass(frozen=True, slots=True)
class RuleHead:
    """Name, kind, action and scope: the part of a compiled rule that every type shares."""

    name: str
    kind: RuleKind
    action: Action
    scope: Scope

    def match(self, view: MessageView, span: tuple[int, int] | None, reason: Reason) -> RuleMatch:
        """A match on `span` of the folded text, or on the message as a whole (None)."""
        if span is None:
            return RuleMatch(self.name, self.kind, self.action, "", (0, 0), reason)
        text, original = view.original(*span)
        return RuleMatch(self.name, self.kind, self.action, text, original, reason)

    def match_typed(self, text: str, span: tuple[int, int], reason: Reason) -> RuleMatch:
        """A match on `span` of the text as typed, showing `text`."""
        return RuleMatch(self.name, self.kind, self.action, text, span, reason)
