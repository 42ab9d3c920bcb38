"""Bulk re-arming at start-up: missing jobs are created in one go, nothing fires twice."""

from __future__ import annotations

from datetime import timedelta

from storage.jobs import JobRepository, JobRequest
from tests.tickets.desk import Desk


async def test_schedule_many_moves_pending_jobs_and_leaves_finished_ones(desk: Desk) -> None:
    scheduler = desk.session.app.services.scheduler
    jobs = JobRepository(desk.session.app.services.db)
    now = desk.clock.now()
    first = JobRequest(
        "local:demo", "tickets.digest", now + timedelta(hours=1), "k1", {"period": "2026-01-06"}
    )
    await scheduler.schedule_many([first])
    await desk.advance(timedelta(hours=1))  # k1 fires (a Tuesday: a stale digest slot stays quiet)
    later = now + timedelta(days=2)
    moved = JobRequest("local:demo", "tickets.digest", later, "k2", {"period": "2026-01-07"})
    await scheduler.schedule_many([moved])
    await scheduler.schedule_many(
        [
            JobRequest("local:demo", "tickets.digest", later + timedelta(hours=1), "k1", {}),
            JobRequest("local:demo", "tickets.digest", later + timedelta(hours=3), "k2", {}),
        ]
    )
    pending = {job.key: job.due_at for job in await jobs.pending() if job.key in ("k1", "k2")}
    assert pending == {"k2": later + timedelta(hours=3)}


async def test_every_open_ticket_gets_its_jobs_back_after_losing_them(desk: Desk) -> None:
    for title in ("One", "Two", "Three"):
        await desk.open("Ben", title)
    await desk.run("Amy", "/ticket update #2 Asked the team next:2d")
    scheduler = desk.session.app.services.scheduler
    for key in (
        "ticket:local:demo:1:follow-up:0",
        "ticket:local:demo:2:follow-up:0",
        "ticket:local:demo:2:remind:1",
        "ticket:local:demo:3:first-response:0",
    ):
        assert await scheduler.cancel(key), key
    await desk.restart()
    keys = {job.key for job in await JobRepository(desk.session.app.services.db).pending()}
    assert {
        "ticket:local:demo:1:follow-up:0",
        "ticket:local:demo:2:follow-up:0",
        "ticket:local:demo:2:remind:1",
        "ticket:local:demo:3:first-response:0",
    } <= keys
    await desk.advance(timedelta(days=1, hours=12))
    assert sum(m.startswith("Reminder:") for m in desk.dms("Amy")) == 1
