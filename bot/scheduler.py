"""The durable scheduler: jobs live in the database, one loop fires them when due.

Each job has a kind (routed to the cog handler registered for it), a due time, a JSON
payload and an idempotency key. The loop sleeps until the earliest due job or until a new,
earlier job is scheduled. A restart reloads nothing into memory: the database is the
queue, so overdue jobs simply fire once on the first pass.

Several processes may share the queue (PostgreSQL): each claims due jobs under a lease it
renews while it lives (`bot.leases`, `storage.leases`), only for communities it serves,
and takes over jobs whose lease ran out because their process died. Alone on SQLite, a
start clears the last run's leases, so jobs a crash cut off run again at once.

A job runs under a time limit (`JOB_TIMEOUT_SECONDS`); one that hangs is cancelled and
counts as a failed attempt. The same loop prunes finished rows (`bot.retention`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from bot.clock import Clock
from bot.commands import format_duration
from bot.errors import TemporaryFailure
from bot.leases import renew_forever, sleep_until, take_back_cut_off
from bot.model import Community
from bot.retention import Pruner
from bot.watchdog import DeadlineExceeded, Watchdog
from storage.database import Transaction
from storage.jobs import Job, JobRepository, JobRequest

log = logging.getLogger(__name__)

JobHandler = Callable[[Job], Awaitable[None]]

# Jobs fired per database round trip; large enough to drain a backlog after an outage
# quickly, small enough that one pass never holds the database for long.
BATCH_SIZE = 100
# With other processes on the database, a process claims only this many at a time: jobs
# fire one after another, and what a process holds is what a takeover must fire after its
# death (100 jobs at a 20 ms post each ran 3 s past the lease, benchmarks/scaleout.py) and
# what the other processes cannot share while it works through them.
SHARED_BATCH_SIZE = 10
# A failing job is retried with growing delays, then given up and left visible as failed.
MAX_ATTEMPTS = 5
RETRY_BASE = timedelta(minutes=1)
# When the database itself fails (locked, disk full), the loop waits this long and tries
# again rather than ending: a scheduler that died would silently drop every follow-up.
PASS_RETRY = timedelta(seconds=30)
# How long one job may run before it is cancelled and retried. Jobs do more than an event
# handler (a digest posts to several channels, a webhook waits on a company's server), so
# twice a handler's limit; a job that never returns must not stop every later follow-up.
JOB_TIMEOUT_SECONDS = 60.0


class Scheduler:
    def __init__(
        self,
        jobs: JobRepository,
        clock: Clock,
        *,
        job_timeout: float = JOB_TIMEOUT_SECONDS,
        pruner: Pruner | None = None,
    ) -> None:
        self._jobs = jobs
        self._clock = clock
        self._watchdog = Watchdog(job_timeout)
        self._pruner = pruner
        self._handlers: dict[str, JobHandler] = {}
        self._wake = asyncio.Event()
        self._stopping = False

    def register(self, kind: str, handler: JobHandler) -> None:
        if kind in self._handlers:
            raise ValueError(f"job kind {kind!r} has two handlers")
        self._handlers[kind] = handler

    async def schedule(
        self,
        community: Community,
        kind: str,
        due_at: datetime,
        key: str,
        payload: dict[str, Any] | None = None,
        *,
        tx: Transaction | None = None,
    ) -> bool:
        """Schedule (or move) the job with this key; False if that job already ran.

        Pass the caller's `tx` to schedule atomically with the state change that calls for
        the job, so a crash can never keep the change and lose its follow-up."""
        if kind not in self._handlers:
            raise ValueError(f"no handler for job kind {kind!r}")
        scheduled = await self._jobs.upsert(
            community=community.key,
            kind=kind,
            due_at=due_at,
            payload=payload or {},
            key=key,
            now=self._clock.now(),
            tx=tx,
        )
        self._wake.set()
        return scheduled

    async def schedule_many(self, requests: Sequence[JobRequest]) -> None:
        """`schedule` for many jobs in one transaction, e.g. re-arming after a restart;
        keys that already ran are left alone."""
        for request in requests:
            if request.kind not in self._handlers:
                raise ValueError(f"no handler for job kind {request.kind!r}")
        await self._jobs.upsert_many(requests, self._clock.now())
        self._wake.set()

    async def cancel(self, key: str, *, tx: Transaction | None = None) -> bool:
        return await self._jobs.cancel(key, tx=tx)

    async def start(self) -> None:
        """Prepare for running after a restart: jobs the last run was carrying out are
        taken again at once or when their leases run out (`take_back_cut_off`)."""
        released = await take_back_cut_off(self._jobs.leases)
        if released:
            log.warning("re-queued %d job(s) interrupted by the last shutdown", released)

    async def run_forever(self) -> None:
        holder = self._jobs.holder
        renewing = asyncio.create_task(
            renew_forever(self._jobs.leases, "scheduled jobs"), name="job leases"
        )
        try:
            while not self._stopping:
                self._wake.clear()
                next_due, takeover_at = await self._pass()
                await sleep_until(self._clock, holder, next_due, self._wake, takeover_at)
        finally:
            renewing.cancel()

    async def _pass(self) -> tuple[datetime | None, datetime | None]:
        """Fire what is due and prune; returns when to look next (None: when woken), and
        when another process's lease runs out (with other processes)."""
        takeover_at = None
        try:
            await self.run_due()
            next_due = await self._jobs.next_due_at()
            if self._jobs.holder.shared:
                takeover_at = await self._jobs.leases.next_takeover_at()
        except Exception:
            log.exception("could not fire scheduled jobs; trying again in %s", PASS_RETRY)
            next_due = self._clock.now() + PASS_RETRY
        if self._pruner is not None:
            await self._pruner.run_if_due()
            prune_at = self._pruner.due_at
            next_due = prune_at if next_due is None else min(next_due, prune_at)
        return next_due, takeover_at

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()

    async def release(self) -> None:
        """At shutdown, after the loop: jobs cut off here are left to be taken over at
        once (by another process, or this one restarted) rather than after their lease."""
        released = await self._jobs.leases.release()
        if released:
            log.info("left %d job(s) in progress to run again", released)

    async def run_due(self) -> int:
        """Fire every job due now; returns how many ran."""
        fired = 0
        size = SHARED_BATCH_SIZE if self._jobs.holder.shared else BATCH_SIZE
        while batch := await self._jobs.claim_due(self._clock.now(), size):
            try:
                for job in batch:
                    await self._fire(job)
                    fired += 1
            finally:
                # Settled, or cut short by an error: the rest's leases run out and the
                # jobs are taken again, rather than held unfired while this process lives.
                self._jobs.leases.let_go(job.id for job in batch)
        return fired

    async def next_due_at(self) -> datetime | None:
        """When the earliest pending job is due (for stepping a virtual clock)."""
        return await self._jobs.next_due_at()

    async def _fire(self, job: Job) -> None:
        handler = self._handlers.get(job.kind)
        if handler is None:
            log.error("job %s (%s) has no handler; giving up", job.key, job.kind)
            await self._record(job, self._jobs.fail(job.id, "no handler", None))
            return
        try:
            with self._watchdog.guard():
                await handler(job)
        except DeadlineExceeded:
            seconds = self._watchdog.seconds
            log.error(
                "job %s (%s) in %s timed out after %g s, attempt %d of %d, and was cancelled",
                job.key,
                job.kind,
                job.community,
                seconds,
                job.attempts,
                MAX_ATTEMPTS,
            )
            await self._record(
                job, self._jobs.fail(job.id, f"timed out after {seconds:g} s", self._retry_at(job))
            )
            return
        except Exception as error:
            retry_at = self._retry_at(job)
            if isinstance(error, TemporaryFailure):
                # Expected and already explained by its message: one line, no traceback.
                then = "giving up"
                if retry_at is not None:
                    then = f"retrying in {format_duration(retry_at - self._clock.now())}"
                log.warning(
                    "job %s (%s) failed, attempt %d of %d: %s; %s",
                    job.key,
                    job.kind,
                    job.attempts,
                    MAX_ATTEMPTS,
                    error,
                    then,
                )
                await self._record(job, self._jobs.fail(job.id, str(error), retry_at))
                return
            log.exception("job %s (%s) failed, attempt %d", job.key, job.kind, job.attempts)
            await self._record(job, self._jobs.fail(job.id, repr(error), retry_at))
            return
        await self._record(job, self._jobs.finish(job.id, self._clock.now()))

    async def _record(self, job: Job, recorded: Awaitable[bool]) -> None:
        """Record a job's outcome, or say why it could not be: this process's lease ran
        out while the job ran (stalled longer than the lease), and another process took
        the job over; that one records it."""
        if not await recorded:
            log.warning(
                "job %s (%s) in %s was taken over by another process while it ran here"
                " (its lease ran out); the other process records its outcome",
                job.key,
                job.kind,
                job.community,
            )

    def _retry_at(self, job: Job) -> datetime | None:
        """When a failed attempt is tried again (backing off), or None to give up."""
        if job.attempts >= MAX_ATTEMPTS:
            return None
        return self._clock.now() + RETRY_BASE * 2 ** (job.attempts - 1)
