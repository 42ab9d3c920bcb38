"""Window rules: duplicates across channels, bursts, and the memory behind them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from cogs.moderation.reasons import in_english
from cogs.moderation.rules import CheckedMessage, RecentActivity, RuleSet, parse_rules
from cogs.moderation.rules.activity import Post

AT = datetime(2025, 1, 1, tzinfo=UTC)
SPAM = "Check out my new server, best giveaways"


def rules(**entry: Any) -> RuleSet:
    return RuleSet(parse_rules([{"name": "rule", **entry}]))


def post(text: str, seconds: float, channel: str = "general", **fields: Any) -> CheckedMessage:
    return CheckedMessage(
        community_key="local:1",
        channel_id=channel,
        author_id=fields.pop("author", "ben"),
        text=text,
        at=AT + timedelta(seconds=seconds),
        **fields,
    )


def test_the_same_message_in_several_channels_is_a_duplicate() -> None:
    ruleset = rules(type="duplicates", min_channels=3, window_seconds=60)
    activity = RecentActivity()
    assert ruleset.check(post(SPAM, 0, "a"), activity) == []
    assert ruleset.check(post(SPAM.upper().replace("E", "3") + "!!!", 5, "b"), activity) == []
    [match] = ruleset.check(post(SPAM, 10, "c"), activity)
    assert in_english(match.reason) == "same message in 3 channels within 60 s"
    assert (match.text, match.span) == ("", (0, 0))


def test_copies_outside_the_window_or_in_one_channel_are_not_duplicates() -> None:
    ruleset = rules(type="duplicates", min_channels=2, window_seconds=60)
    activity = RecentActivity()
    assert ruleset.check(post(SPAM, 0, "a"), activity) == []
    assert ruleset.check(post(SPAM, 61, "b"), activity) == []
    assert ruleset.check(post(SPAM, 62, "b"), activity) == []


def test_short_replies_are_not_duplicates() -> None:
    ruleset = rules(type="duplicates", min_channels=2)
    activity = RecentActivity()
    assert ruleset.check(post("thanks!", 0, "a"), activity) == []
    assert ruleset.check(post("thanks!", 1, "b"), activity) == []


def test_other_authors_posting_the_same_text_are_not_duplicates() -> None:
    ruleset = rules(type="duplicates", min_channels=2)
    activity = RecentActivity()
    assert ruleset.check(post(SPAM, 0, "a", author="amy"), activity) == []
    assert ruleset.check(post(SPAM, 1, "b", author="ben"), activity) == []


def test_a_burst_of_messages_is_flagged() -> None:
    ruleset = rules(type="burst", max_messages=3, window_seconds=10)
    activity = RecentActivity()
    assert all(ruleset.check(post(f"m{n}", n), activity) == [] for n in range(3))
    [match] = ruleset.check(post("m3", 3), activity)
    assert in_english(match.reason) == "4 messages within 10 s (limit 3)"
    assert ruleset.check(post("later", 30), activity) == []


def test_edits_do_not_count_as_new_messages() -> None:
    ruleset = rules(type="burst", max_messages=1, window_seconds=10)
    activity = RecentActivity()
    assert ruleset.check(post("typo", 0), activity) == []
    assert ruleset.check(post("fixed", 1, edited=True), activity) == []
    assert ruleset.check(post("fixed again", 2, edited=True), activity) == []


def test_memory_is_bounded_by_authors() -> None:
    activity = RecentActivity(max_authors=100)
    horizon = timedelta(hours=1)
    for n in range(1000):
        activity.record("local:1", str(n), Post(AT, "general", 0, 10, 0), horizon)
    assert len(activity) == 100


def test_authors_silent_beyond_the_horizon_are_forgotten_a_few_per_post() -> None:
    activity = RecentActivity()
    horizon = timedelta(seconds=60)
    for n in range(50):
        activity.record("local:1", str(n), Post(AT, "general", 0, 10, 0), horizon)
    later = AT + timedelta(seconds=120)
    recent = activity.record("local:1", "ben", Post(later, "general", 0, 10, 0), horizon)
    assert list(recent) == [Post(later, "general", 0, 10, 0)]
    assert 1 < len(activity) < 50
    for _ in range(20):
        activity.record("local:1", "ben", Post(later, "general", 0, 10, 0), horizon)
    assert len(activity) == 1
