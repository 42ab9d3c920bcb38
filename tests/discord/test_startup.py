"""Starting on Discord: which client the settings build, and the ``discord`` CLI commands."""

from __future__ import annotations

import base64
from typing import Any

import discord
import pytest
from pydantic import SecretStr

from adapters.discord import DiscordAdapter
from adapters.discord.cli import application_id_from_token
from adapters.discord.client import intents
from bot.app.cli import main
from bot.app.runner import platform_adapters
from bot.settings import Settings

APPLICATION_ID = 123456789012345678
TOKEN = base64.b64encode(str(APPLICATION_ID).encode()).decode().rstrip("=") + ".GxYz.secret"


def test_with_a_discord_token_the_bot_runs_on_discord(settings: Settings) -> None:
    assert platform_adapters(settings) == []
    settings.discord_token = SecretStr(TOKEN)
    (adapter,) = platform_adapters(settings)
    assert isinstance(adapter, DiscordAdapter)
    client = adapter.client
    assert type(client) is discord.Client, "one connection unless sharding is configured"
    assert client.intents == intents()
    assert client.intents.members and client.intents.message_content
    assert not client._connection._chunk_guilds, "no member download at start-up"


@pytest.mark.parametrize(("configured", "expected"), [("auto", None), (4, 4)])
def test_a_configured_shard_count_makes_an_auto_sharded_client(
    settings: Settings, configured: Any, expected: int | None
) -> None:
    settings.discord_token = SecretStr(TOKEN)
    settings.discord_shard_count = configured
    (adapter,) = platform_adapters(settings)
    assert isinstance(adapter.client, discord.AutoShardedClient)
    assert adapter.client.shard_count == expected


def test_the_application_id_is_read_from_the_token_without_a_request() -> None:
    assert application_id_from_token(TOKEN) == APPLICATION_ID
    assert application_id_from_token("not-a-token") is None
    assert application_id_from_token("") is None


def test_invite_prints_the_link_and_why_each_permission(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env from the working tree
    monkeypatch.setenv("DISCORD_TOKEN", TOKEN)
    assert main(["discord", "invite"]) == 0
    out = capsys.readouterr().out
    assert f"client_id={APPLICATION_ID}" in out and "applications.commands" in out
    assert "Ban Members: ban on a moderator's decision" in out
    assert "secret" not in out


def test_invite_without_any_id_explains_where_to_find_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DISCORD_TOKEN", raising=False)
    monkeypatch.delenv("DISCORD_APPLICATION_ID", raising=False)
    assert main(["discord", "invite"]) == 2
    assert "DISCORD_APPLICATION_ID" in capsys.readouterr().err


def test_sync_without_a_token_says_what_is_missing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DISCORD_TOKEN", raising=False)
    assert main(["discord", "sync"]) == 2
    assert "DISCORD_TOKEN is not set" in capsys.readouterr().err


def test_server_ids_are_read_from_a_comma_separated_list(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISCORD_GUILD_IDS", "111, 222 333")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.discord_guild_ids == (111, 222, 333)
