"""Reports over tickets: the weekly digest's figures and the export for departments."""

from __future__ import annotations

import statistics
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from storage.database import Database, Transaction
from storage.ticket_queue import PUBLIC_SQL
from storage.tickets import Ticket, ticket_from_row
from storage.timestamps import from_db, to_db

# Rows fetched per round trip while exporting: large enough that a 100,000-ticket export
# needs few round trips, small enough to keep memory flat.
EXPORT_BATCH = 1000


@dataclass(frozen=True, slots=True)
class OverduePromises:
    owner_id: str
    owner_name: str
    numbers: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Backlog:
    """The queue as it stands: what is open, who waits, and since when. Private tickets are
    in the counts (`private` of them) but never named."""

    open: int = 0
    private: int = 0
    unclaimed: int = 0
    overdue: int = 0
    oldest: Ticket | None = None  # the active ticket opened first


@dataclass(frozen=True, slots=True)
class DigestFigures:
    start: datetime
    end: datetime
    opened: int
    resolved: list[Ticket]
    median_first_response: timedelta | None
    median_resolution: timedelta | None
    top_voted: list[Ticket]
    overdue: list[OverduePromises] = field(default_factory=list)
    backlog: Backlog = field(default_factory=Backlog)


class TicketReports:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def digest(
        self,
        community: str,
        start: datetime,
        end: datetime,
        top: int = 5,
        language: str | None = None,
    ) -> DigestFigures:
        """Figures for tickets of one community over ``[start, end)``, promises as of `end`;
        with `language`, only the tickets in that language (a language team's digest)."""
        scope, key = _scope(community, language)
        span = (*key, to_db(start), to_db(end))
        opened = await self._db.fetch_value(
            f"SELECT COUNT(*) FROM tickets WHERE {scope} AND opened_at >= ? AND opened_at < ?",
            span,
        )
        resolved_rows = await self._db.fetch_all(
            f"SELECT * FROM tickets WHERE {scope} AND resolved_at >= ? AND resolved_at < ?"
            " AND status = 'resolved' ORDER BY resolved_at, number",
            span,
        )
        resolved = [ticket_from_row(row) for row in resolved_rows]
        responses = await self._db.fetch_all(
            f"SELECT opened_at, first_response_at FROM tickets WHERE {scope}"
            " AND first_response_at >= ? AND first_response_at < ?",
            span,
        )
        top_rows = await self._db.fetch_all(
            f"SELECT * FROM tickets WHERE {scope} AND active = 1 AND vote_count > 0"
            f" AND {PUBLIC_SQL} ORDER BY vote_count DESC, opened_at, number LIMIT ?",
            (*key, top),
        )
        return DigestFigures(
            start=start,
            end=end,
            opened=int(opened or 0),
            resolved=resolved,
            median_first_response=_median([from_db(r[1]) - from_db(r[0]) for r in responses]),
            median_resolution=_median(
                [t.resolved_at - t.opened_at for t in resolved if t.resolved_at is not None]
            ),
            top_voted=[ticket_from_row(row) for row in top_rows],
            overdue=await self._overdue(community, end, language),
            backlog=await self.backlog(community, end, language),
        )

    async def backlog(self, community: str, now: datetime, language: str | None = None) -> Backlog:
        """Open, private, unclaimed and overdue counts of the active queue, and its oldest."""
        scope, key = _scope(community, language)
        row = await self._db.fetch_one(
            "SELECT COUNT(*), COALESCE(SUM(private), 0),"
            " COALESCE(SUM(CASE WHEN owner_id IS NULL THEN 1 ELSE 0 END), 0),"
            " COALESCE(SUM(CASE WHEN next_update_due < ? THEN 1 ELSE 0 END), 0)"
            f" FROM tickets WHERE {scope} AND active = 1",
            (to_db(now), *key),
        )
        oldest = await self._db.fetch_one(
            f"SELECT * FROM tickets WHERE {scope} AND active = 1"
            " ORDER BY opened_at, number LIMIT 1",
            key,
        )
        if row is None:
            return Backlog()
        return Backlog(
            open=int(row[0]),
            private=int(row[1]),
            unclaimed=int(row[2]),
            overdue=int(row[3]),
            oldest=None if oldest is None else ticket_from_row(oldest),
        )

    async def _overdue(
        self, community: str, now: datetime, language: str | None
    ) -> list[OverduePromises]:
        scope, key = _scope(community, language)
        rows = await self._db.fetch_all(
            f"SELECT owner_id, owner_name, number FROM tickets WHERE {scope} AND active = 1"
            f" AND owner_id IS NOT NULL AND next_update_due < ? AND {PUBLIC_SQL}"
            " ORDER BY owner_name, number",
            (*key, to_db(now)),
        )
        grouped: dict[str, OverduePromises] = {}
        for owner_id, owner_name, number in rows:
            entry = grouped.get(owner_id) or OverduePromises(owner_id, owner_name, ())
            grouped[owner_id] = OverduePromises(owner_id, owner_name, (*entry.numbers, number))
        return sorted(grouped.values(), key=lambda o: (-len(o.numbers), o.owner_name))

    async def communities(self) -> list[str]:
        """The communities that have tickets, so an export can name them."""
        rows = await self._db.fetch_all("SELECT DISTINCT community FROM tickets ORDER BY community")
        return [row[0] for row in rows]

    async def export_count(self, since: datetime | None, community: str | None = None) -> int:
        where, params = _export_where(since, community)
        return int(await self._db.fetch_value(f"SELECT COUNT(*) FROM tickets{where}", params) or 0)

    async def export(
        self, since: datetime | None, community: str | None = None
    ) -> AsyncIterator[Ticket]:
        """Every ticket changed since `since`, by community and number, in batches."""
        where, params = _export_where(since, community)
        joiner = " AND " if where else " WHERE "
        after: tuple[str, int] = ("", 0)
        while True:
            rows = await self._db.fetch_all(
                f"SELECT * FROM tickets{where}{joiner}"
                "(community > ? OR (community = ? AND number > ?))"
                " ORDER BY community, number LIMIT ?",
                (*params, after[0], after[0], after[1], EXPORT_BATCH),
            )
            for row in rows:
                yield ticket_from_row(row)
            if len(rows) < EXPORT_BATCH:
                return
            after = (rows[-1]["community"], rows[-1]["number"])


def _export_where(since: datetime | None, community: str | None) -> tuple[str, tuple[str, ...]]:
    clauses, params = [], []
    if since is not None:
        clauses.append("updated_at >= ?")
        params.append(to_db(since))
    if community is not None:
        clauses.append("community = ?")
        params.append(community)
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), tuple(params)


def _median(durations: list[timedelta]) -> timedelta | None:
    if not durations:
        return None
    seconds = statistics.median(d.total_seconds() for d in durations)
    return timedelta(seconds=round(seconds))


async def mark_digest_posted(tx: Transaction, community: str, period: str, at: datetime) -> None:
    """Record that a period's digest went out (called once the platform took it)."""
    await tx.execute(
        "INSERT INTO ticket_digests (community, period, posted_at) VALUES (?, ?, ?)"
        " ON CONFLICT (community, period) DO NOTHING",
        (community, period, to_db(at)),
    )


def _scope(community: str, language: str | None) -> tuple[str, tuple[str, ...]]:
    """The WHERE clause of a community's tickets, or of its tickets in one language."""
    if language is None:
        return "community = ?", (community,)
    return "community = ? AND language = ?", (community, language)
