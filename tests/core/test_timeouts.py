"""A handler or job that never returns is cancelled, logged in one line, and the bot goes on."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from bot.app.local_session import LocalSession
from bot.clock import VirtualClock
from bot.cog import Cog, command, job, listen
from bot.dispatcher import Dispatcher
from bot.events import MessagePosted
from bot.interaction import Interaction
from bot.model import Community
from bot.scheduler import RETRY_BASE, Scheduler
from bot.settings import Settings
from bot.watchdog import DeadlineExceeded, Watchdog
from storage.jobs import Job, JobRepository

TINY = 0.05  # seconds: long enough for a quick handler, short enough for a test


async def forever() -> None:
    await asyncio.Event().wait()


class Hanging(Cog):
    """Handlers that hang on "hang" (as on a platform call that never answers)."""

    name = "hanging"
    seen: list[str]

    async def setup(self) -> None:
        self.seen = []

    @listen(MessagePosted)
    async def first(self, event: MessagePosted) -> None:
        if event.message.text == "hang":
            await forever()
        self.seen.append(f"first:{event.message.text}")

    @listen(MessagePosted)
    async def second(self, event: MessagePosted) -> None:
        self.seen.append(f"second:{event.message.text}")

    @command("stall", "Never answers.")
    async def stall(self, interaction: Interaction) -> None:
        await forever()

    @command("ping", "Answers at once.")
    async def ping(self, interaction: Interaction) -> None:
        await interaction.reply("pong")


@pytest.fixture
async def bot(
    settings: Settings, clock: VirtualClock
) -> AsyncIterator[tuple[LocalSession, Hanging]]:
    """A local community whose dispatcher gives each handler `TINY` seconds."""
    session = await LocalSession.open(settings, clock=clock, cog_types=[])
    dispatcher = Dispatcher(session.app.services, handler_timeout=TINY)
    cog = Hanging(session.app.services)
    dispatcher.add_cog(cog)
    await cog.setup()
    session.community.dispatch = dispatcher.dispatch
    session.community.add_member("Ben")
    yield session, cog
    await session.app.close()


def timeouts(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if "timed out" in r.getMessage()]


async def test_a_hanging_listener_is_cancelled_and_the_next_handler_and_event_run(
    bot: tuple[LocalSession, Hanging], caplog: pytest.LogCaptureFixture
) -> None:
    session, cog = bot
    c = session.community
    with caplog.at_level(logging.ERROR):
        await asyncio.wait_for(c.post(c.member("Ben"), "general", "hang"), timeout=5)
        await asyncio.wait_for(c.post(c.member("Ben"), "general", "hello"), timeout=5)
    assert cog.seen == ["second:hang", "first:hello", "second:hello"]
    [line] = timeouts(caplog)
    assert line.levelno == logging.ERROR and line.exc_info is None  # one line, no traceback
    assert line.getMessage() == (
        "Hanging.first timed out after 0.05 s on MessagePosted in local:demo and was cancelled"
    )


async def test_a_hanging_command_apologises_and_the_next_command_is_answered(
    bot: tuple[LocalSession, Hanging], caplog: pytest.LogCaptureFixture
) -> None:
    c = bot[0].community
    ben = c.member("Ben")
    with caplog.at_level(logging.ERROR):
        await asyncio.wait_for(c.run(ben, "/stall"), timeout=5)
    assert "something went wrong on our side" in c.last_private(ben)
    [line] = timeouts(caplog)
    assert line.getMessage().startswith("Hanging.stall timed out after 0.05 s on CommandInvoked")
    await asyncio.wait_for(c.run(ben, "/ping"), timeout=5)
    assert c.read("general")[-1].text == "pong"


STARTED: list[str] = []
FIRED: list[str] = []


class Stalling(Cog):
    name = "stalling"

    @job("stall")
    async def stall(self, scheduled: Job) -> None:
        STARTED.append(scheduled.key)
        if scheduled.attempts == 1:
            await forever()
        FIRED.append(scheduled.key)

    @job("quick")
    async def quick(self, scheduled: Job) -> None:
        FIRED.append(scheduled.key)


async def test_a_hanging_job_is_cancelled_logged_and_retried_with_backoff(
    settings: Settings, clock: VirtualClock, caplog: pytest.LogCaptureFixture
) -> None:
    STARTED.clear()
    FIRED.clear()
    session = await LocalSession.open(settings, clock=clock, cog_types=[])
    jobs = JobRepository(session.app.services.db)
    scheduler = Scheduler(jobs, clock, job_timeout=TINY)
    cog = Stalling(session.app.services)
    scheduler.register("stall", cog.stall)
    scheduler.register("quick", cog.quick)
    community = Community("local", "demo")
    await scheduler.schedule(community, "stall", clock.now(), "s1")
    await scheduler.schedule(community, "quick", clock.now() + timedelta(seconds=1), "q1")
    clock.advance(timedelta(seconds=1))

    with caplog.at_level(logging.ERROR):
        assert await asyncio.wait_for(scheduler.run_due(), timeout=5) == 2
    assert FIRED == ["q1"]  # the job after the hanging one still ran
    [line] = timeouts(caplog)
    assert line.exc_info is None
    assert line.getMessage() == (
        "job s1 (stall) in local:demo timed out after 0.05 s, attempt 1 of 5, and was cancelled"
    )
    [pending] = await jobs.pending()
    assert pending.key == "s1"
    assert pending.due_at == clock.now() + RETRY_BASE  # a failed attempt, backing off

    clock.advance(RETRY_BASE)
    assert await scheduler.run_due() == 1
    assert FIRED == ["q1", "s1"]
    assert await jobs.pending() == []
    await session.app.close()


async def test_a_cancellation_from_outside_is_not_taken_for_a_timeout() -> None:
    watchdog = Watchdog(60)

    async def guarded() -> None:
        with watchdog.guard():
            await forever()

    task = asyncio.create_task(guarded())
    await asyncio.sleep(0)
    task.cancel()  # shutdown
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_a_guard_is_reused_with_a_fresh_budget_each_time() -> None:
    watchdog = Watchdog(TINY)
    guard = watchdog.guard()
    for _ in range(3):
        with guard:
            await asyncio.sleep(TINY * 0.6)  # together longer than one budget
    with pytest.raises(DeadlineExceeded), guard:
        await forever()
    current = asyncio.current_task()
    assert current is not None and current.cancelling() == 0  # nothing left pending


async def test_each_guard_bounds_its_own_task_among_many() -> None:
    """Guards are made for whichever task runs: a stuck one is cancelled, its siblings
    (which finish in time) are not."""
    watchdog = Watchdog(TINY)

    async def quick() -> str:
        with watchdog.guard():
            await asyncio.sleep(0)
        return "done"

    async def stuck() -> str:
        try:
            with watchdog.guard():
                await forever()
        except DeadlineExceeded:
            return "timed out"
        return "impossible"

    results = await asyncio.gather(quick(), stuck(), quick(), stuck())
    assert results == ["done", "timed out", "done", "timed out"]


def test_a_watchdog_keeps_guarding_on_a_new_event_loop() -> None:
    watchdog = Watchdog(TINY)

    async def stuck() -> bool:
        try:
            with watchdog.guard():
                await forever()
        except DeadlineExceeded:
            return True
        return False

    assert asyncio.run(stuck())
    assert asyncio.run(stuck())  # the second loop's task, not the first loop's
