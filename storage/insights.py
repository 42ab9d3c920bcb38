"""The figures behind the insights pages: tickets, moderation and welcome of one community
over a date range ``[start, end)``.

Counts per week are counted per day in SQL (``substr(at, 1, 10)``, the same on both
backends: timestamps are ISO-8601 text) and summed into ISO weeks here, so a year is at
most 366 rows whatever the traffic. Medians are found by the database
(`Insights._median`), which sorts the durations where they are. Private tickets count in
every number but are never named: the lists of tickets take only public ones.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from storage.database import Database, Row
from storage.timestamps import from_db, to_db

LISTED = 5  # tickets named in "oldest unclaimed" and "most-voted open"
REPEAT = 2  # infractions in range that make a repeat offender
FIRST_WEEK = timedelta(days=7)  # a newcomer who posts within this of joining "posted"
# The public steps by an ambassador that keep a promised update.
KEEPS_PROMISE = ("updated", "escalated", "resolved")


@dataclass(frozen=True, slots=True)
class Named:
    """A public ticket named in a list."""

    number: int
    title: str
    opened_at: datetime
    votes: int


@dataclass(frozen=True, slots=True)
class TicketFigures:
    opened: dict[date, int]  # per ISO week (its Monday)
    resolved: dict[date, int]
    median_first_response: timedelta | None
    median_resolution: timedelta | None
    promises: int  # promised updates that fell due in range
    promises_kept: int  # of those, followed by a public step at or before the due time
    oldest_unclaimed: list[Named]
    most_voted: list[Named]
    outcomes: dict[str, int]


@dataclass(frozen=True, slots=True)
class ModerationFigures:
    flags: dict[tuple[date, str], int]  # (week, rule) → flags
    median_settle: timedelta | None
    actions: dict[str, int]
    reported: int  # settled flags that members reported
    reported_acted: int  # of those, settled with an action other than dismiss
    repeat_offenders: list[tuple[str, int]]  # (name, infractions) with REPEAT or more


@dataclass(frozen=True, slots=True)
class WelcomeFigures:
    joins: dict[date, int]
    joined: int
    accepted: int  # of those who joined in range
    settled: int  # who joined in range and whose first week is over
    posted: int  # of those, who posted within their first week
    kudos: dict[date, int]


def week_of(day: date) -> date:
    """The Monday that starts the ISO week of `day`."""
    return day - timedelta(days=day.weekday())


class Insights:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def tickets(
        self, community: str, start: datetime, end: datetime, now: datetime
    ) -> TicketFigures:
        span = (community, to_db(start), to_db(end))
        opened = await self._per_week("tickets", "opened_at", span)
        # Resolved per week and their outcomes in one pass over the resolved tickets.
        ended = await self._db.fetch_all(
            "SELECT substr(resolved_at, 1, 10) AS day, COALESCE(outcome, status) AS outcome,"
            " COUNT(*) AS n FROM tickets WHERE community = ? AND resolved_at >= ?"
            " AND resolved_at < ? GROUP BY substr(resolved_at, 1, 10), COALESCE(outcome, status)",
            span,
        )
        resolved: Counter[date] = Counter()
        outcomes: Counter[str] = Counter()
        for row in ended:
            resolved[week_of(date.fromisoformat(row["day"]))] += row["n"]
            outcomes[row["outcome"]] += row["n"]
        first_response = await self._median(
            "tickets",
            "opened_at",
            "first_response_at",
            "community = ? AND opened_at >= ? AND opened_at < ? AND first_response_at IS NOT NULL",
            span,
        )
        resolution = await self._median(
            "tickets",
            "opened_at",
            "resolved_at",
            "community = ? AND resolved_at >= ? AND resolved_at < ?",
            span,
            count=sum(resolved.values()),  # counted already, per week
        )
        promises, kept = await self._promises(community, start, min(end, now))
        unclaimed = await self._db.fetch_all(
            "SELECT number, title, opened_at, vote_count FROM tickets WHERE community = ?"
            " AND active = 1 AND private = 0 AND owner_id IS NULL"
            " ORDER BY opened_at, number LIMIT ?",
            (community, LISTED),
        )
        voted = await self._db.fetch_all(
            "SELECT number, title, opened_at, vote_count FROM tickets WHERE community = ?"
            " AND active = 1 AND private = 0 ORDER BY vote_count DESC, opened_at, number"
            " LIMIT ?",
            (community, LISTED),
        )
        return TicketFigures(
            opened=opened,
            resolved=dict(sorted(resolved.items())),
            median_first_response=first_response,
            median_resolution=resolution,
            promises=promises,
            promises_kept=kept,
            oldest_unclaimed=[_named(row) for row in unclaimed],
            most_voted=[_named(row) for row in voted],
            outcomes=dict(outcomes),
        )

    async def moderation(self, community: str, start: datetime, end: datetime) -> ModerationFigures:
        span = (community, to_db(start), to_db(end))
        by_rule = await self._db.fetch_all(
            "SELECT substr(f.created_at, 1, 10) AS day, h.rule AS rule,"
            " COUNT(DISTINCT f.id) AS n FROM moderation_flags f"
            " JOIN moderation_hits h ON h.flag_id = f.id WHERE f.community = ?"
            " AND f.created_at >= ? AND f.created_at < ? GROUP BY substr(f.created_at, 1, 10),"
            " h.rule",
            span,
        )
        # Flags no rule raised: reported by members, or filed by a moderator or the ladder.
        by_kind = await self._db.fetch_all(
            "SELECT substr(f.created_at, 1, 10) AS day, CASE WHEN EXISTS (SELECT 1 FROM"
            " moderation_reports r WHERE r.flag_id = f.id) THEN 'report' ELSE f.kind END"
            " AS rule, COUNT(*) AS n FROM moderation_flags f WHERE f.community = ?"
            " AND f.created_at >= ? AND f.created_at < ? AND NOT EXISTS (SELECT 1 FROM"
            " moderation_hits h WHERE h.flag_id = f.id) GROUP BY substr(f.created_at, 1, 10),"
            " CASE WHEN EXISTS (SELECT 1 FROM moderation_reports r WHERE r.flag_id = f.id)"
            " THEN 'report' ELSE f.kind END",
            span,
        )
        flags: Counter[tuple[date, str]] = Counter()
        for row in [*by_rule, *by_kind]:
            flags[(week_of(date.fromisoformat(row["day"])), row["rule"])] += row["n"]
        settle = await self._median(
            "moderation_flags",
            "created_at",
            "acted_at",
            "community = ? AND acted_at >= ? AND acted_at < ? AND status = 'settled'",
            span,
        )
        actions = await self._db.fetch_all(
            "SELECT outcome, COUNT(*) AS n FROM moderation_flags WHERE community = ?"
            " AND acted_at >= ? AND acted_at < ? AND status = 'settled'"
            " AND outcome IS NOT NULL GROUP BY outcome",
            span,
        )
        reported = await self._db.fetch_one(
            "SELECT COUNT(*) AS n, COALESCE(SUM(CASE WHEN outcome <> 'dismiss' THEN 1"
            " ELSE 0 END), 0) AS acted FROM moderation_flags f WHERE community = ?"
            " AND acted_at >= ? AND acted_at < ? AND status = 'settled' AND EXISTS"
            " (SELECT 1 FROM moderation_reports r WHERE r.flag_id = f.id)",
            span,
        )
        offenders = await self._db.fetch_all(
            "SELECT member_id, MAX(member_name) AS name, COUNT(*) AS n"
            " FROM moderation_infractions WHERE community = ? AND at >= ? AND at < ?"
            " GROUP BY member_id HAVING COUNT(*) >= ? ORDER BY COUNT(*) DESC, MAX(member_name)",
            (*span, REPEAT),
        )
        assert reported is not None
        return ModerationFigures(
            flags=dict(sorted(flags.items())),
            median_settle=settle,
            actions={row["outcome"]: row["n"] for row in actions},
            reported=int(reported["n"]),
            reported_acted=int(reported["acted"]),
            repeat_offenders=[(row["name"], row["n"]) for row in offenders],
        )

    async def welcome(
        self, community: str, start: datetime, end: datetime, now: datetime
    ) -> WelcomeFigures:
        span = (community, to_db(start), to_db(end))
        joined = await self._db.fetch_one(
            "SELECT COUNT(*) AS n, COUNT(accepted_at) AS accepted FROM welcome_members"
            " WHERE community = ? AND joined_at >= ? AND joined_at < ?",
            span,
        )
        assert joined is not None
        # Only newcomers whose first week is over: one who joined yesterday has not failed.
        if self._db.backend == "postgresql":
            within = (
                "CAST(first_post_at AS timestamptz)"
                " <= CAST(joined_at AS timestamptz) + INTERVAL '7 days'"
            )
        else:
            within = "julianday(first_post_at) - julianday(joined_at) <= 7"
        week = await self._db.fetch_one(
            f"SELECT COUNT(*) AS n, COALESCE(SUM(CASE WHEN {within} THEN 1 ELSE 0 END), 0)"
            " AS posted FROM welcome_members WHERE community = ? AND joined_at >= ?"
            " AND joined_at < ?",
            (community, to_db(start), to_db(min(end, now - FIRST_WEEK))),
        )
        assert week is not None
        return WelcomeFigures(
            joins=await self._per_week("welcome_members", "joined_at", span),
            joined=int(joined["n"]),
            accepted=int(joined["accepted"]),
            settled=int(week["n"]),
            posted=int(week["posted"]),
            kudos=await self._per_week("kudos", "given_at", span),
        )

    async def _promises(self, community: str, start: datetime, end: datetime) -> tuple[int, int]:
        """Promised updates due in ``[start, end)`` (`end` no later than now: a promise not
        due yet is neither kept nor broken) and how many were kept: a public update,
        escalation or resolution of the ticket came after the promise, by its due time.
        Promises made before their due time was recorded are not counted."""
        keeps = ", ".join("?" for _ in KEEPS_PROMISE)
        row = await self._db.fetch_one(
            "SELECT COUNT(*) AS n, COALESCE(SUM(CASE WHEN EXISTS (SELECT 1 FROM"
            " ticket_history k WHERE k.community = h.community AND k.number = h.number"
            f" AND k.id > h.id AND k.at <= h.promise_due AND k.action IN ({keeps}))"
            " THEN 1 ELSE 0 END), 0) AS kept FROM ticket_history h WHERE h.community = ?"
            " AND h.promise_due >= ? AND h.promise_due < ?",
            (*KEEPS_PROMISE, community, to_db(start), to_db(end)),
        )
        assert row is not None
        return int(row["n"]), int(row["kept"])

    async def _median(
        self,
        table: str,
        start: str,
        end: str,
        where: str,
        params: tuple[str, ...],
        count: int | None = None,
    ) -> timedelta | None:
        """The median of ``end - start`` over the rows `where` selects, found by the
        database (a year of a large community is tens of thousands of rows: fetching them
        to sort here would take seconds). The two middle rows of an even count are
        averaged."""
        # `table`, the columns and `where` are written in this module, never a visitor's.
        if count is None:
            count = int(
                await self._db.fetch_value(f"SELECT COUNT(*) FROM {table} WHERE {where}", params)
            )
        if count == 0:
            return None
        if self._db.backend == "postgresql":
            seconds = (
                f"EXTRACT(EPOCH FROM (CAST({end} AS timestamptz) - CAST({start} AS timestamptz)))"
            )
        else:
            seconds = f"(julianday({end}) - julianday({start})) * 86400.0"
        middle = await self._db.fetch_all(
            f"SELECT {seconds} AS seconds FROM {table} WHERE {where}"
            f" ORDER BY {seconds} LIMIT ? OFFSET ?",
            (*params, 2 - count % 2, (count - 1) // 2),
        )
        value = sum(float(row["seconds"]) for row in middle) / len(middle)
        return timedelta(seconds=round(value, 3))

    async def _per_week(
        self, table: str, column: str, span: tuple[str, str, str]
    ) -> dict[date, int]:
        # `table` and `column` are names written in this module, never a visitor's text.
        rows = await self._db.fetch_all(
            f"SELECT substr({column}, 1, 10) AS day, COUNT(*) AS n FROM {table}"
            f" WHERE community = ? AND {column} >= ? AND {column} < ?"
            f" GROUP BY substr({column}, 1, 10)",
            span,
        )
        weeks: Counter[date] = Counter()
        for row in rows:
            weeks[week_of(date.fromisoformat(row["day"]))] += row["n"]
        return dict(sorted(weeks.items()))


def _named(row: Row) -> Named:
    return Named(row["number"], row["title"], from_db(row["opened_at"]), row["vote_count"])
