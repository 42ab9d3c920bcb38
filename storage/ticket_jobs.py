"""Which ticket jobs should exist but do not: the start-up check that nothing was lost.

A ticket's follow-up, reminder and first-response jobs are scheduled in the transaction of
the change that calls for them. Tickets imported, or stored by an older version that
scheduled after its commit, may lack them; these queries find exactly those tickets (one
indexed look-up per active ticket), so a restart arms them without touching the thousands
of tickets whose jobs are in place.
"""

from __future__ import annotations

from storage.database import Database
from storage.tickets import Ticket, ticket_from_row

FOLLOW_UP = "follow-up"
REMINDER = "remind"
FIRST_RESPONSE = "first-response"


def job_key(community: str, number: int, kind: str, seq: int = 0) -> str:
    """The idempotency key of one ticket job, e.g. ``ticket:discord:1:12:follow-up:3``."""
    return f"{job_key_prefix(community, number, kind)}{seq}"


def job_key_prefix(community: str, number: int, kind: str) -> str:
    """What the keys of one ticket's jobs of one kind (and of their outbox entries) start
    with, e.g. ``ticket:discord:1:12:follow-up:``."""
    return f"ticket:{community}:{number}:{kind}:"


def _key_sql(kind: str, seq_column: str) -> str:
    """`job_key` as SQL over a ``tickets t`` row (``||`` works in SQLite and PostgreSQL)."""
    return (
        "'ticket:' || t.community || ':' || CAST(t.number AS TEXT) || "
        f"':{kind}:' || CAST({seq_column} AS TEXT)"
    )


def _missing(kind: str, seq_column: str) -> str:
    key = _key_sql(kind, seq_column)
    return f"NOT EXISTS (SELECT 1 FROM jobs j WHERE j.idempotency_key = {key})"


class TicketJobAudit:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def missing_follow_ups(self) -> list[Ticket]:
        """Active tickets without their next follow-up; not those handed to the lead after
        unanswered follow-ups, which wait for an ambassador's step instead."""
        return await self._tickets(
            "t.active = 1 AND t.lead_escalated_at IS NULL"
            f" AND {_missing(FOLLOW_UP, 't.follow_up_seq')}"
        )

    async def missing_reminders(self) -> list[Ticket]:
        return await self._tickets(
            "t.active = 1 AND t.next_update_due IS NOT NULL AND t.owner_id IS NOT NULL"
            f" AND t.reminded_seq < t.promise_seq AND {_missing(REMINDER, 't.promise_seq')}"
        )

    async def missing_first_responses(self) -> list[Ticket]:
        return await self._tickets(
            "t.active = 1 AND t.owner_id IS NULL AND t.first_response_at IS NULL"
            f" AND t.first_response_escalated_at IS NULL AND {_missing(FIRST_RESPONSE, '0')}"
        )

    async def _tickets(self, condition: str) -> list[Ticket]:
        rows = await self._db.fetch_all(
            f"SELECT t.* FROM tickets t WHERE {condition} ORDER BY t.community, t.number"
        )
        return [ticket_from_row(row) for row in rows]
