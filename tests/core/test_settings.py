"""Process settings: every one documented in .env.example, secrets never shown."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import AliasChoices

from bot.settings import Settings

ENV_EXAMPLE = Path(__file__).resolve().parents[2] / ".env.example"


def environment_names() -> list[str]:
    names = []
    for name, field in Settings.model_fields.items():
        alias = field.validation_alias
        assert isinstance(alias, AliasChoices), f"{name} has no environment variable"
        names.append(str(alias.choices[0]))
    return names


def test_every_setting_is_documented_in_env_example() -> None:
    documented = {
        line.split("=", 1)[0].strip()
        for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines()
        if "=" in line and not line.lstrip().startswith("#")
    }
    missing = [name for name in environment_names() if name not in documented]
    assert missing == [], f".env.example lacks: {missing}"


def test_secrets_are_masked_in_every_printed_form(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", "MTIz.secret-discord-token")
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-secret-slack-token")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    for shown in (repr(settings), str(settings), str(settings.masked())):
        assert "secret-discord-token" not in shown
        assert "secret-slack-token" not in shown
    assert settings.wants_discord and settings.wants_slack


@pytest.fixture
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in environment_names():
        monkeypatch.delenv(name, raising=False)


@pytest.mark.usefixtures("clean_environment")
def test_a_copy_of_env_example_gives_the_documented_defaults() -> None:
    # "Copy to .env and fill in what you use": the lines left empty must mean "not set".
    copied = Settings(_env_file=ENV_EXAMPLE)  # type: ignore[call-arg]
    defaults = Settings(_env_file=None)  # type: ignore[call-arg]
    assert copied.masked() == defaults.masked()
    assert copied.config_file is None
    assert copied.database_path == Path("data") / "botschafter.db"


@pytest.mark.usefixtures("clean_environment")
def test_the_log_level_may_be_written_in_lower_case(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOTSCHAFTER_LOG_LEVEL", "warning")
    assert Settings(_env_file=None).log_level == "WARNING"  # type: ignore[call-arg]
