"""Rule entries validated with errors that name the rule, the key and the line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from cogs.moderation.rules import (
    RuleKind,
    RulesConfigError,
    RulesField,
    load_rules_file,
    parse_rules,
    validate_rules_file,
)
from cogs.moderation.rules.config import AnyRuleSettings

RULES_FILE = """\
[community]
locale = "en"

[[moderation.rules]]
name = "slurs"
type = "keywords"
keywords = ["fine", "c*t"]

[[moderation.rules]]
name = "scams"
type = "regex"
patterns = ["(?<=x)y"]

[[moderation.rules]]
name = "shouting"
type = "caps"
max_ratio = 2

[[communities."discord:1".moderation.rules]]
name = "local"
type = "nonsense"
"""


def problems_of(entries: list[dict[str, Any]]) -> list[tuple[str | None, str, str]]:
    with pytest.raises(RulesConfigError) as raised:
        parse_rules(entries)
    return [(p.rule, p.key, p.message) for p in raised.value.problems]


def test_every_rule_type_has_a_settings_model() -> None:
    types = {model.model_fields["type"].annotation.__args__[0] for model in _models()}
    assert types == {kind.value for kind in RuleKind}


def test_problems_name_the_rule_and_the_key() -> None:
    problems = problems_of(
        [
            {"name": "ok", "type": "caps"},
            {"name": "typo", "type": "caps", "max_ration": 0.5},
            {"name": "bad type", "type": "capz"},
            {"type": "burst"},
            {"name": "ok", "type": "zalgo"},
        ]
    )
    assert problems == [
        ("typo", "max_ration", "unknown key for a rule of type 'caps'"),
        ("bad type", "type", f"`type` must be one of: {', '.join(RuleKind)}"),
        (None, "name", "Field required"),
        ("ok", "name", "the name is already used by rule #1; names must be unique"),
    ]


def test_one_pass_names_every_bad_keyword_and_a_duplicate_name_behind_another_problem() -> None:
    problems = problems_of(
        [
            {"name": "words", "type": "keywords", "keywords": ["ok", "*", "c*t", "fine", "!!"]},
            {"name": "words", "type": "caps", "max_ratio": 2},
        ]
    )
    assert [(rule, key) for rule, key, _ in problems] == [
        ("words", "keywords"),
        ("words", "max_ratio"),
        ("words", "name"),
    ]
    keywords = problems[0][2]
    assert "item 2: keyword '*'" in keywords and "item 3: keyword 'c*t'" in keywords
    assert "item 5: keyword '!!'" in keywords


def test_a_problem_without_a_name_points_at_the_entry_number() -> None:
    with pytest.raises(RulesConfigError, match=r"rule #1 name: Field required"):
        parse_rules([{"type": "burst"}])


def test_disabled_rules_are_validated_but_not_checked() -> None:
    [settings] = parse_rules([{"name": "x", "type": "caps", "enabled": False}])
    assert settings.enabled is False


def test_rules_embed_in_a_settings_model_with_named_errors() -> None:
    class Moderation(BaseModel):
        rules: RulesField = ()

    parsed = Moderation.model_validate(
        {"rules": [{"name": "x", "type": "keywords", "keywords": ["a"]}]}
    )
    assert parsed.rules[0].name == "x"
    assert Moderation.model_validate({}).rules == ()
    with pytest.raises(ValidationError, match="rule 'x' keywords: item 1: keyword 'c\\*t'"):
        Moderation.model_validate(
            {"rules": [{"name": "x", "type": "keywords", "keywords": ["c*t"]}]}
        )


def test_settings_serialise_back_to_what_was_written() -> None:
    [settings] = parse_rules([{"name": "x", "type": "keywords", "keywords": ["Cat*", "a$$"]}])
    dumped = settings.model_dump(mode="json")
    assert dumped["keywords"] == ["Cat*", "a$$"]
    assert parse_rules([dumped]) == (settings,)


def test_file_problems_come_with_their_lines(tmp_path: Path) -> None:
    path = tmp_path / "rules.toml"
    path.write_text(RULES_FILE, encoding="utf-8")
    problems = validate_rules_file(path)
    assert [(p.line, p.rule, p.key) for p in problems] == [
        (7, "slurs", "keywords"),
        (12, "scams", "patterns.0"),
        (17, "shouting", "max_ratio"),
        (21, "local", "type"),
    ]
    assert str(problems[0]).startswith("line 7: rule 'slurs' keywords: item 2: keyword 'c*t'")


def test_a_toml_syntax_error_has_its_line(tmp_path: Path) -> None:
    path = tmp_path / "rules.toml"
    path.write_text('[[moderation.rules]]\nname = "x"\ntype = \n', encoding="utf-8")
    [problem] = validate_rules_file(path)
    assert problem.line == 3
    assert problem.message.startswith("not valid TOML")


def test_load_rules_for_a_community_or_the_shared_list(tmp_path: Path) -> None:
    path = tmp_path / "rules.toml"
    path.write_text(
        '[[moderation.rules]]\nname = "shared"\ntype = "caps"\n\n'
        '[[communities."discord:1".moderation.rules]]\nname = "own"\ntype = "zalgo"\n',
        encoding="utf-8",
    )
    assert [s.name for s in load_rules_file(path).settings] == ["shared"]
    assert [s.name for s in load_rules_file(path, "discord:1").settings] == ["own"]
    assert [s.name for s in load_rules_file(path, "slack:T1").settings] == ["shared"]


def test_loading_a_file_with_problems_raises_them_all(tmp_path: Path) -> None:
    path = tmp_path / "rules.toml"
    path.write_text(RULES_FILE, encoding="utf-8")
    with pytest.raises(RulesConfigError) as raised:
        load_rules_file(path)
    assert len(raised.value.problems) == 4


def _models() -> list[type[BaseModel]]:
    return list(AnyRuleSettings.__origin__.__args__)  # type: ignore[attr-defined]
