"""Zalgo text: letters buried under stacks of combining marks.

Real writing stacks few marks on one letter (Vietnamese two, pointed Hebrew three), so
a stack taller than `max_stacked` is decoration meant to disrupt.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from typing import Literal

from pydantic import Field

from cogs.moderation.rules._base import RuleHead, SingleRuleSettings
from cogs.moderation.rules.model import Action, Reason, ReasonKey, RuleKind, RuleMatch
from cogs.moderation.rules.view import MessageView


class ZalgoSettings(SingleRuleSettings):
    """``type = "zalgo"``: more than `max_stacked` combining marks on one character."""

    type: Literal["zalgo"]
    action: Action = Action.FLAG
    max_stacked: int = Field(default=3, ge=1)

    def compile(self) -> ZalgoRule:
        head = RuleHead(self.name, RuleKind.ZALGO, self.action, self.scope)
        stack = re.compile(f"[{_marks()}]{{{self.max_stacked + 1},}}")
        return ZalgoRule(head, stack)


@dataclass(frozen=True, slots=True)
class ZalgoRule:
    head: RuleHead
    stack: re.Pattern[str]
    window: timedelta | None = None

    def check(self, view: MessageView) -> list[RuleMatch]:
        text = view.message.text
        if text.isascii():
            return []
        found = self.stack.search(text)
        if found is None or not self.head.scope.applies(view):
            return []
        start, end = max(found.start() - 1, 0), found.end()
        reason = Reason(ReasonKey.ZALGO, (("count", end - found.start()),))
        return [self.head.match_typed(text[start:end], (start, end), reason)]


@cache
def _marks() -> str:
    """Every combining mark of the Basic Multilingual Plane, as a character class body."""
    return "".join(
        chr(code) for code in range(0x300, 0x10000) if unicodedata.category(chr(code))[0] == "M"
    )
