"""What the public web board reads: public tickets, their public steps, and nothing else.

Every query here carries `PUBLIC_SQL`, so a private ticket (opened with private:yes, seen
only by its opener and the ambassadors) can never reach a page or a feed, whatever the
visitor asks for. The steps shown are the ones the ticket's thread announces in public;
votes (who voted), escalations to the company and pings of the ambassadors stay inside.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from storage.database import Database, Row
from storage.ticket_queue import PUBLIC_SQL
from storage.tickets import HistoryEntry, Outcome, Status, Ticket, ticket_from_row
from storage.timestamps import from_db

# The history actions the thread announces in public, in the words of the tracker.
PUBLIC_ACTIONS = (
    "opened",
    "claimed",
    "updated",
    "resolved",
    "reopened",
    "withdrawn",
    "merged",
    "merged-in",
    "follow-up",
    "edited",
    "assigned",
)
_ACTIONS_SQL = f"action IN ({', '.join(repr(a) for a in PUBLIC_ACTIONS)})"
# A ticket page shows its whole public timeline up to this; a longer one shows the latest.
TIMELINE_LIMIT = 200


class Show(StrEnum):
    OPEN = "open"  # open, claimed or waiting on the company
    RESOLVED = "resolved"
    ALL = "all"


class Order(StrEnum):
    VOTES = "votes"  # most votes first, then the oldest
    NEWEST = "newest"
    WAITING = "waiting"  # oldest first: who has waited longest


_ORDER = {
    Order.VOTES: "vote_count DESC, opened_at, number",
    Order.NEWEST: "opened_at DESC, number DESC",
    Order.WAITING: "opened_at, number",
}
# Resolved tickets are among the inactive ones: the `active` term lets the board's indexes
# narrow them down before the status is read.
_SHOW = {
    Show.OPEN: "active = 1",
    Show.RESOLVED: "active = 0 AND status = 'resolved'",
    Show.ALL: "1 = 1",
}


@dataclass(frozen=True, slots=True)
class BoardQuery:
    community: str
    show: Show = Show.OPEN
    category: str | None = None
    search: str = ""
    order: Order = Order.VOTES
    limit: int = 20
    offset: int = 0


@dataclass(frozen=True, slots=True)
class BoardPage:
    tickets: list[Ticket]
    total: int


@dataclass(frozen=True, slots=True)
class Step:
    """One public step of a ticket, with the ticket's number and title."""

    number: int
    title: str
    id: int
    entry: HistoryEntry


class BoardRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def page(self, query: BoardQuery) -> BoardPage:
        where, params = _where(query)
        rows = await self._db.fetch_all(
            f"SELECT * FROM tickets WHERE {where} ORDER BY {_ORDER[query.order]} LIMIT ? OFFSET ?",
            (*params, query.limit, query.offset),
        )
        total = await self._db.fetch_value(f"SELECT COUNT(*) FROM tickets WHERE {where}", params)
        return BoardPage([ticket_from_row(row) for row in rows], int(total or 0))

    async def ticket(self, community: str, number: int) -> Ticket | None:
        """The ticket if it exists and is public; a private one is as absent as a missing one."""
        row = await self._db.fetch_one(
            f"SELECT * FROM tickets WHERE community = ? AND number = ? AND {PUBLIC_SQL}",
            (community, number),
        )
        return None if row is None else ticket_from_row(row)

    async def timeline(self, community: str, number: int) -> list[Step]:
        """The ticket's public steps, oldest first (the latest `TIMELINE_LIMIT`)."""
        rows = await self._steps("AND h.number = ?", (community, number, TIMELINE_LIMIT))
        return list(reversed(rows))

    async def recent_steps(self, community: str, limit: int) -> list[Step]:
        """The newest public steps of the community's public tickets, newest first."""
        return await self._steps("", (community, limit))

    async def _steps(self, narrower: str, params: tuple[object, ...]) -> list[Step]:
        rows = await self._db.fetch_all(
            "SELECT h.*, t.title AS ticket_title FROM ticket_history h JOIN tickets t"
            " ON t.community = h.community AND t.number = h.number"
            f" WHERE h.community = ? {narrower} AND h.{_ACTIONS_SQL} AND t.{PUBLIC_SQL}"
            " ORDER BY h.id DESC LIMIT ?",
            params,
        )
        return [Step(row["number"], row["ticket_title"], row["id"], _step(row)) for row in rows]

    async def communities(self) -> list[str]:
        """Every community that ever opened a ticket in this database."""
        rows = await self._db.fetch_all("SELECT community FROM ticket_counters ORDER BY community")
        return [row[0] for row in rows]


def _where(query: BoardQuery) -> tuple[str, tuple[object, ...]]:
    clauses = ["community = ?", PUBLIC_SQL, _SHOW[query.show]]
    params: list[object] = [query.community]
    if query.category:
        clauses.append("category = ?")
        params.append(query.category)
    words = query.search.split()
    for word in words:
        if word.startswith("#") and word[1:].isdigit():
            clauses.append("number = ?")
            params.append(int(word[1:]))
            continue
        pattern = f"%{_escape_like(word.lower())}%"
        clauses.append("(LOWER(title) LIKE ? ESCAPE '\\' OR LOWER(details) LIKE ? ESCAPE '\\')")
        params.extend((pattern, pattern))
    return " AND ".join(clauses), tuple(params)


def _escape_like(text: str) -> str:
    """A search for ``50%`` or ``a_b`` means those characters, not LIKE's wildcards."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _step(row: Row) -> HistoryEntry:
    """A history row as the board reads it (the joined feed query carries extra columns)."""
    return HistoryEntry(
        at=from_db(row["at"]),
        actor_id=row["actor_id"],
        actor_name=row["actor_name"],
        action=row["action"],
        from_status=None if row["from_status"] is None else Status(row["from_status"]),
        to_status=None if row["to_status"] is None else Status(row["to_status"]),
        note=row["note"],
        outcome=None if row["outcome"] is None else Outcome(row["outcome"]),
    )
