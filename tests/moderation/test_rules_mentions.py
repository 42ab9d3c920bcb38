"""@everyone/@here, and mention spam per message and per window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from cogs.moderation.reasons import in_english
from cogs.moderation.rules import CheckedMessage, RecentActivity, RuleSet, parse_rules, try_text

AT = datetime(2025, 1, 1, tzinfo=UTC)


def rules(**entry: Any) -> RuleSet:
    return RuleSet(parse_rules([{"name": "rule", **entry}]))


def post(text: str, seconds: float = 0, mentions: int = 0, **fields: Any) -> CheckedMessage:
    return CheckedMessage(
        community_key="local:1",
        channel_id=fields.pop("channel", "general"),
        author_id=fields.pop("author", "ben"),
        text=text,
        at=AT + timedelta(seconds=seconds),
        mention_count=mentions,
        **fields,
    )


def test_everyone_and_here_are_flagged_where_typed() -> None:
    [match] = try_text(rules(type="mass_mentions"), "hey @here look", at=AT).matches
    assert (match.text, match.span, in_english(match.reason)) == ("@here", (4, 9), "mentions @here")


def test_slack_mass_mentions_are_flagged() -> None:
    [match] = try_text(rules(type="mass_mentions"), "<!channel> look", at=AT).matches
    assert match.text == "<!channel>"


def test_a_platform_mass_mention_without_markup_is_flagged_for_the_whole_message() -> None:
    ruleset = rules(type="mass_mentions")
    [match] = ruleset.check(post("look", mentions_everyone=True), RecentActivity())
    assert (match.text, match.span) == ("", (0, 0))


def test_ordinary_at_signs_are_fine() -> None:
    text = "mail me at a@here.example or @heretic"
    assert try_text(rules(type="mass_mentions"), text, at=AT).matches == ()


def test_plain_text_without_mentions_is_fine() -> None:
    assert try_text(rules(type="mass_mentions"), "everyone here is nice", at=AT).matches == ()


def test_too_many_mentions_in_one_message() -> None:
    ruleset = rules(type="mention_spam", max_per_message=3)
    markup = " ".join(f"<@{n}>" for n in range(4))
    [match] = ruleset.check(post(markup), RecentActivity())
    assert in_english(match.reason) == "4 mentions in one message (limit 3)"
    assert ruleset.check(post("hi", mentions=3), RecentActivity()) == []


def test_too_many_mentions_within_the_window() -> None:
    ruleset = rules(type="mention_spam", max_per_message=5, max_in_window=6, window_seconds=60)
    activity = RecentActivity()
    assert ruleset.check(post("a", 0, mentions=3), activity) == []
    assert ruleset.check(post("b", 10, mentions=3), activity) == []
    [match] = ruleset.check(post("c", 20, mentions=1), activity)
    assert in_english(match.reason) == "7 mentions within 60 s (limit 6)"
    assert ruleset.check(post("d", 200, mentions=3), activity) == []
