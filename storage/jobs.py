"""Durable scheduled jobs: the scheduler's memory across restarts.

A job is claimed (``pending`` → ``running``) in one atomic update before its handler runs
and marked ``done`` after, so two loops can never both fire it. The claim is a lease
(`storage.leases`): the claiming process is its owner until an expiry it keeps renewing
while it lives. A job still ``running`` after its lease ran out was cut off (the process
died); any process serving its community takes it over and runs it again, so nothing is
lost, and handlers check their own state so that the rerun sends nothing twice. With one
process on SQLite, a start clears the last run's leases (`expire_leases`): the restarted
process runs its cut-off jobs at once instead of waiting out their leases.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from storage.database import Database, Row, Transaction
from storage.leases import Holder, Leases, claimable, route, served_by, skip_locked
from storage.timestamps import from_db, to_db

# Failed jobs are kept this much longer than done ones before they are pruned: each is a
# follow-up that never happened, and its `last_error` is what an admin reads to learn why.
FAILED_KEPT_LONGER = timedelta(days=60)


@dataclass(frozen=True, slots=True)
class Job:
    id: int
    community: str
    kind: str
    due_at: datetime
    payload: dict[str, Any]
    key: str
    attempts: int


@dataclass(frozen=True, slots=True)
class JobRequest:
    """One job to schedule with `JobRepository.upsert_many`."""

    community: str
    kind: str
    due_at: datetime
    key: str
    payload: dict[str, Any]


class JobRepository:
    def __init__(self, db: Database, holder: Holder | None = None) -> None:
        self._db = db
        # Who this repository claims jobs as; by default a process on its own.
        self.holder = holder or Holder.for_this_process()
        self.leases = Leases(db, self.holder, "jobs")

    async def upsert(
        self,
        *,
        community: str,
        kind: str,
        due_at: datetime,
        payload: dict[str, Any],
        key: str,
        now: datetime,
        tx: Transaction | None = None,
    ) -> bool:
        """Schedule under an idempotency key; a pending job with that key is moved instead.

        Returns False when the key belongs to a job that already ran: it is never re-armed,
        which is what keeps a replayed event from firing a follow-up twice. With `tx`, the
        job is written in the caller's transaction.
        """
        if tx is None:
            async with self._db.transaction() as own:
                return await self.upsert(
                    community=community,
                    kind=kind,
                    due_at=due_at,
                    payload=payload,
                    key=key,
                    now=now,
                    tx=own,
                )
        existing = await tx.fetch_one("SELECT status FROM jobs WHERE idempotency_key = ?", (key,))
        if existing is None:
            await tx.execute(
                "INSERT INTO jobs (community, kind, due_at, payload, idempotency_key,"
                " created_at, platform, shard_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    community,
                    kind,
                    to_db(due_at),
                    json.dumps(payload),
                    key,
                    to_db(now),
                    *route(community),
                ),
            )
            return True
        if existing["status"] != "pending":
            return False
        await tx.execute(
            "UPDATE jobs SET due_at = ?, payload = ? WHERE idempotency_key = ?",
            (to_db(due_at), json.dumps(payload), key),
        )
        return True

    async def upsert_many(self, requests: Sequence[JobRequest], now: datetime) -> None:
        """`upsert` for many jobs in one transaction (re-arming thousands at start-up).

        Pending jobs with the same key are moved; keys that already ran stay as they are.
        """
        async with self._db.transaction() as tx:
            await tx.executemany(
                "INSERT INTO jobs (community, kind, due_at, payload, idempotency_key,"
                " created_at, platform, shard_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (idempotency_key)"
                " DO UPDATE SET due_at = excluded.due_at, payload = excluded.payload"
                " WHERE jobs.status = 'pending'",
                [
                    (
                        r.community,
                        r.kind,
                        to_db(r.due_at),
                        json.dumps(r.payload),
                        r.key,
                        to_db(now),
                        *route(r.community),
                    )
                    for r in requests
                ],
            )

    async def cancel(self, key: str, tx: Transaction | None = None) -> bool:
        sql = "DELETE FROM jobs WHERE idempotency_key = ? AND status = 'pending'"
        if tx is None:
            return bool(await self._db.execute(sql, (key,)))
        return bool(await tx.execute(sql, (key,)))

    async def cancel_prefix(self, prefix: str) -> int:
        """Cancel every pending job whose key starts with `prefix` (e.g. one ticket's jobs).

        Compared with ``substr`` rather than ``LIKE``: SQLite's LIKE ignores case and has no
        escape character by default, so ``_`` and ``%`` in a key would match anything and
        the same prefix would cancel different jobs on PostgreSQL.
        """
        return await self._db.execute(
            "DELETE FROM jobs WHERE substr(idempotency_key, 1, ?) = ? AND status = 'pending'",
            (len(prefix), prefix),
        )

    async def next_due_at(self) -> datetime | None:
        """When the earliest job this holder serves is due; a cut-off job whose lease was
        cleared counts as due at its old time (it runs at once)."""
        served, params = served_by(self.holder.serves)
        value = await self._db.fetch_value(
            "SELECT MIN(due_at) FROM jobs WHERE (status = 'pending' OR (status = 'running'"
            f" AND lease_expires IS NULL)) AND {served}",
            params,
        )
        return None if value is None else from_db(value)

    async def claim_due(self, now: datetime, limit: int) -> list[Job]:
        """Atomically take up to `limit` jobs, oldest first, under a lease for this holder:
        due ones, and ones whose lease ran out (taken over from a process that died)."""
        holder = self.holder
        ready, params = claimable(holder)

        async def claim(tx: Transaction) -> list[Row]:
            rows = await tx.fetch_all(
                f"SELECT * FROM jobs WHERE due_at <= ? AND {ready}"
                f" ORDER BY due_at, id LIMIT ?{skip_locked(self._db.backend)}",
                (to_db(now), *params, limit),
            )
            if rows:
                await tx.execute(
                    "UPDATE jobs SET status = 'running', attempts = attempts + 1,"
                    f" lease_owner = ?, lease_expires = ? WHERE id IN ({_marks(rows)})",
                    (holder.owner, holder.until(), *(row["id"] for row in rows)),
                )
            return rows

        jobs = [_job(row, attempts_delta=1) for row in await self._db.atomic(claim)]
        self.leases.hold(job.id for job in jobs)
        return jobs

    async def finish(self, job_id: int, now: datetime) -> bool:
        """Mark a job done; False when this holder had lost it (its lease ran out and
        another process took it over, which then records the outcome)."""
        return await self._settle(job_id, "status = 'done', finished_at = ?", (to_db(now),))

    async def fail(self, job_id: int, error: str, retry_at: datetime | None) -> bool:
        """Record a failure; retry later, or give up when `retry_at` is None. False when
        this holder had lost the job."""
        if retry_at is None:
            return await self._settle(job_id, "status = 'failed', last_error = ?", (error,))
        return await self._settle(
            job_id, "status = 'pending', last_error = ?, due_at = ?", (error, to_db(retry_at))
        )

    async def _settle(self, job_id: int, assignments: str, params: tuple[str, ...]) -> bool:
        changed = await self._db.execute(
            f"UPDATE jobs SET {assignments}, lease_owner = NULL, lease_expires = NULL"
            " WHERE id = ? AND status = 'running' AND lease_owner = ?",
            (*params, job_id, self.holder.owner),
        )
        return bool(changed)

    async def pending(self, community: str | None = None) -> list[Job]:
        sql = "SELECT * FROM jobs WHERE status = 'pending'"
        params: tuple[str, ...] = ()
        if community is not None:
            sql += " AND community = ?"
            params = (community,)
        return [_job(row) for row in await self._db.fetch_all(sql + " ORDER BY due_at", params)]

    async def prune(self, before: datetime, limit: int) -> int:
        """Forget up to `limit` finished jobs: done ones finished before `before`, failed
        ones given up (the due time of their last attempt) `FAILED_KEPT_LONGER` before it.

        A finished row is what makes `upsert` refuse its key, so only rows older than any
        replay can reach back may go (the caller's retention sees to that; see
        `bot.retention`). ``due_at <= finished_at`` always, so the redundant ``due_at``
        condition lets the ``(status, due_at)`` index find the rows.
        """
        cutoff, failed_cutoff = to_db(before), to_db(before - FAILED_KEPT_LONGER)
        return await self._db.execute(
            "DELETE FROM jobs WHERE id IN (SELECT id FROM jobs WHERE"
            " (status = 'done' AND due_at < ? AND finished_at < ?)"
            " OR (status = 'failed' AND due_at < ?) ORDER BY id LIMIT ?)",
            (cutoff, cutoff, failed_cutoff, limit),
        )

    async def count_by_status(self) -> dict[str, int]:
        rows = await self._db.fetch_all("SELECT status, COUNT(*) FROM jobs GROUP BY status")
        return {row[0]: row[1] for row in rows}


def _marks(rows: list[Row]) -> str:
    return ", ".join("?" for _ in rows)


def _job(row: Row, attempts_delta: int = 0) -> Job:
    return Job(
        id=row["id"],
        community=row["community"],
        kind=row["kind"],
        due_at=from_db(row["due_at"]),
        payload=json.loads(row["payload"]),
        key=row["idempotency_key"],
        attempts=row["attempts"] + attempts_delta,
    )
