"""Moderator-written regular expressions on RE2: validated at load, never a hang."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from cogs.moderation.reasons import in_english
from cogs.moderation.rules import RulesConfigError, RuleSet, parse_rules, try_text
from cogs.moderation.rules import patterns as patterns_module

AT = datetime(2025, 1, 1, tzinfo=UTC)


def regex_rule(*patterns: str, name: str = "scams") -> RuleSet:
    return RuleSet(parse_rules([{"name": name, "type": "regex", "patterns": list(patterns)}]))


def test_a_pattern_matches_folded_text_and_reports_what_was_typed() -> None:
    [match] = try_text(regex_rule(r"free\s+nitro"), "Get FREE  Νitro now", at=AT).matches
    assert (match.rule, match.text, match.span) == ("scams", "FREE  Νitro", (4, 15))
    assert in_english(match.reason) == r"pattern 'free\s+nitro'"  # as the moderator wrote it


def test_a_pattern_also_reads_leetspeak() -> None:
    [match] = try_text(regex_rule(r"free\s+nitro"), "fr33 n1tr0!", at=AT).matches
    assert match.text == "fr33 n1tr0"


def test_a_pattern_that_does_not_match_flags_nothing() -> None:
    assert try_text(regex_rule(r"free\s+nitro"), "nitro is not free", at=AT).matches == ()


def test_catastrophic_pattern_returns_promptly_on_long_input() -> None:
    rules = regex_rule("(a+)+$")
    assert try_text(rules, "a" * 100_000 + "!", at=AT).matches == ()
    [match] = try_text(rules, "b" + "a" * 100_000, at=AT).matches
    assert match.span == (1, 100_001)


@pytest.mark.parametrize(
    ("pattern", "problem"),
    [
        ("a(", "missing )"),
        ("(?<=a)b", "invalid perl operator"),
        (r"(a)\1", "invalid escape sequence"),
        ("a*", "matches an empty message"),
    ],
)
def test_invalid_pattern_is_an_error_naming_the_rule(pattern: str, problem: str) -> None:
    with pytest.raises(RulesConfigError) as raised:
        regex_rule("fine", pattern, name="bad one")
    [found] = raised.value.problems
    assert (found.rule, found.key) == ("bad one", "patterns.1")
    assert problem in found.message
    assert "rule 'bad one' patterns.1" in str(raised.value)


def test_an_empty_match_inside_a_message_flags_nothing() -> None:
    assert try_text(regex_rule(r"\b"), "hello", at=AT).matches == ()


def test_every_matching_pattern_of_every_rule_is_reported() -> None:
    rules = RuleSet(
        parse_rules(
            [
                {"name": "one", "type": "regex", "patterns": ["foo", "bar"]},
                {"name": "two", "type": "regex", "patterns": ["ba."]},
            ]
        )
    )
    matches = try_text(rules, "foo bar", at=AT).matches
    assert [(m.rule, m.text) for m in matches] == [("one", "foo"), ("one", "bar"), ("two", "bar")]


def test_patterns_too_big_to_share_a_gate_are_searched_one_by_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(patterns_module, "_GATE_MAX_MEM", 1024)
    rules = regex_rule("x[a-z]{20,200}y", "hello")
    assert [m.text for m in try_text(rules, "hello there", at=AT).matches] == ["hello"]
