"""The ticket queue: filtered, sorted, paginated lists for one community or several.

Every list query is answered from an index whose column order matches the ORDER BY, so the
first page costs the same with a hundred tickets as with a hundred thousand.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from storage.database import Database
from storage.tickets import Status, Ticket, ticket_from_row

# `Ticket.is_public` as a condition, for queries that list tickets to everyone (the web
# board, a member's /ticket list).
PUBLIC_SQL = "private = 0"


class Sort(StrEnum):
    VOTES = "votes"  # most votes first, then the oldest
    AGE = "age"  # oldest first: who has waited longest
    NEWEST = "newest"


_ORDER = {
    Sort.VOTES: "vote_count DESC, opened_at, number",
    Sort.AGE: "opened_at, number",
    Sort.NEWEST: "opened_at DESC, number DESC",
}


@dataclass(frozen=True, slots=True)
class TicketQuery:
    """`status` None means the open queue (open, claimed, waiting); `any_status` lists all.

    `viewer_id` set: a member who is not an ambassador asks, so private tickets are left
    out except their own (`Ticket.is_public` in SQL); None: every ticket (ambassadors)."""

    communities: tuple[str, ...]
    status: Status | None = None
    any_status: bool = False
    opener_id: str | None = None
    owner_id: str | None = None
    category: str | None = None
    language: str | None = None
    sort: Sort = Sort.VOTES
    limit: int = 10
    offset: int = 0
    viewer_id: str | None = None


@dataclass(frozen=True, slots=True)
class Page:
    tickets: list[Ticket]
    total: int


class TicketQueue:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def page(self, query: TicketQuery) -> Page:
        if not query.communities:
            return Page([], 0)
        where, params = _where(query)
        rows = await self._db.fetch_all(
            f"SELECT * FROM tickets WHERE {where} ORDER BY {_ORDER[query.sort]} LIMIT ? OFFSET ?",
            (*params, query.limit, query.offset),
        )
        total = await self._db.fetch_value(f"SELECT COUNT(*) FROM tickets WHERE {where}", params)
        return Page([ticket_from_row(row) for row in rows], int(total or 0))

    async def communities(self) -> list[str]:
        """Every community that ever opened a ticket in this database."""
        rows = await self._db.fetch_all("SELECT community FROM ticket_counters ORDER BY community")
        return [row[0] for row in rows]


async def query_plan(db: Database, query: TicketQuery) -> list[str]:
    """SQLite's plan for a page of `query`, so tests can check it walks an index."""
    where, params = _where(query)
    rows = await db.fetch_all(
        f"EXPLAIN QUERY PLAN SELECT * FROM tickets WHERE {where}"
        f" ORDER BY {_ORDER[query.sort]} LIMIT 10",
        params,
    )
    return [str(row[3]) for row in rows]


async def count_plan(db: Database, query: TicketQuery) -> list[str]:
    """SQLite's plan for the total under a page of `query`: it should read an index only."""
    where, params = _where(query)
    rows = await db.fetch_all(
        f"EXPLAIN QUERY PLAN SELECT COUNT(*) FROM tickets WHERE {where}", params
    )
    return [str(row[3]) for row in rows]


def _where(query: TicketQuery) -> tuple[str, tuple[object, ...]]:
    clauses: list[str] = []
    params: list[object] = []
    if len(query.communities) == 1:
        clauses.append("community = ?")
    else:
        clauses.append(f"community IN ({', '.join('?' for _ in query.communities)})")
    params.extend(query.communities)
    if query.status is not None:
        clauses.append("status = ?")
        params.append(query.status.value)
    elif not query.any_status:
        clauses.append("active = 1")
    for column, value in (
        ("opener_id", query.opener_id),
        ("owner_id", query.owner_id),
        ("category", query.category),
        ("language", query.language),
    ):
        if value is not None:
            clauses.append(f"{column} = ?")
            params.append(value)
    if query.viewer_id is not None:
        clauses.append(f"({PUBLIC_SQL} OR opener_id = ?)")
        params.append(query.viewer_id)
    return " AND ".join(clauses), tuple(params)
