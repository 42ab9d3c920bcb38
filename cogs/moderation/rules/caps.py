"""Shouting: a message of enough letters that are mostly capitals.

Markup in angle brackets (mentions, custom emoji like <:KEKW:1>) is not counted: its
capitals are not the author's voice.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from pydantic import Field

from cogs.moderation.rules._base import RuleHead, SingleRuleSettings
from cogs.moderation.rules.model import Action, Reason, ReasonKey, RuleKind, RuleMatch
from cogs.moderation.rules.view import MessageView

_MARKUP = re.compile(r"<[^<>\s]*>")
_LETTERS = string.ascii_letters.encode()
_UPPER = string.ascii_uppercase.encode()


class CapsSettings(SingleRuleSettings):
    """``type = "caps"``: more than `max_ratio` of at least `min_letters` are capitals."""

    type: Literal["caps"]
    action: Action = Action.FLAG
    max_ratio: float = Field(default=0.7, gt=0, lt=1)
    min_letters: int = Field(default=12, ge=1)

    def compile(self) -> CapsRule:
        head = RuleHead(self.name, RuleKind.CAPS, self.action, self.scope)
        return CapsRule(head, self.max_ratio, self.min_letters)


@dataclass(frozen=True, slots=True)
class CapsRule:
    head: RuleHead
    max_ratio: float
    min_letters: int
    window: timedelta | None = None

    def check(self, view: MessageView) -> list[RuleMatch]:
        text = view.message.text
        # Shouting needs more capitals than max_ratio of min_letters; most messages have
        # one or two, and counting them is cheaper than counting letters.
        if len(text) < self.min_letters or _capitals(text) <= self.max_ratio * self.min_letters:
            return []
        if "<" in text:
            text = _MARKUP.sub("", text)
        capitals, letters = _capitals(text), _letters(text)
        if letters < self.min_letters or capitals <= self.max_ratio * letters:
            return []
        if not self.head.scope.applies(view):
            return []
        reason = Reason(ReasonKey.CAPS, (("percent", round(100 * capitals / letters)),))
        return [self.head.match(view, None, reason)]


def _capitals(text: str) -> int:
    if text.isascii():
        raw = text.encode()
        return len(raw) - len(raw.translate(None, _UPPER))
    return sum(map(str.isupper, text))


def _letters(text: str) -> int:
    if text.isascii():
        raw = text.encode()
        return len(raw) - len(raw.translate(None, _LETTERS))
    return sum(map(str.isalpha, text))
