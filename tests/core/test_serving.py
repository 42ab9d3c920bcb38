"""What a process serves: platforms by token, Discord servers by shard share; and the
shard settings refused with one line when they cannot work."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError

from bot.app.cli import main
from bot.model import Community
from bot.serving import DiscordShards, Serves, shard_of
from bot.settings import Settings

# Discord's own example (serenity, twilight and discord.js document the same formula):
# server 81384788765712384 is on shard 7 of 17.
DOCUMENTED_GUILD, DOCUMENTED_COUNT, DOCUMENTED_SHARD = 81384788765712384, 17, 7


def test_a_server_is_on_the_shard_discord_documents() -> None:
    assert shard_of(DOCUMENTED_GUILD, DOCUMENTED_COUNT) == DOCUMENTED_SHARD
    assert shard_of(DOCUMENTED_GUILD, 1) == 0


def _settings(tmp_path: Path, **values: object) -> Settings:
    return Settings(data_dir=tmp_path, _env_file=None, **values)  # type: ignore[call-arg]


def test_a_process_serves_the_platforms_it_has_tokens_for(tmp_path: Path) -> None:
    slack_only = Serves.from_settings(_settings(tmp_path, slack_bot_token=SecretStr("xoxb-1")))
    assert slack_only.serves(Community("slack", "T1"))
    assert not slack_only.serves(Community("discord", str(DOCUMENTED_GUILD)))
    assert Serves.from_settings(_settings(tmp_path)).platforms == {"local"}


def test_a_process_with_a_share_of_shards_serves_only_their_servers(tmp_path: Path) -> None:
    settings = _settings(
        tmp_path,
        discord_token=SecretStr("t"),
        slack_bot_token=SecretStr("xoxb-1"),
        discord_shard_count=DOCUMENTED_COUNT,
        discord_shard_ids=(DOCUMENTED_SHARD, 0),
    )
    serves = Serves.from_settings(settings)
    assert serves.discord_shards == DiscordShards(frozenset({0, DOCUMENTED_SHARD}), 17)
    assert serves.serves(Community("discord", str(DOCUMENTED_GUILD)))
    assert not serves.serves(Community("discord", str(DOCUMENTED_GUILD + (1 << 22))))
    assert serves.serves(Community("slack", "T1"))
    assert not serves.serves(Community("discord", "not-a-number"))


def test_every_shard_named_is_the_same_as_none(tmp_path: Path) -> None:
    settings = _settings(
        tmp_path, discord_token=SecretStr("t"), discord_shard_count=2, discord_shard_ids=(1, 0)
    )
    assert Serves.from_settings(settings).discord_shards is None


def test_shard_ids_are_read_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DISCORD_SHARD_COUNT", "4")
    monkeypatch.setenv("DISCORD_SHARD_IDS", "2, 3")
    assert _settings(tmp_path).discord_shard_ids == (2, 3)


@pytest.mark.parametrize(
    ("environment", "said"),
    [
        (
            {"DISCORD_SHARD_IDS": "0,1"},
            "DISCORD_SHARD_IDS needs DISCORD_SHARD_COUNT set to a number",
        ),
        (
            {"DISCORD_SHARD_IDS": "0", "DISCORD_SHARD_COUNT": "auto"},
            "DISCORD_SHARD_IDS needs DISCORD_SHARD_COUNT set to a number",
        ),
        (
            {"DISCORD_SHARD_IDS": "0,2", "DISCORD_SHARD_COUNT": "2"},
            "DISCORD_SHARD_IDS 2 outside 0 to 1 (DISCORD_SHARD_COUNT is 2)",
        ),
        ({"DISCORD_SHARD_IDS": "1,1", "DISCORD_SHARD_COUNT": "2"}, "names a shard twice"),
        ({"DISCORD_SHARD_COUNT": "0"}, "DISCORD_SHARD_COUNT must be at least 1"),
    ],
)
def test_shard_settings_that_cannot_work_are_one_line_and_exit_2(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    environment: dict[str, str],
    said: str,
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env from the working tree
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError):
        _settings(tmp_path)
    assert main(["config", "check"]) == 2
    err = capsys.readouterr().err
    assert said in err and "Traceback" not in err
    assert not (tmp_path / "data").exists(), "nothing created"
