"""The Socket Mode watchdog while Slack gives no new URL: it waits longer each time, never
more than its longest wait, touches nothing it could not renew, and is gone after a stop.

Waits are scaled down a thousandfold; the checks are lower bounds on the gaps between
requests, which a slow machine only widens, and one upper bound with room to spare."""

from __future__ import annotations

import asyncio
import logging
from types import SimpleNamespace
from typing import Any

import pytest
from pydantic import SecretStr

from adapters.slack import connection
from adapters.slack.connection import SocketModeConnection
from bot.errors import PlatformUnavailable

PING = 0.02
APP_TOKEN = "xapp-1-A1-2-s3cret"


class Unreachable:
    """A Web API client whose apps.connections.open never gets through; when it was asked."""

    def __init__(self) -> None:
        self.asked: list[float] = []

    async def apps_connections_open(self, **kwargs: Any) -> dict[str, Any]:
        self.asked.append(asyncio.get_running_loop().time())
        raise PlatformUnavailable("Slack could not be reached at http://127.0.0.1/api/")


class Handler:
    """The socket handler, reduced to a socket client without a socket."""

    def __init__(self) -> None:
        self.client = SimpleNamespace(
            closed=False, current_session=None, wss_uri="wss://old/?ticket=spent"
        )

    async def close_async(self) -> None:
        self.client.closed = True


def watching(web: Unreachable) -> tuple[SocketModeConnection, Handler]:
    """A Socket Mode connection without a socket, its watchdog running."""
    socket = SocketModeConnection(None, SecretStr(APP_TOKEN), web)  # type: ignore[arg-type]
    handler = Handler()
    socket._handler = handler  # type: ignore[assignment]
    socket._watchdog = asyncio.create_task(socket._watch(handler.client, APP_TOKEN))  # type: ignore[arg-type]
    return socket, handler


async def until_asked(web: Unreachable, times: int) -> None:
    async with asyncio.timeout(10):
        while len(web.asked) < times:  # noqa: ASYNC110  (the watchdog sets nothing to wait on)
            await asyncio.sleep(PING)


async def test_without_new_urls_the_watchdog_backs_off_to_its_longest_wait_and_stops_at_close(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(connection, "PING_SECONDS", PING)
    monkeypatch.setattr(connection, "LONGEST_WAIT_SECONDS", 12 * PING)
    web = Unreachable()
    socket, handler = watching(web)
    watchdog = socket._watchdog
    assert watchdog is not None
    await until_asked(web, 5)
    await socket.close()

    assert watchdog.done(), "no watchdog left running after the stop"
    asked = len(web.asked)
    await asyncio.sleep(5 * 12 * PING)
    assert len(web.asked) == asked, "nothing asks Slack after the stop"
    gaps = [later - earlier for earlier, later in zip(web.asked, web.asked[1:], strict=False)]
    # 3 pings without a socket first, then 6, 12, and never more often than every 12.
    waits = [6 * PING, 12 * PING, 12 * PING, 12 * PING]
    assert all(gap >= wait - PING / 2 for gap, wait in zip(gaps, waits, strict=False)), gaps
    assert gaps[-1] < 20 * PING, f"the wait stops growing at its longest: {gaps}"
    assert handler.client.wss_uri == "wss://old/?ticket=spent", "no URL: nothing replaced"
    warnings = [r.getMessage() for r in caplog.records if r.name == "adapters.slack.connection"]
    assert len(warnings) == asked
    assert all("gave no new Socket Mode URL" in line for line in warnings)
    assert not any("s3cret" in line or "ticket" in line for line in warnings)


class Broken(Unreachable):
    """A Web API client failing in a way nobody foresaw, with a ticket in its message."""

    async def apps_connections_open(self, **kwargs: Any) -> dict[str, Any]:
        self.asked.append(asyncio.get_running_loop().time())
        raise RuntimeError("wss://old/?ticket=spent went wrong")


async def test_an_unforeseen_error_neither_ends_the_watchdog_nor_reaches_the_log(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(connection, "PING_SECONDS", PING)
    monkeypatch.setattr(connection, "LONGEST_WAIT_SECONDS", 6 * PING)
    web = Broken()
    socket, _ = watching(web)
    await until_asked(web, 3)  # it asked again after the first failure
    await socket.close()
    warnings = [r.getMessage() for r in caplog.records if r.name == "adapters.slack.connection"]
    assert warnings and all("(RuntimeError)" in line for line in warnings)
    assert not any("ticket" in line for line in warnings)


def test_longest_wait_is_the_bound_the_docs_give() -> None:
    assert connection.LONGEST_WAIT_SECONDS == 300.0
    assert connection.PING_SECONDS * connection.PINGS_WITHOUT_SOCKET == 30.0


@pytest.fixture(autouse=True)
def _warnings(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="adapters.slack.connection")
