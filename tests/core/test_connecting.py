"""Connecting at start-up: the waits between attempts, and a platform that cannot be
reached not holding up another (the wire tests in tests/discord and tests/slack run the
real libraries against fakes that come up late)."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Sequence

import pytest

from adapters.local import LocalCommunity, LocalPlatform
from bot.app.application import App
from bot.app.connecting import Backoff
from bot.clock import VirtualClock
from bot.errors import ConfigError, PlatformUnreachable
from bot.host import Adapter, Host
from bot.settings import Settings


def test_the_wait_doubles_from_five_seconds_to_five_minutes() -> None:
    steady = Backoff(jitter=0.0)
    assert [steady.wait(n) for n in range(1, 10)] == [5, 10, 20, 40, 80, 160, 300, 300, 300]
    assert steady.wait(100_000) == 300  # a week of failures: still five minutes


def test_jitter_shortens_each_wait_by_at_most_a_fifth() -> None:
    jittery = Backoff(random=random.Random(7))
    waits = [jittery.wait(3) for _ in range(200)]
    assert all(16 <= w <= 20 for w in waits)
    assert len(set(waits)) > 100, "bots restarted together do not knock at the same moment"


class Reachable(LocalPlatform):
    async def start(self, host: Host) -> None:
        pass

    async def stop(self) -> None:
        pass


class Unreachable(LocalPlatform):
    """A platform behind a router that never comes up."""

    name = "away"
    attempts = 0
    stopped = False

    async def start(self, host: Host) -> None:
        self.attempts += 1
        raise PlatformUnreachable("Could not reach Away (ConnectionRefusedError).")

    async def stop(self) -> None:
        self.stopped = True


async def test_a_platform_that_cannot_be_reached_does_not_hold_up_another(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    reachable, away = Reachable(LocalCommunity()), Unreachable(LocalCommunity())
    app = await App.create(
        settings, [away, reachable], clock=VirtualClock(), backoff=Backoff(first=0.01, most=0.02)
    )
    checked: list[list[str]] = []

    async def check(adapters: Sequence[Adapter]) -> None:
        checked.append([a.name for a in adapters])

    try:
        await asyncio.wait_for(app.start(on_connected=check), 2)
        assert checked == [["local"]]  # the reachable platform serves at once
        assert app.scheduler_task is not None and not app.scheduler_task.done()
        async with asyncio.timeout(2):
            while away.attempts < 3:  # noqa: ASYNC110  (the attempts set no event)
                await asyncio.sleep(0.01)
    finally:
        await asyncio.wait_for(app.close(), 2)
    assert away.stopped and checked == [["local"]]
    assert app.failure is None and app.refusal is None
    lines = [r.getMessage() for r in caplog.records if "Could not reach Away" in r.getMessage()]
    assert lines[:2] == [
        "Could not reach Away (ConnectionRefusedError). Attempt 1 failed; trying again in 1s.",
        "Could not reach Away (ConnectionRefusedError). Attempt 2 failed; trying again in 1s.",
    ]


class Silent(LocalPlatform):
    """A platform behind a network that drops packets: an attempt hangs until a timeout
    minutes later; `answer` ends it (None: connected; else raised)."""

    name = "silent"

    def __init__(self, community: LocalCommunity) -> None:
        super().__init__(community)
        self.answer: asyncio.Future[Exception | None] = asyncio.get_running_loop().create_future()

    async def start(self, host: Host) -> None:
        error = await self.answer
        if error is not None:
            raise error

    async def stop(self) -> None:
        pass


async def test_a_first_attempt_that_hangs_does_not_hold_up_another(settings: Settings) -> None:
    """The other platform serves (checked, jobs and deliveries running) after the short
    first wait; the hanging one is checked once its attempt connects after all."""
    silent, reachable = Silent(LocalCommunity()), Reachable(LocalCommunity())
    app = await App.create(
        settings,
        [silent, reachable],
        clock=VirtualClock(),
        backoff=Backoff(first=0.01, most=0.02, first_attempt=0.05),
    )
    checked: list[list[str]] = []

    async def check(adapters: Sequence[Adapter]) -> None:
        checked.append([a.name for a in adapters])

    try:
        await asyncio.wait_for(app.start(on_connected=check), 2)
        assert checked == [["local"]]
        assert app.scheduler_task is not None and not app.scheduler_task.done()
        silent.answer.set_result(None)
        async with asyncio.timeout(2):
            while len(checked) < 2:  # noqa: ASYNC110  (the check sets no event)
                await asyncio.sleep(0.01)
        assert checked == [["local"], ["silent"]]
    finally:
        await asyncio.wait_for(app.close(), 2)
    assert app.failure is None and app.refusal is None


async def test_a_refusal_ending_a_first_attempt_that_hung_stops_the_bot(
    settings: Settings,
) -> None:
    silent = Silent(LocalCommunity())
    app = await App.create(
        settings,
        [silent, Reachable(LocalCommunity())],
        clock=VirtualClock(),
        backoff=Backoff(first_attempt=0.05),
    )
    try:
        await asyncio.wait_for(app.start(), 2)
        silent.answer.set_result(ConfigError("Silent rejected SILENT_TOKEN."))
        await asyncio.wait_for(app.wait_until_stopped(), 2)
        assert str(app.refusal) == "Silent rejected SILENT_TOKEN."  # the runner exits 2
    finally:
        await asyncio.wait_for(app.close(), 2)


async def test_stopping_while_a_first_attempt_hangs_is_prompt(settings: Settings) -> None:
    silent = Silent(LocalCommunity())
    app = await App.create(
        settings, [silent], clock=VirtualClock(), backoff=Backoff(first_attempt=0.05)
    )
    await asyncio.wait_for(app.start(), 2)
    app.request_stop()
    await asyncio.wait_for(app.close(), 2)
    left = [t.get_name() for t in asyncio.all_tasks() if "connect-" in t.get_name()]
    assert left == [] and app.refusal is None  # the hanging attempt ended with the bot
