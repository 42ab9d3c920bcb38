"""``python -m bot rules test|check``: what moderators see before deploying a rule."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.app.cli import main

RULES = """\
[community]
locale = "en"

[[moderation.rules]]
name = "swearing"
type = "keywords"
keywords = ["darn", "heck*"]
exempt_roles = ["Moderators"]

[[moderation.rules]]
name = "secrets"
type = "credentials"
"""

BROKEN = """\
[[moderation.rules]]
name = "swearing"
type = "keywords"
keywords = ["darn", "*"]

[[moderation.rules]]
name = "hang"
type = "regex"
patterns = ["(a+)+$", "(?<=x)y"]

[[moderation.rules]]
name = "typo"
type = "kewords"
"""


@pytest.fixture
def rules_file(tmp_path: Path) -> Path:
    path = tmp_path / "rules.toml"
    path.write_text(RULES, encoding="utf-8")
    return path


@pytest.fixture(autouse=True)
def no_env_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("BOTSCHAFTER_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env file


def test_rules_test_shows_normalised_text_rule_and_span(
    rules_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["rules", "test", "--config", str(rules_file), "so d.a.r.n annoying"])
    out = capsys.readouterr().out.splitlines()
    assert code == 0
    assert out[:3] == [
        "Message:    so d.a.r.n annoying",
        "Normalised: so d.a.r.n annoying",
        "Matches:    1",
    ]
    assert out[3] == "  swearing (keywords, flag): characters 3–10, “d.a.r.n”"
    assert out[5:7] == ["    so d.a.r.n annoying", "       ^^^^^^^"]


def test_rules_test_folds_look_alikes_and_reports_no_match_with_exit_1(
    rules_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["rules", "test", "--config", str(rules_file), "Ｓｃｕｎｔｈｏｒｐｅ"]) == 1
    out = capsys.readouterr().out
    assert "Normalised: scunthorpe" in out and "No rule matches (2 rule(s) checked)." in out


def test_rules_test_json_is_machine_readable(
    rules_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["rules", "test", "--json", "--config", str(rules_file), "hecking h\u200beck"])
    result = json.loads(capsys.readouterr().out)
    assert result["normalised"] == "hecking heck"
    assert [(m["rule"], m["text"], m["span"]) for m in result["matches"]] == [
        ("swearing", "hecking", [0, 7]),
        ("swearing", "h\u200beck", [8, 13]),
    ]
    assert {
        (m["reason"], m["reason_key"], json.dumps(m["reason_values"])) for m in result["matches"]
    } == {("keyword 'heck*'", "keyword", '{"keyword": "heck*"}')}


def test_rules_test_speaks_english_whatever_the_communitys_language(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "rules.toml"
    path.write_text(RULES.replace('locale = "en"', 'locale = "de"'), encoding="utf-8")
    main(["rules", "test", "--config", str(path), "darn, xoxb-1234567890-abcdefghijklmnop"])
    out = capsys.readouterr().out.splitlines()
    assert "    keyword 'darn'" in out and "    Slack token" in out


def test_rules_test_respects_exempt_roles(
    rules_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["rules", "test", "--config", str(rules_file), "--role", "Moderators", "darn"]
    assert main(args) == 1


def test_rules_test_without_a_file_says_what_to_do(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "test", "darn"]) == 2
    assert "pass --config FILE or set BOTSCHAFTER_CONFIG" in capsys.readouterr().out


def test_rules_check_accepts_a_valid_file(
    rules_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["rules", "check", str(rules_file)]) == 0
    assert capsys.readouterr().out == f"{rules_file}: 2 rule(s), all valid.\n"


def test_rules_check_names_every_problem_with_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "broken.toml"
    path.write_text(BROKEN, encoding="utf-8")
    assert main(["rules", "check", str(path)]) == 1
    out = capsys.readouterr().out.splitlines()
    # The file, the line, the rule and the key, then the engine's own words for the problem.
    assert out[0].startswith(f"{path}:4: rule 'swearing' keywords") and "'*'" in out[0]
    assert out[1].startswith(f"{path}:9: rule 'hang' patterns") and "(?<=x)y" in out[1]
    assert out[2].startswith(f"{path}:13: rule 'typo' type") and "keywords" in out[2]
    assert out[3] == "3 problem(s); the bot would not start with this file."


def test_rules_check_reports_a_toml_syntax_error_about_the_file_not_a_rule(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A file that is not TOML cannot be used at all: exit 2, like `config check`.
    path = tmp_path / "broken.toml"
    path.write_text('[[moderation.rules]]\nname = "x"\ntype = \n', encoding="utf-8")
    assert main(["rules", "check", str(path)]) == 2
    first = capsys.readouterr().out.splitlines()[0]
    assert first.startswith(f"{path}:3: not valid TOML") and "rule #" not in first


def test_rules_check_on_a_missing_file_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["rules", "check", str(tmp_path / "nope.toml")]) == 2
    assert "cannot read the file" in capsys.readouterr().out


def test_rules_check_on_a_file_that_is_not_text_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "rules.toml"
    path.write_bytes(b"\xff\xfe[[moderation.rules]]")
    assert main(["rules", "check", str(path)]) == 2
    assert capsys.readouterr().out == f"{path}: not a text file in UTF-8\n"
