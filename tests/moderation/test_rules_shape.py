"""Caps, zalgo and attachments: rules about the shape of a message."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from cogs.moderation.reasons import in_english
from cogs.moderation.rules import RulesConfigError, RuleSet, parse_rules, try_text

AT = datetime(2025, 1, 1, tzinfo=UTC)


def rules(**entry: Any) -> RuleSet:
    return RuleSet(parse_rules([{"name": "rule", **entry}]))


def reasons(ruleset: RuleSet, text: str, **kwargs: Any) -> list[str]:
    return [in_english(m.reason) for m in try_text(ruleset, text, at=AT, **kwargs).matches]


def test_shouting_is_flagged() -> None:
    ruleset = rules(type="caps", max_ratio=0.7, min_letters=10)
    assert reasons(ruleset, "STOP THAT NOW ok") == ["85% of the letters are capitals"]
    assert reasons(ruleset, "WHY IS NOBODY ANSWERING ME") == ["100% of the letters are capitals"]
    assert reasons(ruleset, "WARUM ANTWORTET NIEMAND, ÄRGERLICH!") == [
        "100% of the letters are capitals"
    ]


@pytest.mark.parametrize(
    "text",
    [
        "OK LOL",  # too few letters to be shouting
        "Hello there, how are you doing today?",
        "I like NASA and the ESA, they do great work",
        "<:KEKW:123456> <@&987654> haha that was great",
    ],
)
def test_normal_capitals_are_fine(text: str) -> None:
    assert reasons(rules(type="caps", min_letters=10), text) == []


def test_zalgo_is_flagged_on_the_stacked_letter() -> None:
    text = "he comes h\u0336\u0337\u0338\u0335\u0334e"
    [match] = try_text(rules(type="zalgo", max_stacked=3), text, at=AT).matches
    assert match.text == "h\u0336\u0337\u0338\u0335\u0334"
    assert in_english(match.reason) == "5 combining marks stacked on one character"


@pytest.mark.parametrize("text", ["Tiếng Việt rất đẹp", "café crème", "נִקּוּד", "plain"])
def test_ordinary_accents_are_not_zalgo(text: str) -> None:
    assert reasons(rules(type="zalgo"), text) == []


def test_too_many_attachments() -> None:
    ruleset = rules(type="attachments", max_count=2)
    files = ("a.png", "b.png", "c.png")
    assert reasons(ruleset, "look", attachments=files) == ["3 attachments (limit 2)"]
    assert reasons(ruleset, "look", attachments=files[:2]) == []


def test_denied_extensions_judged_by_the_last_suffix() -> None:
    ruleset = rules(type="attachments", deny_extensions=[".EXE", "scr"])
    assert reasons(ruleset, "", attachments=("photo.jpg.exe", "ok.png")) == [
        "attachment 'photo.jpg.exe' is a file type not allowed here"
    ]


def test_only_allowed_extensions() -> None:
    ruleset = rules(type="attachments", allow_extensions=["png", "jpg"])
    assert reasons(ruleset, "", attachments=("a.png", "b.JPG")) == []
    assert len(reasons(ruleset, "", attachments=("notes", "run.sh"))) == 2


def test_attachment_rule_needs_something_to_check() -> None:
    with pytest.raises(RulesConfigError, match="needs `max_count`"):
        rules(type="attachments")
    with pytest.raises(RulesConfigError, match="is not a file extension"):
        rules(type="attachments", deny_extensions=["tar.gz"])
