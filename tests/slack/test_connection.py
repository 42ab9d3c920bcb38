"""Connecting: Socket Mode against a local WebSocket fake, and the start-up checks that
turn a wrong token into one clear line."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable
from typing import Any

import aiohttp
import pytest
from pydantic import SecretStr
from slack_fake_api import APP_TOKEN, BOT_TOKEN, SlackApiFake
from slack_harness_users import BEN, seed

from adapters.slack import SlackAdapter, SlackOptions
from adapters.slack.cli import check_tokens
from bot.app.application import App
from bot.app.connecting import Backoff
from bot.app.runner import platform_adapters, serve
from bot.app.web import server as web
from bot.clock import VirtualClock
from bot.errors import ConfigError
from bot.settings import Settings
from cogs.meta import MetaCog
from tests.ports import free_port


async def test_socket_mode_receives_a_command_acks_the_envelope_and_replies(
    fake: SlackApiFake, settings: Settings, clock: VirtualClock
) -> None:
    adapter = SlackAdapter(
        SlackOptions(bot_token=BOT_TOKEN, app_token=APP_TOKEN, api_url=fake.api_url)
    )
    app = await App.create(settings, [adapter], clock=clock, cog_types=[MetaCog])
    try:
        await adapter.start(app)
        assert fake.called("apps.connections.open")[0].token == APP_TOKEN
        await fake.socket_send(slash_command(fake, "/help"))
        await fake.wait_until(lambda: fake.socket_acks and fake.private_to(BEN))
        assert fake.socket_acks[0]["envelope_id"] == "env-1"
        await adapter.work.idle()
        assert "/about" in fake.private_to(BEN)[0]
        assert adapter.is_connected()  # what /readyz reports
    finally:
        await app.close()
    assert not adapter.is_connected()


async def test_a_rejected_bot_token_is_one_clear_line(
    fake: SlackApiFake, settings: Settings, clock: VirtualClock
) -> None:
    adapter = SlackAdapter(
        SlackOptions(bot_token="xoxb-revoked", app_token=APP_TOKEN, api_url=fake.api_url)
    )
    app = await App.create(settings, [adapter], clock=clock, cog_types=[MetaCog])
    try:
        with pytest.raises(ConfigError) as raised:
            await adapter.start(app)
    finally:
        await app.close()
    message = str(raised.value)
    assert message.count("\n") == 0
    assert "SLACK_BOT_TOKEN" in message and "invalid_auth" in message
    assert "xoxb-revoked" not in message


async def test_a_rejected_app_token_fails_at_once_instead_of_retrying_forever(
    fake: SlackApiFake, settings: Settings, clock: VirtualClock
) -> None:
    adapter = SlackAdapter(
        SlackOptions(bot_token=BOT_TOKEN, app_token="xapp-wrong", api_url=fake.api_url)
    )
    app = await App.create(settings, [adapter], clock=clock, cog_types=[MetaCog])
    try:
        with pytest.raises(ConfigError, match="SLACK_APP_TOKEN"):
            await asyncio.wait_for(adapter.start(app), timeout=5)
    finally:
        await app.close()


def test_token_shapes_are_checked_before_asking_slack() -> None:
    problems = SlackOptions(bot_token="xoxp-user-token", app_token="").problems()
    assert any("xoxb-" in p for p in problems) and any("xapp-" in p for p in problems)
    http = SlackOptions(bot_token=BOT_TOKEN, mode="http").problems()
    assert http == [
        "SLACK_SIGNING_SECRET is required in HTTP mode (Basic Information → App Credentials)."
    ]


async def test_a_slack_unreachable_at_start_is_tried_again_until_it_answers(
    settings: Settings, clock: VirtualClock, caplog: pytest.LogCaptureFixture
) -> None:
    """The router comes up after the bot: /readyz says not ready (the process is alive),
    a warning per attempt, then the bot connects and answers without a restart."""
    settings.web_enabled, settings.web_port = True, 0
    port = free_port()
    adapter = SlackAdapter(
        SlackOptions(
            bot_token=BOT_TOKEN, app_token=APP_TOKEN, api_url=f"http://127.0.0.1:{port}/api/"
        )
    )
    app = await App.create(
        settings, [adapter], clock=clock, cog_types=[MetaCog], backoff=Backoff(first=0.05)
    )
    fake = SlackApiFake()
    seed(fake)
    try:
        async with web.serving(
            app.services, settings, scheduler_task=lambda: app.scheduler_task
        ) as server:
            assert server is not None
            await asyncio.wait_for(app.start(), timeout=5)
            assert await answer(server.url + "/healthz") == (200, "alive")
            assert await answer(server.url + "/readyz") == (503, "not ready")
            await fake.start(port)
            await until(adapter.is_connected)
            assert await answer(server.url + "/readyz") == (200, "ready")
            await fake.socket_send(slash_command(fake, "/help"))
            await fake.wait_until(lambda: fake.private_to(BEN))
            assert "/about" in fake.private_to(BEN)[0]
    finally:
        await app.close()
        await fake.close()
    warnings = [r for r in caplog.records if "Could not reach Slack" in r.getMessage()]
    assert warnings and all(r.levelname == "WARNING" and not r.exc_info for r in warnings)
    assert "ClientConnectorError" in warnings[0].getMessage()
    assert "Attempt 1 failed; trying again in" in warnings[0].getMessage()
    assert BOT_TOKEN not in caplog.text and APP_TOKEN not in caplog.text


async def test_slack_answering_500_at_start_is_tried_again_not_a_config_error(
    fake: SlackApiFake, settings: Settings, clock: VirtualClock, caplog: pytest.LogCaptureFixture
) -> None:
    fake.fail("auth.test", status=503, error="service_unavailable", times=2)
    adapter = SlackAdapter(
        SlackOptions(bot_token=BOT_TOKEN, app_token=APP_TOKEN, api_url=fake.api_url)
    )
    app = await App.create(
        settings, [adapter], clock=clock, cog_types=[MetaCog], backoff=Backoff(first=0.01)
    )
    try:
        await asyncio.wait_for(app.start(), timeout=5)
        await until(adapter.is_connected)
    finally:
        await app.close()
    assert "Could not reach Slack" in caplog.text and "HTTP 503" in caplog.text


async def test_stopping_while_slack_cannot_be_reached_is_prompt_and_exits_0(
    settings: Settings, clock: VirtualClock
) -> None:
    adapter = SlackAdapter(
        SlackOptions(
            bot_token=BOT_TOKEN,
            app_token=APP_TOKEN,
            api_url=f"http://127.0.0.1:{free_port()}/api/",
        )
    )
    app = await App.create(settings, [adapter], clock=clock, cog_types=[MetaCog])  # 5 s waits
    try:
        serving = asyncio.create_task(serve(app, settings))
        await asyncio.sleep(0.2)  # the first attempt failed; the bot waits
        assert not serving.done()
        app.request_stop()  # what SIGTERM and Ctrl-C do
        assert await asyncio.wait_for(serving, timeout=1) == 0
    finally:
        await app.close()


async def until(condition: Callable[[], bool]) -> None:
    """Wait (five seconds at most) for the bot's connection attempts to get there."""
    async with asyncio.timeout(5):
        while not condition():  # noqa: ASYNC110  (a connection sets no event to wait on)
            await asyncio.sleep(0.01)


async def answer(url: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        return response.status, (await response.json())["status"]


def slash_command(fake: SlackApiFake, command: str) -> dict[str, Any]:
    """Ben's slash command, as Slack sends it over Socket Mode."""
    return {
        "type": "slash_commands",
        "envelope_id": "env-1",
        "accepts_response_payload": True,
        "payload": {
            "command": command,
            "text": "",
            "user_id": BEN,
            "user_name": "ben",
            "channel_id": "C0GENERAL",
            "team_id": "T0TEST",
            "response_url": fake.response_url(BEN),
            "trigger_id": "trigger",
        },
    }


def test_start_up_runs_on_slack_when_the_bot_token_is_set(settings: Settings) -> None:
    assert platform_adapters(settings) == []
    settings.slack_bot_token = SecretStr(BOT_TOKEN)
    adapters = platform_adapters(settings)
    assert [a.name for a in adapters] == ["slack"]
    settings.discord_token = SecretStr("MTIz.discord-token")
    assert [a.name for a in platform_adapters(settings)] == ["discord", "slack"]


async def test_slack_check_reports_the_workspace_and_capabilities(
    fake: SlackApiFake, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    settings.slack_bot_token = SecretStr(BOT_TOKEN)
    settings.slack_app_token = SecretStr(APP_TOKEN)
    settings.slack_api_url = fake.api_url
    assert await check_tokens(argparse.Namespace(), settings) == 0
    out = capsys.readouterr().out
    assert "Workspace: Botschafter Test (T0TEST)" in out
    assert "no   ban members" in out and "yes  show forms" in out
    settings.slack_app_token = SecretStr("xapp-revoked")
    assert await check_tokens(argparse.Namespace(), settings) == 1
    assert "Slack rejected SLACK_APP_TOKEN" in capsys.readouterr().err
