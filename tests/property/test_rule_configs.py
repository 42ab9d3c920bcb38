"""Any ``[[moderation.rules]]`` entries either compile into a working rule set or are
refused with a list of problems that each name the rule and key; never another exception.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from cogs.moderation.rules import RulesConfigError, RuleSet, parse_rules, try_text
from tests.property.strategies import tricky_text

AT = datetime(2025, 1, 1, tzinfo=UTC)
TYPES = (
    "keywords",
    "watch_words",
    "regex",
    "invites",
    "links",
    "mass_mentions",
    "mention_spam",
    "duplicates",
    "burst",
    "caps",
    "zalgo",
    "attachments",
    "credentials",
    "new_account_links",
    "nonsense",
)
KEYS = (
    "keywords",
    "allow",
    "patterns",
    "action",
    "channels",
    "exempt_roles",
    "enabled",
    "max_messages",
    "window_seconds",
    "max_ratio",
    "min_letters",
    "max_count",
    "deny_extensions",
    "allow_extensions",
    "deny",
    "allow_only",
    "max_mentions",
    "unknown",
)
scalars = st.one_of(
    tricky_text, st.integers(-5, 10**6), st.floats(allow_nan=True), st.booleans(), st.none()
)
values = st.one_of(scalars, st.lists(scalars, max_size=4), st.lists(tricky_text, max_size=4))
entries = st.fixed_dictionaries(
    {
        "name": st.one_of(st.sampled_from(["a", "b", ""]), tricky_text),
        "type": st.sampled_from(TYPES),
    },
    optional={key: values for key in KEYS},
)
# Entries a moderator would plausibly write: the keys right, the words arbitrary.
word_lists = st.lists(tricky_text.filter(str.strip), min_size=1, max_size=5)
plausible = st.one_of(
    st.builds(lambda w: {"name": "words", "type": "keywords", "keywords": w}, word_lists),
    st.builds(lambda w: {"name": "watch", "type": "watch_words", "keywords": w}, word_lists),
    st.builds(lambda w: {"name": "re", "type": "regex", "patterns": w}, word_lists),
    st.builds(lambda w: {"name": "links", "type": "links", "deny": w}, word_lists),
)


def _compile_or_explain(rules: list[Any]) -> RuleSet | None:
    try:
        parsed = parse_rules(rules)
    except RulesConfigError as refusal:
        assert refusal.problems
        for problem in refusal.problems:
            assert problem.message and str(problem)
        return None
    return RuleSet(parsed)


@given(rules=st.lists(st.one_of(entries, plausible, scalars), max_size=4))
def test_rule_entries_compile_or_give_listed_problems(rules: list[Any]) -> None:
    ruleset = _compile_or_explain(rules)
    if ruleset is not None:
        try_text(ruleset, "darn @everyone https://x.example discord.gg/abc", at=AT)


@given(rules=st.lists(plausible, min_size=1, max_size=3), text=tricky_text)
def test_a_compiled_rule_set_checks_any_text(rules: list[Any], text: str) -> None:
    ruleset = _compile_or_explain(rules)
    if ruleset is not None:
        try_text(ruleset, text, at=AT)
