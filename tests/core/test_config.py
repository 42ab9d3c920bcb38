"""Community configuration: clear errors that name file, key and problem."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import pytest
from pydantic import BaseModel

from bot.app.cli import main
from bot.app.local_session import LocalSession
from bot.config import ConfigFile, ConfigStore, check_file, mask_secrets
from bot.errors import ConfigError
from bot.settings import Settings
from cogs import all_cogs
from storage.overrides import OverrideRepository


def test_broken_toml_names_the_file_and_line(write_config: Callable[[str], Path]) -> None:
    path = write_config("[community]\nlocale = en\n")
    with pytest.raises(ConfigError) as error:
        check_file(ConfigFile.load(path), {})
    message = str(error.value)
    assert str(path) in message and "line 2" in message


def test_a_wrong_value_names_the_key(write_config: Callable[[str], Path]) -> None:
    path = write_config("[community.roles]\nmoderators = 'Mods'\n")
    with pytest.raises(ConfigError) as error:
        check_file(ConfigFile.load(path), {})
    expected = f"{path}, line 2: community.roles.moderators: Input should be a valid list"
    assert expected in str(error.value)


def test_a_typo_in_a_key_is_an_error_not_ignored(write_config: Callable[[str], Path]) -> None:
    path = write_config("[community.channels]\nwelcom = 'hello'\n")
    with pytest.raises(ConfigError, match=r"community\.channels\.welcom: Extra inputs"):
        check_file(ConfigFile.load(path), {})


def test_an_unknown_table_lists_the_known_ones(write_config: Callable[[str], Path]) -> None:
    path = write_config("[welcom]\nchannel = 'x'\n")
    with pytest.raises(ConfigError, match=r"unknown table \[welcom\]; known tables are"):
        check_file(ConfigFile.load(path), {})


def test_per_community_tables_are_validated_too(write_config: Callable[[str], Path]) -> None:
    path = write_config('[communities."local:demo".community]\nlocale = 5\n')
    with pytest.raises(
        ConfigError, match=r'communities\."local:demo"\], line 2: community\.locale'
    ):
        check_file(ConfigFile.load(path), {})


def test_a_missing_file_says_so(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="file not found"):
        ConfigFile.load(tmp_path / "nope.toml")


async def test_the_bot_refuses_to_start_on_a_broken_config(
    settings: Settings, write_config: Callable[[str], Path]
) -> None:
    write_config("[community]\nlocale = [1]\n")
    with pytest.raises(ConfigError):
        await LocalSession.open(settings)


def test_config_check_prints_a_clear_error_and_exits_non_zero(
    write_config: Callable[[str], Path], capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_config("[community]\nlocale = [1]\n")
    assert main(["--config", str(path), "config", "check"]) == 2
    assert "community.locale: Input should be a valid string" in capsys.readouterr().err


def test_config_check_masks_secrets(
    write_config: Callable[[str], Path],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", "super-secret-token")
    path = write_config("[community]\nlocale = 'de'\n")
    assert main(["--config", str(path), "config", "check"]) == 0
    out = capsys.readouterr().out
    assert "super-secret-token" not in out
    assert "discord_token = ********" in out
    assert '"locale": "de"' in out


async def test_per_community_tables_override_the_defaults(
    settings: Settings, write_config: Callable[[str], Path]
) -> None:
    write_config(
        '[community]\nlocale = \'en\'\n[communities."local:demo".community]\nlocale = "de"\n'
    )
    session = await LocalSession.open(settings)
    config = await session.app.services.config.get(session.community.community)
    assert config.community.locale == "de"
    await session.app.close()


def test_an_unknown_key_suggests_the_known_ones(write_config: Callable[[str], Path]) -> None:
    path = write_config("[community.channels]\nwelcom = 'hello'\n")
    with pytest.raises(ConfigError) as error:
        check_file(ConfigFile.load(path), {})
    assert "community.channels.welcom: Extra inputs are not permitted (unknown key; did you " in (
        str(error.value)
    )
    assert "did you mean welcome? known keys here: welcome, rules, general" in str(error.value)


def test_a_table_given_one_value_says_to_set_its_keys(
    write_config: Callable[[str], Path],
) -> None:
    path = write_config("[community]\nroles = 'Admins'\n")
    with pytest.raises(ConfigError) as error:
        check_file(ConfigFile.load(path), {})
    assert str(error.value) == (
        f"{path}, line 2: community.roles: this is a table of settings, not one value: "
        "set its keys admins, moderators, ambassadors, member"
    )


def test_config_check_never_prints_a_webhook_token(
    write_config: Callable[[str], Path], capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_config(
        '[tickets]\ncompany_webhook = "https://hooks.slack.com/services/T0/B0/SeCrEtToKeN"\n'
    )
    assert main(["--config", str(path), "config", "check"]) == 0
    out = capsys.readouterr().out
    assert "SeCrEtToKeN" not in out
    assert '"company_webhook": "https://hooks.slack.com/********"' in out


def test_masking_keeps_empty_values_and_ordinary_keys() -> None:
    shown = mask_secrets(
        {"webhook": "", "api_token": "abc", "hooks": {"webhook": "x"}, "channel": "tokens"}
    )
    assert shown == {
        "webhook": "",
        "api_token": "********",
        "hooks": {"webhook": "********"},
        "channel": "tokens",
    }


async def test_a_stale_stored_override_is_skipped_alone_and_logged(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    session = await LocalSession.open(settings)
    community = session.community.community
    now = session.app.services.clock.now()
    overrides = OverrideRepository(session.app.services.db)
    # As an older version or a changed file could have left them behind, found at start-up
    # (which reads the configuration already, to catch up on reactions):
    await overrides.set(community.key, "community.locale", "de", "alice", now)
    await overrides.set(community.key, "welcome.waves.joins", 1, "alice", now)
    await overrides.set(community.key, "welcome.greeting", "hi", "alice", now)
    await session.app.close()
    with caplog.at_level(logging.WARNING):
        session = await LocalSession.open(settings)
    try:
        services = session.app.services
        config = await services.config.get(community)
        assert config.community.locale == "de"  # the good override still applies
        warnings = caplog.text
        assert "ignoring the stored override welcome.waves.joins of local:demo" in warnings
        assert "(/config reset welcome.waves.joins removes it)" in warnings
        assert "ignoring the stored override welcome.greeting" in warnings
    finally:
        await session.app.close()


BROKEN_EVERYWHERE = """\
[community]
locale = 5

[welcom]
channel = "hi"

[welcome]
nonsense = true

[moderation]
timeout_duration = "99d"

[tickets]
quiet_after = "5 days"

[communities."local:demo".community]
locale = [1]

[communities.demo]
locale = "de"
"""


def test_config_check_reports_every_problem_of_every_table_in_one_run(
    write_config: Callable[[str], Path], capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_config(BROKEN_EVERYWHERE)
    assert main(["--config", str(path), "config", "check"]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert lines[0] == "Configuration error:"
    assert lines[1:] == [
        f"{path}, line 2: community.locale: Input should be a valid string",
        f"{path}, line 4: unknown table [welcom]; known tables are [communities], "
        "[community], [moderation], [tickets], [welcome]",
        f"{path}, line 8: welcome.nonsense: Extra inputs are not permitted (unknown key; "
        "known keys here: enabled, channel, public, dm, templates, rules, waves, raids, kudos)",
        f"{path}, line 11: moderation.timeout_duration: a timeout lasts at most 28d",
        f"{path}, line 14: tickets.quiet_after: “5 days” is not a duration. Use a number "
        "and a unit, like 30m, 12h or 3d.",
        f'{path} [communities."local:demo"], line 17: community.locale: Input should be a '
        "valid string",
        f'{path}, line 19: [communities."demo"]: one table per community, named '
        '"platform:id", e.g. [communities."discord:123456789"]',
    ]


def test_a_mistake_in_the_defaults_is_reported_once_not_again_for_each_community(
    write_config: Callable[[str], Path],
) -> None:
    path = write_config(
        '[welcome]\nnonsense = 1\n[communities."local:a".community]\nlocale = "de"\n'
        '[communities."local:b".welcome]\nnonsense = 2\n'
    )
    with pytest.raises(ConfigError) as error:
        check_file(ConfigFile.load(path), sections())
    problems = str(error.value).splitlines()
    assert [p.split(": ")[0] for p in problems] == [
        f"{path}, line 2",
        f'{path} [communities."local:b"], line 6',  # b sets it again in its own table
    ]


def test_a_rules_list_with_two_broken_rules_puts_each_on_its_own_line(
    write_config: Callable[[str], Path],
) -> None:
    path = write_config(
        '[[moderation.rules]]\nname = "a"\ntype = "nope"\n'
        '[[moderation.rules]]\nname = "b"\ntype = "keywords"\n'
    )
    with pytest.raises(ConfigError) as error:
        check_file(ConfigFile.load(path), sections())
    problems = str(error.value).splitlines()
    assert len(problems) == 2
    assert problems[0].startswith(f"{path}, line 1: moderation.rules: rule 'a' type: ")
    assert problems[1].startswith(f"{path}, line 1: moderation.rules: rule 'b' ")


def test_a_file_that_is_not_utf8_names_its_line_instead_of_crashing(tmp_path: Path) -> None:
    path = tmp_path / "latin1.toml"
    path.write_bytes('[community]\nname = "Café"\n'.encode("latin-1"))
    with pytest.raises(ConfigError) as error:
        ConfigFile.load(path)
    assert str(error.value) == f"{path}, line 2: not UTF-8 text (byte 0xe9); save the file as UTF-8"


@pytest.mark.parametrize(
    "text",
    [
        "x = " + "[" * 5000 + "]" * 5000,
        "x = " + "{a = " * 3000 + "1" + "}" * 3000,
        "[" + ".".join(["t"] * 3000) + "]\na = 1",
        "[community]\nname = " + "[" * 20 + "]" * 20,
    ],
    ids=["arrays", "inline tables", "dotted tables", "just too deep"],
)
def test_deep_nesting_is_a_configuration_error_not_a_crash(tmp_path: Path, text: str) -> None:
    path = tmp_path / "deep.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match="nested too deeply"):
        check_file(ConfigFile.load(path), sections())


def test_config_check_of_a_non_utf8_file_exits_2_without_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bot.toml"
    path.write_bytes(b"[community]\nname = '\xff'\n")
    assert main(["--config", str(path), "config", "check"]) == 2
    assert "not UTF-8 text" in capsys.readouterr().err


def sections() -> dict[str, type[BaseModel]]:
    return {c.name: c.config_model for c in all_cogs() if c.config_model is not None}


async def test_an_override_stored_by_another_process_applies_here_once_the_cache_is_old(
    settings: Settings,
) -> None:
    session = await LocalSession.open(settings)
    try:
        services = session.app.services
        community = session.community.community
        sections = {c.name: c.config_model for c in all_cogs() if c.config_model is not None}
        moments = [0.0]
        here = ConfigStore(
            services.config.file,
            OverrideRepository(services.db),
            sections,
            max_age=5.0,
            monotonic=lambda: moments[0],
        )
        assert (await here.get(community)).community.locale == "en"
        # Another process's /config set: its own store, the same database.
        await services.config.set_override(
            community, "community.locale", "de", "alice", services.clock.now()
        )
        moments[0] = 4.9
        assert (await here.get(community)).community.locale == "en"
        moments[0] = 5.0
        assert (await here.get(community)).community.locale == "de"
    finally:
        await session.app.close()
