"""The [moderation] table: defaults that work, and errors that name the key to fix."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.config import ConfigFile, check_file
from bot.errors import ConfigError
from cogs.moderation.actions import ModAction
from cogs.moderation.config import ModerationConfig

SECTIONS = {"moderation": ModerationConfig}


def check(tmp_path: Path, text: str) -> ModerationConfig:
    path = tmp_path / "botschafter.toml"
    path.write_text(text, encoding="utf-8")
    return check_file(ConfigFile.load(path), SECTIONS).section("moderation", ModerationConfig)


def test_the_defaults_need_no_configuration(tmp_path: Path) -> None:
    config = check(tmp_path, "")
    assert [rule.type for rule in config.rules] == ["credentials", "mass_mentions"]
    assert config.timeout_duration == timedelta(hours=1)
    assert config.quorum.needed(ModAction.BAN) == 2
    assert config.quorum.needed(ModAction.WARN) == 1
    assert config.reactions.action("🗑") is ModAction.DELETE  # without the variation selector
    assert config.reactions.action("👀") is None


def test_an_empty_rule_list_switches_the_default_rules_off(tmp_path: Path) -> None:
    assert check(tmp_path, "[moderation]\nrules = []\n").rules == ()


def test_durations_are_written_like_in_commands(tmp_path: Path) -> None:
    config = check(tmp_path, '[moderation]\ntimeout_duration = "2d"\nfold_window = "90s"\n')
    assert config.timeout_duration == timedelta(days=2)
    assert config.fold_window == timedelta(seconds=90)


@pytest.mark.parametrize(
    ("toml", "key", "problem"),
    [
        ('timeout_duration = "forever"', "moderation.timeout_duration", "not a duration"),
        ("timeout_duration = 60", "moderation.timeout_duration", "as text"),
        ("[moderation.quorum]\nban = 9", "moderation.quorum.ban", "less than or equal to 5"),
        ('[moderation.reactions]\nban = "✅"', "moderation.reactions", "share an emoji"),
        ("[moderation.reports]\nlimit = 0", "moderation.reports.limit", "greater than or equal"),
        ('delete_with = ["explode"]', "moderation.delete_with.0", "dismiss"),
        (
            '[[moderation.escalation]]\ncount = 3\nthen = "warn"',
            "moderation.escalation.0.then",
            "timeout",
        ),
        ('flag_chanel = "mods"', "moderation.flag_chanel", "Extra inputs"),
        ('timeout_duration = "30d"', "moderation.timeout_duration", "at most 28d"),
        (
            '[[moderation.escalation]]\ncount = 5\nthen = "ban"\napply = true',
            "moderation",
            "quorum.ban asks for 2 moderators",
        ),
        (
            '[[moderation.escalation]]\ncount = 3\nduration = "60d"',
            "moderation.escalation.0.duration",
            "at most 28d",
        ),
    ],
)
def test_mistakes_name_the_key_and_the_problem(
    tmp_path: Path, toml: str, key: str, problem: str
) -> None:
    text = toml if toml.startswith("[") else f"[moderation]\n{toml}\n"
    with pytest.raises(ConfigError) as raised:
        check(tmp_path, text)
    message = str(raised.value)
    assert key in message and problem in message and "botschafter.toml" in message


def test_the_ladder_may_ban_by_itself_where_one_moderator_may(tmp_path: Path) -> None:
    text = (
        "[moderation.quorum]\nban = 1\n"
        '[[moderation.escalation]]\ncount = 5\nthen = "ban"\napply = true\n'
    )
    assert check(tmp_path, text).escalation[0].apply
