"""The app manifest comes from the same declarations the bot serves."""

from __future__ import annotations

import json

import pytest

from adapters.slack.listeners import EVENTS
from adapters.slack.manifest import build_manifest
from bot.app.cli import main
from bot.cog import declared_commands
from cogs import all_cogs


def test_every_declared_command_is_a_slash_command_once_per_group() -> None:
    commands, actions = declared_commands(all_cogs())
    manifest = build_manifest(commands, actions)
    slash = {c["command"]: c for c in manifest["features"]["slash_commands"]}
    tops = {"/" + c.path.split(" ")[0] for c in commands}
    assert set(slash) == tops
    assert slash["/config"]["description"] == "show, set, reset (/config alone explains each)"
    ticket = slash["/ticket"]["description"]
    assert ticket.startswith("open, ") and ticket.endswith("(/ticket alone explains each)")
    assert all(len(c["description"]) <= 100 for c in slash.values())
    assert all(c["should_escape"] for c in slash.values())
    shortcuts = manifest["features"].get("shortcuts", [])
    assert [s["name"] for s in shortcuts] == [a.name for a in actions]


def test_socket_mode_is_the_default_and_http_sets_request_urls() -> None:
    commands, actions = declared_commands(all_cogs())
    socket = build_manifest(commands, actions)
    assert socket["settings"]["socket_mode_enabled"] is True
    assert "request_url" not in socket["settings"]["event_subscriptions"]
    url = "https://bot.example.org/slack/events"
    http = build_manifest(commands, actions, request_url=url)
    assert http["settings"]["socket_mode_enabled"] is False
    assert http["settings"]["interactivity"]["request_url"] == url
    assert all(c["url"] == url for c in http["features"]["slash_commands"])


def test_subscribed_events_and_scopes_cover_what_the_adapter_handles() -> None:
    manifest = build_manifest([], [])
    events = set(manifest["settings"]["event_subscriptions"]["bot_events"])
    assert {"team_join", "member_joined_channel", "reaction_added", "message.channels"} <= events
    assert "user_change" in events  # deactivations keep the member count true
    assert len(EVENTS) == 6
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    assert {"commands", "chat:write", "users:read", "reactions:read", "im:write"} <= scopes
    assert "channels:join" in scopes  # start-up joins the configured public channels
    assert "user" not in manifest["oauth_config"]["scopes"]
    with_admin = build_manifest([], [], admin_user_scope=True)
    assert with_admin["oauth_config"]["scopes"]["user"] == ["chat:write"]


def test_the_cli_prints_the_manifest_without_connecting(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: object
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "")
    assert main(["--data-dir", str(tmp_path), "slack", "manifest", "--name", "Ambassador"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["display_information"]["name"] == "Ambassador"
    assert "/help" in {c["command"] for c in printed["features"]["slash_commands"]}
