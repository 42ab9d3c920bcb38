"""Socket Mode comes back after a drop whose URL has gone bad, and its URL stays secret.

Slack's Socket Mode URL carries a one-time ``ticket``. slack_sdk's reconnect loop asks for
a new URL only when it has none, so once a handshake with the current URL failed (a blip
while Slack rotates sockets), it retried that spent URL forever: the bot stayed deaf until
a restart, logging the URL with its ticket at ERROR on every try.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator, Callable

import pytest
from slack_fake_api import APP_TOKEN, BOT_TOKEN, SlackApiFake
from slack_harness_users import BEN
from test_connection import slash_command
from test_secrets_in_logs import restored_logging  # noqa: F401  (a fixture)

from adapters.slack import SlackAdapter, SlackOptions, connection
from bot.app.application import App
from bot.clock import VirtualClock
from bot.logs import configure_logging
from bot.settings import Settings
from cogs.meta import MetaCog


@pytest.fixture
async def bot(
    fake: SlackApiFake,
    settings: Settings,
    clock: VirtualClock,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[tuple[SlackAdapter, list[int]]]:
    """The bot on Socket Mode with quick pings; the list counts its catch-ups ("hello")."""
    monkeypatch.setattr(connection, "PING_SECONDS", 0.3)
    adapter = SlackAdapter(
        SlackOptions(bot_token=BOT_TOKEN, app_token=APP_TOKEN, api_url=fake.api_url)
    )
    catch_ups: list[int] = []
    connected = adapter._connected

    def counted(host: object) -> None:
        catch_ups.append(1)
        connected(host)  # type: ignore[arg-type]

    monkeypatch.setattr(adapter, "_connected", counted)
    app = await App.create(settings, [adapter], clock=clock, cog_types=[MetaCog])
    try:
        await adapter.start(app)
        await until(lambda: catch_ups == [1])
        yield adapter, catch_ups
    finally:
        await app.close()


async def test_a_drop_whose_url_went_bad_reconnects_with_a_fresh_url_and_catches_up(
    fake: SlackApiFake,
    bot: tuple[SlackAdapter, list[int]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    adapter, catch_ups = bot
    opened = len(fake.called("apps.connections.open"))
    await fake.interrupt(refused_handshakes=1)  # the new URL's ticket is spent by the blip
    await until(lambda: not adapter.is_connected())  # what /readyz reports meanwhile
    await until(adapter.is_connected, seconds=10)
    assert len(fake.called("apps.connections.open")) >= opened + 2
    await until(lambda: len(catch_ups) == 2)  # the new socket's hello: the bot catches up
    await fake.socket_send(slash_command(fake, "/help"))
    await fake.wait_until(lambda: fake.private_to(BEN))
    assert "/about" in fake.private_to(BEN)[0]
    ours = [r for r in caplog.records if r.name == "adapters.slack.connection"]
    assert any(r.levelname == "WARNING" and "No socket to Slack" in r.getMessage() for r in ours)


@pytest.mark.usefixtures("restored_logging")
async def test_the_socket_url_ticket_never_reaches_the_log(
    fake: SlackApiFake,
    bot: tuple[SlackAdapter, list[int]],
    settings: Settings,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """At the bot's DEBUG, where the libraries' lines stay at INFO (bot.logs)."""
    adapter, _ = bot
    settings.log_level = "DEBUG"
    configure_logging(settings)
    caplog.set_level(logging.DEBUG)
    await fake.interrupt(refused_handshakes=1)
    await until(lambda: not adapter.is_connected())
    await until(adapter.is_connected, seconds=10)
    shown = caplog.text + "".join(
        logging.Formatter().formatException(r.exc_info) for r in caplog.records if r.exc_info
    )
    assert "Failed to connect" in shown  # slack_sdk did log the failed handshake
    assert "ticket=[redacted]" in shown
    assert not re.search(r"ticket=(?!\[redacted\])", shown)
    assert not any(ticket in shown for ticket in fake.tickets)
    assert APP_TOKEN not in shown and BOT_TOKEN not in shown


def test_the_redaction_covers_tokens_too() -> None:
    record = logging.LogRecord(
        "adapters.slack.bolt.socket_mode",
        logging.ERROR,
        __file__,
        1,
        "failed: %s",
        ("wss://wss.slack.com/link/?ticket=abc-123&app_id=A1 xapp-1-A1-2-s3cret xoxb-1-2-s3cret",),
        None,
    )
    assert connection.RedactSocketSecrets().filter(record)
    assert record.getMessage() == (
        "failed: wss://wss.slack.com/link/?ticket=[redacted]&app_id=A1 xapp-[redacted] "
        "xoxb-[redacted]"
    )


async def until(condition: Callable[[], bool], seconds: float = 5) -> None:
    """Wait for the socket client's own loops to get there."""
    async with asyncio.timeout(seconds):
        while not condition():  # noqa: ASYNC110  (a connection sets no event to wait on)
            await asyncio.sleep(0.01)
