"""Moderator-written regular expressions, run by RE2 so no pattern can hang the bot.

RE2 matches in time linear in the text, whatever the pattern: ``(a+)+$`` against a
hundred thousand "a"s returns at once. The price is that backreferences and look-around
are not supported; such a pattern is refused at load with RE2's reason, naming the rule.
Patterns run on the folded text (lower-case, look-alikes folded, invisible characters
gone), and on its leetspeak reading ("fr3e" read as "free") when it has any, and ignore
case. A pattern that matches the empty message would flag everything and is refused; an
empty match inside a message (a lone ``\b``) flags nothing.

All regex rules of a rule set share one gate: every pattern in one alternation, searched
once per text. Only when it matches is each pattern searched alone to find which ones
and where.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Literal

import re2
from pydantic import AfterValidator, field_validator

from cogs.moderation.rules._base import RuleHead, RuleSettings
from cogs.moderation.rules._tokens import read_leet
from cogs.moderation.rules.model import Action, Reason, ReasonKey, RuleKind, RuleMatch
from cogs.moderation.rules.view import MessageView

# RE2's memory budget per pattern, its default. A pattern that needs more is refused as
# too large, which also bounds what a rule file can make the bot allocate.
_PATTERN_MAX_MEM = 8 << 20
# The gate holds every pattern at once, so it gets room for a few dozen large ones.
_GATE_MAX_MEM = 256 << 20


def _compile_pattern(pattern: str) -> re2._Regexp:
    """Compile for matching folded text; a ValueError gives RE2's reason in words."""
    try:
        compiled = re2.compile(pattern, _options(_PATTERN_MAX_MEM))
    except re2.error as error:
        reason = (
            error.args[0].decode() if error.args and isinstance(error.args[0], bytes) else error
        )
        raise ValueError(f"RE2 cannot use pattern {pattern!r}: {reason}") from None
    if compiled.search("") is not None:
        raise ValueError(f"pattern {pattern!r} matches an empty message, so every message")
    return compiled


def _compiles(pattern: str) -> str:
    _compile_pattern(pattern)
    return pattern


class RegexSettings(RuleSettings):
    """``type = "regex"``: RE2 patterns; any of them matching breaks the rule."""

    type: Literal["regex"]
    action: Action = Action.FLAG
    patterns: tuple[Annotated[str, AfterValidator(_compiles)], ...]

    @field_validator("patterns")
    @classmethod
    def _not_empty(cls, patterns: tuple[str, ...]) -> tuple[str, ...]:
        if not patterns:
            raise ValueError("a regex rule needs at least one pattern")
        return patterns


@dataclass(frozen=True, slots=True)
class _Pattern:
    head: RuleHead
    source: str
    regex: re2._Regexp
    reason: Reason


class PatternRules:
    """Every regex rule of a rule set behind one gate."""

    window: timedelta | None = None

    def __init__(self, settings: list[RegexSettings]) -> None:
        self._patterns = [
            _Pattern(
                RuleHead(s.name, RuleKind.REGEX, s.action, s.scope),
                p,
                _compile_pattern(p),
                Reason(ReasonKey.PATTERN, (("pattern", p),)),
            )
            for s in settings
            for p in s.patterns
        ]
        # Multi-line, so that ^ and $ may also match where the folded text and its
        # leetspeak reading meet: the gate may let through more, never less.
        alternation = "(?m)" + "|".join(f"(?:{pattern.source})" for pattern in self._patterns)
        try:
            self._gate: re2._Regexp | None = re2.compile(
                alternation, _options(_GATE_MAX_MEM, never_capture=True)
            )
        except re2.error:  # too big together: search each pattern, which is still linear
            self._gate = None

    def check(self, view: MessageView) -> list[RuleMatch]:
        texts, searched = [view.folded_text], view.folded_bytes
        leet = read_leet(view.folded_bytes)
        if leet != view.folded_bytes:  # as long as the folded text: spans fit both
            texts.append(leet.decode())
            searched += b"\n" + leet
        if self._gate is not None and self._gate.search(searched) is None:
            return []
        matches = []
        for pattern in self._patterns:
            if pattern.head.scope.applies(view):
                found = [m for m in map(pattern.regex.search, texts) if m and m.end() > m.start()]
                if found:
                    matches.append(pattern.head.match(view, found[0].span(), pattern.reason))
        return matches


def _options(max_mem: int, *, never_capture: bool = False) -> re2.Options:
    options = re2.Options()
    options.max_mem = max_mem
    options.case_sensitive = False
    options.log_errors = False
    options.never_capture = never_capture
    return options
