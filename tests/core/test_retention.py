"""Finished jobs are forgotten after the retention period, in batches, at most hourly;
message snapshots and report texts of settled flags after their own periods."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.clock import SystemClock, VirtualClock
from bot.retention import (
    BACKLOG_PAUSE,
    MAX_BATCHES,
    PRUNE_INTERVAL,
    Pruner,
    RetentionPeriods,
    pruner_for,
)
from bot.scheduler import Scheduler
from bot.settings import Settings, describe_error
from storage.database import Database
from storage.jobs import FAILED_KEPT_LONGER, JobRepository
from storage.timestamps import to_db

RETENTION = timedelta(days=30)


@pytest.fixture
async def db(database_target: str | Path) -> AsyncIterator[Database]:
    opened = await Database.open(database_target)
    yield opened
    await opened.close()


async def finished_job(
    jobs: JobRepository, key: str, at: datetime, *, failed: bool = False
) -> None:
    """A job that ran at `at`: done, or given up after its last attempt."""
    await jobs.upsert(community="local:x", kind="k", due_at=at, payload={}, key=key, now=at)
    [claimed] = await jobs.claim_due(at, 1)
    if failed:
        await jobs.fail(claimed.id, "platform outage", None)
    else:
        await jobs.finish(claimed.id, at)


async def keys(db: Database) -> set[str]:
    return {row[0] for row in await db.fetch_all("SELECT idempotency_key FROM jobs")}


async def test_done_and_failed_jobs_are_pruned_after_their_retention_pending_ones_never(
    db: Database, clock: VirtualClock
) -> None:
    jobs = JobRepository(db)
    now = clock.now()
    await finished_job(jobs, "done-31-days-ago", now - timedelta(days=31))
    await finished_job(jobs, "done-29-days-ago", now - timedelta(days=29))
    failed_long_ago = now - RETENTION - FAILED_KEPT_LONGER - timedelta(days=1)
    await finished_job(jobs, "failed-long-ago", failed_long_ago, failed=True)
    await finished_job(jobs, "failed-31-days-ago", now - timedelta(days=31), failed=True)
    old = now - timedelta(days=400)
    await jobs.upsert(community="local:x", kind="k", due_at=old, payload={}, key="pending", now=old)

    assert await Pruner([jobs], RETENTION, clock).run_if_due() == 2
    assert await keys(db) == {"done-29-days-ago", "failed-31-days-ago", "pending"}


async def test_a_pruned_key_can_be_armed_again_which_is_why_retention_outlives_replays(
    db: Database, clock: VirtualClock
) -> None:
    jobs = JobRepository(db)
    ran_at = clock.now() - timedelta(days=31)
    await finished_job(jobs, "follow-up", ran_at)
    arm = {"community": "local:x", "kind": "k", "payload": {}, "key": "follow-up"}
    assert not await jobs.upsert(due_at=clock.now(), now=clock.now(), **arm)  # a replay
    await Pruner([jobs], RETENTION, clock).run_if_due()
    assert await jobs.upsert(due_at=clock.now(), now=clock.now(), **arm)


async def test_pruning_goes_in_batches_and_runs_at_most_once_an_hour(
    db: Database, clock: VirtualClock
) -> None:
    jobs = JobRepository(db)
    for number in range(5):
        await finished_job(jobs, f"old-{number}", clock.now() - timedelta(days=40))
    pruner = Pruner([jobs], RETENTION, clock, batch_size=2)
    assert await pruner.run_if_due() == 5  # batches of 2, 2 and 1
    assert pruner.due_at == clock.now() + PRUNE_INTERVAL

    await finished_job(jobs, "later", clock.now() - timedelta(days=40))
    clock.advance(PRUNE_INTERVAL - timedelta(seconds=1))
    assert await pruner.run_if_due() == 0
    clock.advance(timedelta(seconds=1))
    assert await pruner.run_if_due() == 1


async def test_a_large_backlog_is_pruned_over_several_passes_a_minute_apart(
    db: Database, clock: VirtualClock
) -> None:
    jobs = JobRepository(db)
    for number in range(MAX_BATCHES + 3):
        await finished_job(jobs, f"old-{number}", clock.now() - timedelta(days=40))
    pruner = Pruner([jobs], RETENTION, clock, batch_size=1)
    assert await pruner.run_if_due() == MAX_BATCHES  # then it lets jobs run
    assert pruner.due_at == clock.now() + BACKLOG_PAUSE
    clock.advance(BACKLOG_PAUSE)
    assert await pruner.run_if_due() == 3
    assert pruner.due_at == clock.now() + PRUNE_INTERVAL


class Broken:
    async def prune(self, before: datetime, limit: int) -> int:
        raise OSError("disk I/O error")


async def test_a_failing_table_is_logged_and_tried_again_next_hour(
    clock: VirtualClock, caplog: pytest.LogCaptureFixture
) -> None:
    pruner = Pruner([Broken()], RETENTION, clock)
    with caplog.at_level(logging.ERROR):
        assert await pruner.run_if_due() == 0
    assert "could not prune finished rows" in caplog.text
    assert pruner.due_at == clock.now() + PRUNE_INTERVAL


async def test_the_scheduler_loop_prunes_old_jobs(db: Database, clock: VirtualClock) -> None:
    jobs = JobRepository(db)
    await finished_job(jobs, "old", clock.now() - timedelta(days=40))
    scheduler = Scheduler(jobs, clock, pruner=Pruner([jobs], RETENTION, clock))
    loop = asyncio.create_task(scheduler.run_forever())
    for _ in range(100):
        if not await keys(db):
            break
        await asyncio.sleep(0.01)
    scheduler.stop()
    await asyncio.wait_for(loop, timeout=5)
    assert await keys(db) == set()


async def test_on_the_system_clock_the_first_pass_runs_and_the_loop_then_sleeps(
    db: Database,
) -> None:
    """On a real clock every reading is a little later than the one before; the first
    pass must still run, and the scheduler must then sleep instead of looping."""
    jobs = JobRepository(db)
    system = SystemClock()
    await finished_job(jobs, "old", system.now() - timedelta(days=40))
    pruner = Pruner([jobs], RETENTION, system)
    assert await pruner.run_if_due() == 1
    assert pruner.due_at > system.now() + PRUNE_INTERVAL - timedelta(minutes=1)
    scheduler = Scheduler(jobs, system, pruner=pruner)
    passes = 0
    counted = scheduler._pass

    async def counting() -> tuple[datetime | None, datetime | None]:
        nonlocal passes
        passes += 1
        return await counted()

    scheduler._pass = counting  # type: ignore[method-assign]
    loop = asyncio.create_task(scheduler.run_forever())
    await asyncio.sleep(0.2)
    scheduler.stop()
    await asyncio.wait_for(loop, timeout=5)
    assert passes == 1, "an idle scheduler looks once, then sleeps until woken or due"


def test_retention_shorter_than_a_week_is_refused_naming_the_setting() -> None:
    with pytest.raises(ValidationError) as refused:
        Settings(_env_file=None, BOTSCHAFTER_RETENTION_DAYS="3")  # type: ignore[call-arg]
    assert describe_error(refused.value).startswith("BOTSCHAFTER_RETENTION_DAYS:")
    assert Settings(_env_file=None).retention_days == 30  # type: ignore[call-arg]


SNAPSHOT_DAYS = 90


async def settled_flag(db: Database, text: str, *, settled: datetime | None) -> int:
    """A flag with one message snapshot, one matched word and one report, settled at
    `settled` (None: still open)."""
    at = to_db(settled or datetime(2020, 1, 1, tzinfo=UTC))
    flag = await db.insert(
        "INSERT INTO moderation_flags (community, author_id, author_name, status, acted_at,"
        " created_at, last_activity_at) VALUES ('local:x', 'u1', 'Uwe', ?, ?, ?, ?)",
        ("settled" if settled else "open", at if settled else None, at, at),
    )
    await db.execute(
        "INSERT INTO moderation_flag_messages (community, flag_id, channel_id, message_id,"
        " excerpt, posted_at) VALUES ('local:x', ?, 'c', ?, ?, ?)",
        (flag, f"m{flag}", f"{text} (message)", at),
    )
    await db.execute(
        "INSERT INTO moderation_hits (community, flag_id, channel_id, message_id, rule, action,"
        " matched, at) VALUES ('local:x', ?, 'c', ?, 'swearing', 'flag', ?, ?)",
        (flag, f"m{flag}", f"{text} (word)", at),
    )
    await db.execute(
        "INSERT INTO moderation_reports (community, flag_id, channel_id, message_id,"
        " reporter_id, reporter_name, reason, at) VALUES ('local:x', ?, 'c', ?, 'u2', 'Rita',"
        " ?, ?)",
        (flag, f"m{flag}", f"{text} (report)", at),
    )
    return flag


async def texts(db: Database) -> set[str]:
    rows = await db.fetch_all(
        "SELECT excerpt FROM moderation_flag_messages UNION ALL SELECT matched FROM"
        " moderation_hits UNION ALL SELECT reason FROM moderation_reports"
    )
    return {row[0] for row in rows if row[0]}


async def test_snapshots_and_report_texts_of_settled_flags_go_after_their_own_days(
    settings: Settings, clock: VirtualClock, caplog: pytest.LogCaptureFixture
) -> None:
    db = await Database.open(settings.database_location)
    try:
        now = clock.now()
        await settled_flag(db, "settled long ago", settled=now - timedelta(days=91))
        await settled_flag(db, "settled lately", settled=now - timedelta(days=89))
        await settled_flag(db, "still open", settled=None)
        pruner = pruner_for(db, settings, clock)
        with caplog.at_level(logging.INFO, logger="bot.retention"):
            assert await pruner.run_if_due() == 3
        assert "FlagSnapshots 2, ReportTexts 1" in caplog.text
        assert "settled long ago" not in caplog.text  # counts only, never the texts
        assert not any(text.startswith("settled long ago") for text in await texts(db))
        kept = {t for t in await texts(db) if t.startswith(("settled lately", "still open"))}
        assert len(kept) == 6

        clock.advance(timedelta(days=2))
        assert await pruner.run_if_due() == 3
        assert {t.partition(" (")[0] for t in await texts(db)} == {"still open"}
        counts = await db.fetch_all(
            "SELECT (SELECT COUNT(*) FROM moderation_flag_messages),"
            " (SELECT COUNT(*) FROM moderation_reports)"
        )
        assert tuple(counts[0]) == (3, 3)  # the rows stay: counts and the record hold
    finally:
        await db.close()


def test_the_personal_text_periods_are_settings_of_their_own() -> None:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        BOTSCHAFTER_SNAPSHOT_RETENTION_DAYS="30",
        BOTSCHAFTER_REPORT_TEXT_RETENTION_DAYS="14",
    )
    assert RetentionPeriods.of(settings) == RetentionPeriods(30, 30, 14)
    assert RetentionPeriods.of(Settings(_env_file=None)) == RetentionPeriods()  # type: ignore[call-arg]
    with pytest.raises(ValidationError) as refused:
        Settings(_env_file=None, BOTSCHAFTER_SNAPSHOT_RETENTION_DAYS="0")  # type: ignore[call-arg]
    assert describe_error(refused.value).startswith("BOTSCHAFTER_SNAPSHOT_RETENTION_DAYS:")
