"""A rule set as the cog uses it: scope, several rules at once, swapping, trying out."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from cogs.moderation.rules import (
    Action,
    CheckedMessage,
    Reason,
    ReasonKey,
    RecentActivity,
    RuleKind,
    RuleSet,
    parse_rules,
    try_text,
)

AT = datetime(2025, 1, 1, tzinfo=UTC)


def rules(*entries: dict[str, Any]) -> RuleSet:
    return RuleSet(parse_rules(list(entries)))


def names(ruleset: RuleSet, text: str, **kwargs: Any) -> list[str]:
    return [match.rule for match in try_text(ruleset, text, at=AT, **kwargs).matches]


def test_channel_scope_by_id_or_name() -> None:
    ruleset = rules({"name": "x", "type": "caps", "channels": ["#General", "123"]})
    shout = "THIS IS VERY LOUD INDEED"
    assert names(ruleset, shout, channel="general") == ["x"]
    assert names(ruleset, shout, channel="123") == ["x"]
    assert names(ruleset, shout, channel="random") == []


def test_exempt_roles_by_id_or_name() -> None:
    ruleset = rules({"name": "x", "type": "caps", "exempt_roles": ["@Moderators", "42"]})
    shout = "THIS IS VERY LOUD INDEED"
    assert names(ruleset, shout, roles=frozenset({"moderators"})) == []
    assert names(ruleset, shout, roles=frozenset({"42"})) == []
    assert names(ruleset, shout, roles=frozenset({"Members"})) == ["x"]


def test_scope_applies_to_keyword_rules_one_by_one() -> None:
    ruleset = rules(
        {"name": "everywhere", "type": "keywords", "keywords": ["spoiler"]},
        {"name": "only #news", "type": "keywords", "keywords": ["spoiler"], "channels": ["news"]},
    )
    assert names(ruleset, "spoiler!", channel="chat") == ["everywhere"]
    assert names(ruleset, "spoiler!", channel="news") == ["everywhere", "only #news"]


def test_disabled_rules_do_not_match() -> None:
    assert (
        names(rules({"name": "x", "type": "caps", "enabled": False}), "VERY LOUD INDEED YES") == []
    )


def test_one_message_can_break_several_rules() -> None:
    ruleset = rules(
        {"name": "words", "type": "keywords", "keywords": ["scam"]},
        {"name": "invites", "type": "invites"},
        {"name": "everyone", "type": "mass_mentions"},
    )
    assert names(ruleset, "@everyone scam at discord.gg/raid") == ["words", "invites", "everyone"]


def test_a_new_rule_set_replaces_the_old_one_without_touching_it() -> None:
    activity = RecentActivity()
    old = rules({"name": "v1", "type": "keywords", "keywords": ["alpha"]})
    new = rules({"name": "v2", "type": "keywords", "keywords": ["beta"]})
    message = CheckedMessage("local:1", "general", "ben", "alpha beta", AT)
    assert [m.rule for m in old.check(message, activity)] == ["v1"]
    assert [m.rule for m in new.check(message, activity)] == ["v2"]
    assert [m.rule for m in old.check(message, activity)] == ["v1"]


def test_window_memory_outlives_a_swap() -> None:
    activity = RecentActivity()
    entry = {"name": "burst", "type": "burst", "max_messages": 1, "window_seconds": 10}
    first, second = rules(entry), rules(entry)
    assert first.check(CheckedMessage("local:1", "c", "ben", "one", AT), activity) == []
    assert second.check(CheckedMessage("local:1", "c", "ben", "two", AT), activity) != []


def test_a_trial_shows_the_normalised_text_and_each_match() -> None:
    ruleset = rules({"name": "words", "type": "keywords", "keywords": ["fuck"]})
    result = try_text(ruleset, "Oh F\u200bU\u0336CK!", at=AT)
    assert result.normalised == "oh fuck!"
    [match] = result.matches
    assert (match.kind, match.action) == (RuleKind.KEYWORDS, Action.FLAG)
    assert match.reason == Reason(ReasonKey.KEYWORD, (("keyword", "fuck"),))

    def explain(reason: Reason) -> str:  # the engine has no words; the caller brings them
        return f"{reason.key}: {dict(reason.values)}"

    assert json.loads(json.dumps(result.as_dict(explain))) == {
        "text": "Oh F\u200bU\u0336CK!",
        "normalised": "oh fuck!",
        "matches": [
            {
                "rule": "words",
                "type": "keywords",
                "action": "flag",
                "text": "F\u200bU\u0336CK",
                "span": [3, 9],
                "reason": "keyword: {'keyword': 'fuck'}",
                "reason_key": "keyword",
                "reason_values": {"keyword": "fuck"},
            }
        ],
    }
