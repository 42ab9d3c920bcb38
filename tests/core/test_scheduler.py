"""Durable jobs fire exactly once, across restarts and after downtime."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import datetime, timedelta

import pytest

import bot.app.application as app_module
from bot.app.local_session import LocalSession
from bot.clock import VirtualClock
from bot.cog import Cog, job
from bot.model import Community
from bot.scheduler import PASS_RETRY, Scheduler
from bot.settings import Settings
from storage.jobs import Job, JobRepository

COMMUNITY = Community("local", "demo")
FIRED: list[tuple[str, str]] = []


class Reminders(Cog):
    name = "reminders"

    @job("remind")
    async def remind(self, scheduled: Job) -> None:
        FIRED.append((scheduled.key, scheduled.payload["text"]))


class Flaky(Cog):
    name = "flaky"
    failures_left = 2

    @job("flaky")
    async def flaky(self, scheduled: Job) -> None:
        if Flaky.failures_left:
            Flaky.failures_left -= 1
            raise ConnectionError("platform outage")
        FIRED.append((scheduled.key, "finally"))


async def open_bot(settings: Settings, clock: VirtualClock) -> LocalSession:
    return await LocalSession.open(settings, clock=clock, cog_types=[Reminders, Flaky])


async def test_a_job_fires_once_at_its_time(settings: Settings, clock: VirtualClock) -> None:
    FIRED.clear()
    bot = await open_bot(settings, clock)
    scheduler = bot.app.services.scheduler
    await scheduler.schedule(
        COMMUNITY, "remind", clock.now() + timedelta(hours=2), "r1", {"text": "hi"}
    )
    assert await bot.advance(timedelta(hours=1)) == 0
    assert await bot.advance(timedelta(hours=1)) == 1
    assert await bot.advance(timedelta(days=3)) == 0
    assert FIRED == [("r1", "hi")]
    await bot.app.close()


async def test_a_job_survives_a_restart_and_fires_once(
    settings: Settings, clock: VirtualClock
) -> None:
    FIRED.clear()
    first = await open_bot(settings, clock)
    due = clock.now() + timedelta(days=1)
    await first.app.services.scheduler.schedule(COMMUNITY, "remind", due, "r2", {"text": "later"})
    await first.app.close()

    second = await open_bot(settings, clock)
    assert await second.advance(timedelta(days=2)) == 1
    await second.app.close()

    third = await open_bot(settings, clock)
    assert await third.advance(timedelta(days=2)) == 0
    await third.app.close()
    assert FIRED == [("r2", "later")]


async def test_an_overdue_job_fires_exactly_once_after_start_up(
    settings: Settings, clock: VirtualClock
) -> None:
    FIRED.clear()
    first = await open_bot(settings, clock)
    await first.app.services.scheduler.schedule(
        COMMUNITY, "remind", clock.now() + timedelta(hours=1), "r3", {"text": "overdue"}
    )
    await first.app.close()
    clock.advance(timedelta(days=5))  # the bot was down while the job fell due

    second = await open_bot(settings, clock)
    assert await second.run_due_jobs() == 1
    assert await second.run_due_jobs() == 0
    await second.app.close()
    assert FIRED == [("r3", "overdue")]


async def test_a_job_interrupted_by_a_crash_is_run_again_after_restart(
    settings: Settings, clock: VirtualClock
) -> None:
    FIRED.clear()
    first = await open_bot(settings, clock)
    jobs = first.app.services.scheduler._jobs
    await first.app.services.scheduler.schedule(
        COMMUNITY, "remind", clock.now(), "r4", {"text": "x"}
    )
    claimed = await jobs.claim_due(clock.now(), 10)  # claimed, then the process dies
    assert [j.key for j in claimed] == ["r4"]
    await first.app.close()

    second = await open_bot(settings, clock)
    assert await second.run_due_jobs() == 1
    await second.app.close()
    assert FIRED == [("r4", "x")]


async def test_rescheduling_a_pending_key_moves_it_and_a_fired_key_is_never_rearmed(
    settings: Settings, clock: VirtualClock
) -> None:
    FIRED.clear()
    bot = await open_bot(settings, clock)
    scheduler = bot.app.services.scheduler
    await scheduler.schedule(
        COMMUNITY, "remind", clock.now() + timedelta(hours=1), "r5", {"text": "a"}
    )
    await scheduler.schedule(
        COMMUNITY, "remind", clock.now() + timedelta(hours=5), "r5", {"text": "b"}
    )
    assert await bot.advance(timedelta(hours=2)) == 0
    assert await bot.advance(timedelta(hours=3)) == 1
    again = await scheduler.schedule(COMMUNITY, "remind", clock.now(), "r5", {"text": "c"})
    assert again is False
    assert await bot.advance(timedelta(hours=1)) == 0
    assert FIRED == [("r5", "b")]
    await bot.app.close()


async def test_a_failing_job_is_retried_with_backoff_until_it_succeeds(
    settings: Settings, clock: VirtualClock
) -> None:
    FIRED.clear()
    Flaky.failures_left = 2
    bot = await open_bot(settings, clock)
    await bot.app.services.scheduler.schedule(COMMUNITY, "flaky", clock.now(), "f1")
    await bot.advance(timedelta(hours=1))
    assert FIRED == [("f1", "finally")]
    await bot.app.close()


class Stuck(Cog):
    """A job whose platform call never returns, as during an outage at shutdown."""

    name = "stuck"
    started: asyncio.Event

    async def setup(self) -> None:
        self.started = asyncio.Event()

    @job("stuck")
    async def stuck(self, scheduled: Job) -> None:
        if scheduled.attempts > 1:
            FIRED.append((scheduled.key, "after restart"))
            return
        self.started.set()
        await asyncio.Event().wait()


async def test_shutdown_during_a_hanging_job_closes_cleanly_and_the_job_runs_after_restart(
    settings: Settings, clock: VirtualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    FIRED.clear()
    monkeypatch.setattr(app_module, "STOP_TIMEOUT_SECONDS", 0.05)
    first = await LocalSession.open(settings, clock=clock, cog_types=[Stuck])
    await first.app.services.scheduler.schedule(COMMUNITY, "stuck", clock.now(), "s1")
    await first.app.start()
    stuck = first.app.dispatcher.cogs[0]
    assert isinstance(stuck, Stuck)
    await asyncio.wait_for(stuck.started.wait(), timeout=5)
    await first.app.close()  # must not raise, and must close the database

    second = await LocalSession.open(settings, clock=clock, cog_types=[Stuck])
    assert await second.run_due_jobs() == 1
    await second.app.close()
    assert FIRED == [("s1", "after restart")]


class FailsOnce(JobRepository):
    """The database fails on the first claim (say it is locked), then recovers."""

    failed = False

    async def claim_due(self, now: datetime, limit: int) -> list[Job]:
        if not self.failed:
            self.failed = True
            raise sqlite3.OperationalError("database is locked")
        return await super().claim_due(now, limit)


async def test_the_scheduler_loop_survives_a_database_error(
    settings: Settings, clock: VirtualClock
) -> None:
    FIRED.clear()
    bot = await open_bot(settings, clock)
    scheduler = Scheduler(FailsOnce(bot.app.services.db), clock)
    scheduler.register("remind", Reminders(bot.app.services).remind)
    await scheduler.schedule(COMMUNITY, "remind", clock.now(), "e1", {"text": "still sent"})
    loop = asyncio.create_task(scheduler.run_forever())
    await asyncio.sleep(0.05)
    assert not loop.done()  # the error was logged; the loop waits to try again
    clock.advance(PASS_RETRY)
    scheduler._wake.set()  # the virtual clock does not wake sleepers by itself
    for _ in range(50):
        if FIRED:
            break
        await asyncio.sleep(0.01)
    scheduler.stop()
    await asyncio.wait_for(loop, timeout=5)
    await bot.app.close()
    assert FIRED == [("e1", "still sent")]


async def test_a_job_scheduled_in_a_transaction_that_rolls_back_is_not_scheduled(
    session,
) -> None:
    services = session.app.services
    services.scheduler.register("test.noop", _noop)
    community = session.community.member("Ben").community

    with pytest.raises(RuntimeError):
        async with services.db.transaction() as tx:
            await services.scheduler.schedule(
                community, "test.noop", services.clock.now(), "test:1", tx=tx
            )
            raise RuntimeError("the state change failed")

    assert await services.scheduler.cancel("test:1") is False
    async with services.db.transaction() as tx:
        await services.scheduler.schedule(
            community, "test.noop", services.clock.now(), "test:1", tx=tx
        )
    assert await services.scheduler.cancel("test:1") is True


async def _noop(job) -> None:
    return None
