"""Running on platforms: a clean stop exits 0; an adapter that gives up stops the bot."""

from __future__ import annotations

import asyncio

import pytest

from adapters.local import LocalCommunity, LocalPlatform
from bot.app.application import App
from bot.app.runner import run_platforms
from bot.settings import Settings


class ConnectedLocal(LocalPlatform):
    """A local platform that connects like a real one, then behaves as told."""

    def __init__(self, outcome: str) -> None:
        super().__init__(LocalCommunity())
        self.outcome = outcome
        self.stopped = False

    async def start(self, app: App) -> None:
        loop = asyncio.get_running_loop()
        if self.outcome == "lost":
            loop.call_soon(app.fail, "the connection ended and will not come back")
        else:
            loop.call_soon(app.request_stop)

    async def stop(self) -> None:
        self.stopped = True


async def test_a_requested_stop_closes_everything_and_exits_cleanly(settings: Settings) -> None:
    adapter = ConnectedLocal("stop")
    assert await run_platforms(settings, [adapter]) == 0
    assert adapter.stopped


async def test_an_adapter_that_gives_up_stops_the_bot_with_an_error(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    adapter = ConnectedLocal("lost")
    assert await run_platforms(settings, [adapter]) == 1
    assert adapter.stopped
    assert "Stopped: the connection ended and will not come back" in capsys.readouterr().err
