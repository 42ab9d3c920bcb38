"""``python -m bot rules export --discord-automod``: keyword and regex rules as Discord
AutoMod rules within Discord's documented limits, and what does not fit, with why."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.app.cli import main
from cogs.moderation.automod.export import ExportOptions, export
from cogs.moderation.rules import parse_rules

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "docs/examples/botschafter.toml"


def rules(*entries: dict[str, Any]) -> Any:
    return parse_rules([{"name": f"rule {i}", **e} for i, e in enumerate(entries)])


def keywords(words: list[str], **extra: Any) -> dict[str, Any]:
    return {"type": "keywords", "keywords": words, "action": "delete_and_flag", **extra}


def patterns(written: list[str], **extra: Any) -> dict[str, Any]:
    return {"type": "regex", "patterns": written, "action": "delete_and_flag", **extra}


def test_the_default_rules_have_nothing_for_automod_and_say_the_bot_keeps_them(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("BOTSCHAFTER_CONFIG", raising=False)
    assert main(["rules", "export", "--discord-automod"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out) == {"community": None, "rules": []}
    assert "the default rules: 0 keyword/regex rule(s) → 0 AutoMod rule(s)" in err
    assert "the bot alone checks:\n  leaked secrets, mass mentions" in err


def test_the_example_file_exports_its_swear_words_as_an_alert_when_given_a_channel(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["--config", str(EXAMPLE), "rules", "export", "--discord-automod"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["rules"] == []
    assert "swearing: the whole rule: action 'flag' keeps the message" in err
    assert "--alert-channel ID" in err
    assert "refunds: the whole rule: watch words" in err

    argv = ["--config", str(EXAMPLE), "rules", "export", "--discord-automod"]
    assert main([*argv, "--alert-channel", "1234"]) == 0
    out, err = capsys.readouterr()
    [rule] = json.loads(out)["rules"]
    assert rule == {
        "name": "Botschafter: swearing",
        "event_type": 1,
        "trigger_type": 1,
        "trigger_metadata": {"keyword_filter": ["darn", "heck*"], "allow_list": ["heckle*"]},
        "actions": [{"type": 2, "metadata": {"channel_id": "1234"}}],
        "enabled": True,
        "exempt_roles": [],
        "exempt_channels": [],
    }
    assert "Botschafter: swearing: 2 keyword(s), 0 pattern(s), 1 allowed; alerts" in err
    assert "Apply with: python -m bot discord automod sync -" in err


def test_output_to_a_file_prints_the_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "rules.toml"
    config.write_text(
        '[[moderation.rules]]\nname = "scams"\ntype = "regex"\n'
        "patterns = ['free\\s+nitro']\naction = \"delete_and_flag\"\n",
        encoding="utf-8",
    )
    output = tmp_path / "automod.json"
    argv = ["--config", str(config), "rules", "export", "--discord-automod"]
    assert main([*argv, "--output", str(output), "--timeout", "10m"]) == 0
    out = capsys.readouterr().out
    [rule] = json.loads(output.read_text(encoding="utf-8"))["rules"]
    assert rule["trigger_metadata"] == {"regex_patterns": ["(?i)free\\s+nitro"]}
    assert [a["type"] for a in rule["actions"]] == [1, 3]
    assert rule["actions"][1]["metadata"] == {"duration_seconds": 600}
    assert rule["actions"][0]["metadata"]["custom_message"] == (
        "Blocked: this breaks the community rule “scams”. The moderators can see what you wrote."
    )
    assert f"Apply with: python -m bot discord automod sync {output}" in out


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["--alert-channel", "#mods"], "give the channel's ID"),
        (["--timeout", "forever"], "--timeout 'forever'"),
        (["--timeout", "40d"], "between 1s and 28d"),
    ],
)
def test_bad_options_are_refused_with_what_to_do(
    argv: list[str], said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    base = ["--config", str(EXAMPLE), "rules", "export", "--discord-automod"]
    assert main([*base, *argv]) == 2
    assert said in capsys.readouterr().err


def test_without_a_format_it_asks_for_one(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--config", str(EXAMPLE), "rules", "export"]) == 2
    assert "--discord-automod" in capsys.readouterr().err


def test_a_long_list_is_split_into_rules_of_1000_keywords() -> None:
    result = export(rules(keywords([f"word{i}" for i in range(2500)])))
    assert [r["name"] for r in result.rules] == [
        "Botschafter: rule 0 (1/3)",
        "Botschafter: rule 0 (2/3)",
        "Botschafter: rule 0 (3/3)",
    ]
    sizes = [len(r["trigger_metadata"]["keyword_filter"]) for r in result.rules]
    assert sizes == [1000, 1000, 500] and not result.left_out


def test_patterns_go_ten_to_a_rule() -> None:
    result = export(rules(patterns([f"bad{i}x" for i in range(12)])))
    assert [len(r["trigger_metadata"]["regex_patterns"]) for r in result.rules] == [10, 2]


def test_what_does_not_fit_is_left_out_and_named_with_why() -> None:
    result = export(
        rules(
            keywords(["ok", "x" * 61]),
            patterns(["fine", "a" * 258, r"\Qa.b\E", r"\C", r"\101"]),
            keywords(["ok"], allow=[f"allowed{i}" for i in range(101)]),
            keywords(["ok"], channels=["general"]),
            keywords(["ok"], action="flag"),
        )
    )
    said = [str(item) for item in result.left_out]
    assert said[0] == f"rule 0: keyword '{'x' * 61}': longer than 60 characters (61)"
    assert "rule 1: pattern '" + "a" * 258 + "': longer than 260 characters (262 with (?i))" in said
    assert any(r"\Q…\E quoting is RE2's own" in s for s in said)
    assert any(r"\C (any single byte) has no Rust equivalent" in s for s in said)
    assert any("an octal escape" in s for s in said)
    assert any("rule 2: the whole rule: its allow list has 101 entries" in s for s in said)
    assert any("rule 3: the whole rule: it applies only in some channels" in s for s in said)
    assert any("rule 4: the whole rule: action 'flag' keeps the message" in s for s in said)
    assert [r["name"] for r in result.rules] == ["Botschafter: rule 0", "Botschafter: rule 1"]
    assert result.rules[1]["trigger_metadata"]["regex_patterns"] == ["(?i)fine"]


def test_a_server_takes_six_keyword_rules_and_the_rest_is_named() -> None:
    result = export(rules(*(keywords([f"w{i}"]) for i in range(8))))
    assert len(result.rules) == 6
    assert [str(i) for i in result.left_out] == [
        f"rule {i}: this part: Discord allows 6 keyword rules per server; the bot's own "
        "check still covers it"
        for i in (6, 7)
    ]


def test_the_authors_note_stays_within_150_characters() -> None:
    long_name = "n" * 100
    result = export(
        parse_rules([{"name": long_name, **keywords(["x"])}]),
        ExportOptions(
            block_message=lambda rule: (
                f"Blocked by the rule “{rule}”. Please reword your "
                "message; the moderators can see what you wrote."
            )
        ),
    )
    [rule] = result.rules
    note = rule["actions"][0]["metadata"]["custom_message"]
    assert len(note) == 150 and "n…”. Please reword" in note
    assert note.endswith("the moderators can see what you wrote.")
    assert len(rule["name"]) <= 100


def test_a_disabled_rule_is_exported_disabled_and_exempt_roles_kept() -> None:
    result = export(
        rules(keywords(["x"], enabled=False, exempt_roles=["Moderators", "123"])),
        ExportOptions(timeout=timedelta(hours=1)),
    )
    [rule] = result.rules
    assert rule["enabled"] is False and rule["exempt_roles"] == ["Moderators", "123"]
    assert rule["actions"][-1] == {"type": 3, "metadata": {"duration_seconds": 3600}}


def test_long_rule_names_stay_unique_within_100_characters_and_the_same_on_every_run() -> None:
    start = (
        "Harassment, threats and doxxing of members, moderators and staff, in public channels and "
    )
    names = [f"{start}threads", f"{start}voice chats", "short"]
    settings = parse_rules([{"name": n, **keywords([f"w{i}"])} for i, n in enumerate(names)])
    first = [r["name"] for r in export(settings).rules]
    assert first == [r["name"] for r in export(settings).rules]
    assert len(set(first)) == 3 and all(len(n) <= 100 for n in first)
    assert first[0].startswith(f"Botschafter: {start[:60]}") and "…" in first[0]
    assert first[2] == "Botschafter: short", "a name that fits is left as it was"


def test_a_rule_named_like_a_part_of_a_split_rule_gets_its_own_name() -> None:
    split = keywords([f"word{i}" for i in range(1500)])
    settings = parse_rules([{"name": "x", **split}, {"name": "x (1/2)", **keywords(["y"])}])
    names = [r["name"] for r in export(settings).rules]
    assert len(names) == 3 and len(set(names)) == 3
    assert names[1] == "Botschafter: x (2/2)"
