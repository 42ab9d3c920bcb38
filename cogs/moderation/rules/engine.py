"""A community's rules compiled into one immutable `RuleSet`.

Changing rules never touches a rule set in use: build a new one (off the hot path) and
replace the reference the cog holds. Checks that already started finish on the old set;
the next check uses the new one; nothing waits for anything.

`check` is synchronous and pure apart from the `RecentActivity` it is handed, which
remembers each author's recent posts for the window rules and outlives rule-set swaps.
`check_with` is the same check with the recent posts kept in any `WindowStore` (the
database, when several processes hear one community's messages): the rules themselves are
the same code either way.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from datetime import timedelta

from cogs.moderation.rules._base import Rule
from cogs.moderation.rules._tokens import read_leet
from cogs.moderation.rules.activity import Post, RecentActivity, WindowStore
from cogs.moderation.rules.config import AnyRuleSettings
from cogs.moderation.rules.keyword_rules import KeywordRules, KeywordsSettings
from cogs.moderation.rules.model import CheckedMessage, RuleMatch
from cogs.moderation.rules.patterns import PatternRules, RegexSettings
from cogs.moderation.rules.view import MessageView


class RuleSet:
    """Validated rule settings, compiled for checking messages."""

    def __init__(self, settings: Sequence[AnyRuleSettings]) -> None:
        self.settings = tuple(settings)
        enabled = [entry for entry in self.settings if entry.enabled]
        keywords = [entry for entry in enabled if isinstance(entry, KeywordsSettings)]
        patterns = [entry for entry in enabled if isinstance(entry, RegexSettings)]
        rules: list[Rule] = [KeywordRules(keywords)] if keywords else []
        rules += [PatternRules(patterns)] if patterns else []
        rules += [
            entry.compile()
            for entry in enabled
            if not isinstance(entry, KeywordsSettings | RegexSettings)
        ]
        self._rules = tuple(rules)
        windows = [rule.window for rule in rules if rule.window is not None]
        self._horizon: timedelta | None = max(windows, default=None)

    def check(self, message: CheckedMessage, activity: RecentActivity) -> list[RuleMatch]:
        """Every rule `message` breaks (keyword and regex rules first, the rest in order).

        An empty list for almost every message.
        """
        view = MessageView(message)
        if self._horizon is not None and not message.edited:
            view.recent = activity.record(
                message.community_key, message.author_id, _post(view), self._horizon
            )
        return self._matches(view)

    async def check_with(self, message: CheckedMessage, windows: WindowStore) -> list[RuleMatch]:
        """`check`, with the author's recent posts kept in `windows`."""
        view = MessageView(message)
        if self._horizon is not None and not message.edited:
            view.recent = await windows.record(
                message.community_key,
                message.author_id,
                _post(view),
                self._horizon,
                message.message_id,
            )
        return self._matches(view)

    def _matches(self, view: MessageView) -> list[RuleMatch]:
        matches: list[RuleMatch] = []
        for rule in self._rules:
            found = rule.check(view)
            if found:
                matches += found
        return matches


def _post(view: MessageView) -> Post:
    """What the window rules remember of this message."""
    message = view.message
    words = read_leet(b" ".join(view.plain))  # "FR33 N1TRO" copies "free nitro"
    # CRC-32, not hash(): Python salts hash() per process, and a copy heard by another
    # process must have the same fingerprint. A chance collision only merges two texts of
    # one author's within one window.
    return Post(
        message.at,
        message.channel_id,
        zlib.crc32(words),
        len(view.folded_text),
        view.mention_count,
    )
