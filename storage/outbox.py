"""The outbox table: platform side effects waiting to be carried out, and their outcomes.

An entry is added inside the transaction of the state change that causes it, so a crash
can never leave a change without its announcement, or an announcement without its change.
Entries in one lane are claimed in id order, and only once the entry they depend on (whose
result they name) was delivered. A claim is an atomic ``pending -> running`` update
under a lease (`storage.leases`, as for jobs): a lane whose entry is leased by one process
is not started by another, so its order holds across processes. An entry still
``running`` after its lease ran out was cut off (its process died); whoever takes it over
carries it out marked ``interrupted``, so its effect checks the platform before repeating
itself. With one process on SQLite, a start clears the last run's leases, so that happens
at once.
An entry still pending may be ``cancelled`` by the change that made it moot (a ping about an
unanswered ticket once someone answered); what builds on its result is cancelled with it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from storage.database import Database, Row, Transaction
from storage.leases import Holder, Leases, claimable, route, served_by, skip_locked
from storage.timestamps import from_db, optional_from_db, to_db

PENDING = "pending"
RUNNING = "running"
DELIVERED = "delivered"
FAILED = "failed"
SUPERSEDED = "superseded"
CANCELLED = "cancelled"
FINAL = (DELIVERED, FAILED, SUPERSEDED, CANCELLED)
# Kinds that set a state (a message's text, a thread's name): a newer one in the lane makes
# one still waiting moot.
LATEST_ONLY = ("edit", "rename_thread")


@dataclass(frozen=True, slots=True)
class NewEntry:
    community: str
    lane: str
    kind: str
    payload: dict[str, Any]
    key: str
    due_at: datetime
    depends_on: int | None = None
    then_kind: str | None = None
    then_data: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Entry:
    id: int
    community: str
    lane: str
    kind: str
    payload: dict[str, Any]
    key: str
    depends_on: int | None
    then_kind: str | None
    then_data: dict[str, Any]
    status: str
    attempts: int
    interrupted: bool
    due_at: datetime
    finished_at: datetime | None
    result: Any
    error_kind: str | None
    last_error: str | None


class OutboxRepository:
    def __init__(self, db: Database, holder: Holder | None = None) -> None:
        self._db = db
        # Who this repository claims entries as; by default a process on its own.
        self.holder = holder or Holder.for_this_process()
        self.leases = Leases(db, self.holder, "outbox")

    async def add(self, tx: Transaction, entry: NewEntry, now: datetime) -> int:
        """Add an entry; an entry with the same key is kept as it is (a replayed event or a
        re-run job adds nothing twice). Returns the id either way."""
        existing = await tx.fetch_one(
            "SELECT id FROM outbox WHERE idempotency_key = ?", (entry.key,)
        )
        if existing is not None:
            return int(existing["id"])
        if entry.kind in LATEST_ONLY:
            await tx.execute(
                "UPDATE outbox SET status = ?, finished_at = ? WHERE lane = ? AND kind = ?"
                " AND status = ?",
                (SUPERSEDED, to_db(now), entry.lane, entry.kind, PENDING),
            )
        return await tx.insert(
            "INSERT INTO outbox (community, lane, kind, payload, idempotency_key, depends_on,"
            " then_kind, then_data, due_at, created_at, platform, shard_key)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                entry.community,
                entry.lane,
                entry.kind,
                json.dumps(entry.payload),
                entry.key,
                entry.depends_on,
                entry.then_kind,
                json.dumps(entry.then_data or {}),
                to_db(entry.due_at),
                to_db(now),
                *route(entry.community),
            ),
        )

    async def get(self, entry_id: int) -> Entry | None:
        rows = await self._db.look_up("SELECT * FROM outbox WHERE id = ?", (entry_id,))
        return _entry(rows[0]) if rows else None

    async def claim(self, entry_id: int, now: datetime) -> Entry | None:
        """Take one entry under a lease if it may go now: due (or its lease ran out), of a
        community this holder serves, first in its lane, and its dependency delivered.
        None when it is not (yet) this caller's to deliver. One taken over from a process
        that died comes back `interrupted`."""
        entry = await self._db.atomic(lambda tx: self.claim_in(tx, entry_id, now))
        if entry is not None:
            self.leases.hold([entry_id])
        return entry

    async def claim_in(
        self, tx: Transaction, entry_id: int, now: datetime, *, edits: bool = True
    ) -> Entry | None:
        """`claim` in the caller's transaction (e.g. an entry just added by the
        continuation of the one before it); the caller holds its lease once that commits.
        Without `edits`, an edit is left waiting, where a later edit of its message can
        still supersede it."""
        holder = self.holder
        ready, params = claimable(holder, "o")
        kinds = "" if edits else " AND o.kind <> 'edit'"
        row = await tx.fetch_one(
            f"SELECT * FROM outbox o WHERE id = ? AND due_at <= ? AND {ready}{kinds}"
            f" AND {_LANE_HEAD} AND {_DEPENDENCY_MET}{skip_locked(self._db.backend)}",
            (entry_id, to_db(now), *params),
        )
        if row is None:
            return None
        await tx.execute(
            "UPDATE outbox SET status = ?, attempts = attempts + 1, lease_owner = ?,"
            " lease_expires = ? WHERE id = ?",
            (RUNNING, holder.owner, holder.until(), entry_id),
        )
        taken_over = row["status"] == RUNNING
        return _entry(row, attempts_delta=1, interrupted=taken_over or bool(row["interrupted"]))

    async def due_heads(self, now: datetime, limit: int) -> list[int]:
        """Ids of entries this holder may take now, at most one per lane, oldest first."""
        ready, params = claimable(self.holder, "o")
        rows = await self._db.look_up(
            f"SELECT id FROM outbox o WHERE due_at <= ? AND {ready}"
            f" AND {_LANE_HEAD} AND {_DEPENDENCY_MET} ORDER BY id LIMIT ?",
            (to_db(now), *params, limit),
        )
        return [int(row["id"]) for row in rows]

    async def blocker(self, entry_id: int, now: datetime) -> int | None:
        """The due entry that must go before this one: an older one of its lane, or the
        entry whose result it names."""
        ready, params = claimable(self.holder, "e")
        (row,) = await self._db.look_up(
            "SELECT MIN(e.id) FROM outbox o JOIN outbox e ON (e.lane = o.lane AND e.id < o.id"
            f" OR e.id = o.depends_on) WHERE o.id = ? AND e.due_at <= ? AND {ready}",
            (entry_id, to_db(now), *params),
        )
        return None if row[0] is None else int(row[0])

    async def next_due_at(self, after: datetime | None = None) -> datetime | None:
        """When the earliest waiting entry this holder serves is due (one cut off, with its
        lease cleared, counts from its old time); with `after`, the earliest due later
        than that. Only entries that may go once due count: first in their lane, their
        dependency delivered. One held behind another (in back-off, or under way) goes when
        that one is settled, which wakes the loop; counting its past due time would have
        the loop run again at once, over and over, for as long as the other waits."""
        served, served_params = served_by(self.holder.serves, "o")
        sql = (
            "SELECT MIN(due_at) FROM outbox o WHERE (status = ? OR (status = ?"
            f" AND lease_expires IS NULL)) AND {served} AND {_LANE_HEAD} AND {_DEPENDENCY_MET}"
        )
        params = [PENDING, RUNNING, *served_params]
        if after is not None:
            sql += " AND due_at > ?"
            params.append(to_db(after))
        # Not a `look_up`: it weighs every waiting entry (27 ms with 20,000 of them, after
        # a long outage), which must not hold up the loop's thread.
        value = await self._db.fetch_value(sql, params)
        return None if value is None else from_db(value)

    async def finish(
        self,
        tx: Transaction,
        entry_id: int,
        *,
        status: str,
        now: datetime,
        result: Any = None,
        error_kind: str | None = None,
        error: str | None = None,
    ) -> bool:
        """Record an entry's outcome; False (and nothing recorded) when this holder had
        lost the entry: its lease ran out and another process took it over."""
        changed = await tx.execute(
            "UPDATE outbox SET status = ?, finished_at = ?, result = ?, error_kind = ?,"
            f" last_error = ?, interrupted = 0, {_UNLEASED} WHERE id = ? AND {_HELD}",
            (
                status,
                to_db(now),
                json.dumps(result),
                error_kind,
                error,
                entry_id,
                RUNNING,
                self.holder.owner,
            ),
        )
        return bool(changed)

    async def any_waiting_on(self, tx: Transaction, entry_id: int, lane: str) -> bool:
        """Whether an entry waits for this one: later in its lane, or naming its result."""
        row = await tx.fetch_one(
            "SELECT 1 FROM outbox WHERE status = ? AND (lane = ? AND id > ? OR depends_on = ?)"
            " LIMIT 1",
            (PENDING, lane, entry_id, entry_id),
        )
        return row is not None

    async def rename_lane(self, tx: Transaction, old: str, new: str) -> None:
        """Entries queued for a post's placeholder join the lane of the posted message, so
        they keep their order with entries written after its id was known."""
        await tx.execute(
            "UPDATE outbox SET lane = ? WHERE lane = ? AND status = ?", (new, old, PENDING)
        )

    async def retry(self, entry_id: int, due_at: datetime, error_kind: str, error: str) -> None:
        await self._db.execute(
            "UPDATE outbox SET status = ?, due_at = ?, error_kind = ?, last_error = ?,"
            f" interrupted = 0, {_UNLEASED} WHERE id = ? AND {_HELD}",
            (PENDING, to_db(due_at), error_kind, error, entry_id, RUNNING, self.holder.owner),
        )

    async def requeue_recovering(self, entry_id: int, due_at: datetime) -> None:
        """Queue an entry again whose effect happened but whose outcome was not recorded."""
        await self._db.execute(
            f"UPDATE outbox SET status = ?, due_at = ?, interrupted = 1, {_UNLEASED}"
            f" WHERE id = ? AND {_HELD}",
            (PENDING, to_db(due_at), entry_id, RUNNING, self.holder.owner),
        )

    async def results(self, ids: list[int]) -> dict[int, Entry]:
        if not ids:
            return {}
        marks = ", ".join("?" for _ in ids)
        rows = await self._db.look_up(f"SELECT * FROM outbox WHERE id IN ({marks})", ids)
        return {int(row["id"]): _entry(row) for row in rows}

    async def fail_dependents(self, tx: Transaction, entry_id: int, now: datetime) -> list[int]:
        """Entries waiting on a failed entry can never go: fail them too (and theirs)."""
        return await self._end_dependents(tx, entry_id, FAILED, "failed", now)

    async def cancel(self, tx: Transaction, key: str, now: datetime) -> bool:
        """Cancel the entry with this key if it is still pending, and what builds on its
        result; False when there is none, or it is under way or finished."""
        row = await tx.fetch_one(
            "SELECT id FROM outbox WHERE idempotency_key = ? AND status = ?", (key, PENDING)
        )
        if row is None:
            return False
        await tx.execute(
            "UPDATE outbox SET status = ?, finished_at = ?, error_kind = ?, last_error = ?"
            " WHERE id = ?",
            (CANCELLED, to_db(now), "cancelled", "cancelled before it was carried out", row["id"]),
        )
        await self._end_dependents(tx, int(row["id"]), CANCELLED, "cancelled", now)
        return True

    async def _end_dependents(
        self, tx: Transaction, entry_id: int, status: str, why: str, now: datetime
    ) -> list[int]:
        ended: list[int] = []
        queue = [entry_id]
        while queue:
            parent = queue.pop()
            rows = await tx.fetch_all(
                "SELECT id FROM outbox WHERE depends_on = ? AND status = ?", (parent, PENDING)
            )
            for row in rows:
                child = int(row["id"])
                await tx.execute(
                    "UPDATE outbox SET status = ?, finished_at = ?, error_kind = ?,"
                    " last_error = ? WHERE id = ?",
                    (status, to_db(now), "dependency", f"entry {parent} {why}", child),
                )
                ended.append(child)
                queue.append(child)
        return ended

    async def waiting(self, key_prefix: str) -> list[Entry]:
        """Entries not carried out yet whose key starts with `key_prefix`, oldest first.
        (``substr``, not ``LIKE``: LIKE ignores case in SQLite and treats ``_`` as a
        wildcard.)"""
        rows = await self._db.fetch_all(
            "SELECT * FROM outbox WHERE substr(idempotency_key, 1, ?) = ? AND status IN (?, ?)"
            " ORDER BY id",
            (len(key_prefix), key_prefix, PENDING, RUNNING),
        )
        return [_entry(row) for row in rows]

    async def count_by_status(self) -> dict[str, int]:
        rows = await self._db.fetch_all("SELECT status, COUNT(*) FROM outbox GROUP BY status")
        return {row[0]: row[1] for row in rows}

    async def list(self, *, status: str | None = None, community: str | None = None) -> list[Entry]:
        sql = "SELECT * FROM outbox WHERE 1 = 1"
        params: list[str] = []
        if status is not None:
            sql += " AND status = ?"
            params.append(status)
        if community is not None:
            sql += " AND community = ?"
            params.append(community)
        return [_entry(row) for row in await self._db.fetch_all(sql + " ORDER BY id", params)]

    async def prune(self, before: datetime, limit: int) -> int:
        """Forget finished entries older than `before`, at most `limit` at a time; entries
        that pending ones still depend on are kept."""
        return await self._db.execute(
            "DELETE FROM outbox WHERE id IN (SELECT id FROM outbox o WHERE status IN (?, ?, ?, ?)"
            " AND finished_at < ? AND NOT EXISTS (SELECT 1 FROM outbox d WHERE"
            " d.depends_on = o.id AND d.status IN (?, ?)) ORDER BY id LIMIT ?)",
            (*FINAL, to_db(before), PENDING, RUNNING, limit),
        )


# A row this holder still has, and the lease columns of a row nobody has.
_HELD = "status = ? AND lease_owner = ?"
_UNLEASED = "lease_owner = NULL, lease_expires = NULL"
# An entry goes first in its lane: no older entry of that lane is still waiting or running.
_LANE_HEAD = (
    "NOT EXISTS (SELECT 1 FROM outbox e WHERE e.lane = o.lane AND e.id < o.id"
    " AND e.status IN ('pending', 'running'))"
)
# The entry whose result it names has been delivered.
_DEPENDENCY_MET = (
    "(o.depends_on IS NULL OR EXISTS (SELECT 1 FROM outbox d WHERE d.id = o.depends_on"
    " AND d.status = 'delivered'))"
)


def _entry(row: Row, attempts_delta: int = 0, interrupted: bool | None = None) -> Entry:
    return Entry(
        id=int(row["id"]),
        community=row["community"],
        lane=row["lane"],
        kind=row["kind"],
        payload=json.loads(row["payload"]),
        key=row["idempotency_key"],
        depends_on=row["depends_on"],
        then_kind=row["then_kind"],
        then_data=json.loads(row["then_data"]),
        status=row["status"],
        attempts=row["attempts"] + attempts_delta,
        interrupted=bool(row["interrupted"]) if interrupted is None else interrupted,
        due_at=from_db(row["due_at"]),
        finished_at=optional_from_db(row["finished_at"]),
        result=None if row["result"] is None else json.loads(row["result"]),
        error_kind=row["error_kind"],
        last_error=row["last_error"],
    )
