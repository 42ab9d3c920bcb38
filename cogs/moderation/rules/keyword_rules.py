"""Keyword rules and watch words: lists in AutoMod syntax, each with an allow list.

A keyword rule flags a breach; a watch-words rule tells ambassadors that a topic came up
("refund", "outage") and is not a breach. Both are checked together in one pass over the
message by `KeywordRules`, however many rules and keywords there are.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, ClassVar, Literal

from pydantic import PlainSerializer, PlainValidator, field_validator

from cogs.moderation.rules._base import RuleHead, RuleSettings
from cogs.moderation.rules._keyword_search import KeywordMatcher
from cogs.moderation.rules.keywords import Keyword
from cogs.moderation.rules.model import Action, Reason, ReasonKey, RuleKind, RuleMatch
from cogs.moderation.rules.view import MessageView


def _keywords(value: object) -> tuple[Keyword, ...]:
    """Parse a list of keywords once, at validation; a ValueError names the bad one."""
    if isinstance(value, str) or not isinstance(value, list | tuple):
        raise ValueError("expected a list of keywords")
    parsed = []
    problems = []  # every bad keyword at once, so a long list is fixed in one go
    for index, written in enumerate(value):
        if isinstance(written, Keyword):
            parsed.append(written)
        elif isinstance(written, str):
            try:
                parsed.append(Keyword.parse(written))
            except ValueError as error:
                problems.append(f"item {index + 1}: {error}")
        else:
            problems.append(f"item {index + 1}: expected text, got {written!r}")
    if problems:
        raise ValueError("; ".join(problems))
    return tuple(parsed)


# Validated by one call for the whole list rather than per item: lists run to 10,000
# words, and rebuilding a rule set must stay well under 50 ms.
_Keywords = Annotated[
    tuple[Keyword, ...],
    PlainValidator(_keywords),
    PlainSerializer(lambda keywords: [k.written for k in keywords], return_type=list[str]),
]


class KeywordsSettings(RuleSettings):
    """``type = "keywords"``: words or phrases that break the rules; `allow` exempts words."""

    kind: ClassVar[RuleKind] = RuleKind.KEYWORDS
    type: Literal["keywords"]
    action: Action = Action.FLAG
    keywords: _Keywords
    allow: _Keywords = ()

    @field_validator("keywords")
    @classmethod
    def _not_empty(cls, keywords: tuple[Keyword, ...]) -> tuple[Keyword, ...]:
        if not keywords:
            raise ValueError("a keyword rule needs at least one keyword")
        return keywords

    def compile(self) -> KeywordRule:
        return KeywordRule(RuleHead(self.name, self.kind, self.action, self.scope), self.allow)


class WatchWordsSettings(KeywordsSettings):
    """``type = "watch_words"``: topics ambassadors want to hear about; not a breach."""

    kind: ClassVar[RuleKind] = RuleKind.WATCH_WORDS
    type: Literal["watch_words"]  # type: ignore[assignment]
    action: Action = Action.NOTIFY_AMBASSADORS


@dataclass(frozen=True, slots=True, eq=False)
class KeywordRule:
    """One compiled keyword or watch-words rule; `KeywordRules` does the matching."""

    head: RuleHead
    allow: tuple[Keyword, ...]

    def allows(self, words: str) -> bool:
        """Whether the allow list exempts the words a keyword was found in."""
        return any(keyword.matches(words) for keyword in self.allow)


class KeywordRules:
    """Every keyword rule of a rule set, matched in a single pass."""

    window: timedelta | None = None

    def __init__(self, settings: list[KeywordsSettings]) -> None:
        entries: list[tuple[Keyword, KeywordRule]] = []
        for entry in settings:
            rule = entry.compile()
            entries += [(keyword, rule) for keyword in entry.keywords]
        self._matcher = KeywordMatcher(entries)

    def check(self, view: MessageView) -> list[RuleMatch]:
        matches = []
        for hit in self._matcher.find(view.folded_text, view.folded_bytes, view.plain):
            rule = hit.owner
            if rule.head.scope.applies(view) and not rule.allows(hit.words):
                reason = Reason(_REASONS[rule.head.kind], (("keyword", hit.keyword.written),))
                matches.append(rule.head.match(view, (hit.start, hit.end), reason))
        return matches


_REASONS = {RuleKind.KEYWORDS: ReasonKey.KEYWORD, RuleKind.WATCH_WORDS: ReasonKey.WATCH_WORD}
