"""Members' requests to see or erase their data, until an admin confirms them.

A request is numbered by its row id (shown as #N); a member has at most one waiting
request of each kind, so asking twice posts no second notice to the admins.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from storage.database import Database, Row, Transaction
from storage.timestamps import from_db, to_db


class RequestKind(StrEnum):
    EXPORT = "export"
    ERASE = "erase"


class RequestStatus(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"  # an export: the admin carries it out with the command line
    DONE = "done"  # an erasure the bot carried out


@dataclass(frozen=True, slots=True)
class PrivacyRequest:
    id: int
    community: str
    member_id: str
    member_name: str
    kind: RequestKind
    status: RequestStatus
    requested_at: datetime


class PrivacyRequests:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(
        self,
        tx: Transaction,
        community: str,
        member_id: str,
        member_name: str,
        kind: RequestKind,
        at: datetime,
    ) -> tuple[PrivacyRequest, bool]:
        """The member's waiting request of this kind, new (True) or the one already there."""
        waiting = await tx.fetch_one(
            "SELECT * FROM privacy_requests WHERE community = ? AND member_id = ? AND kind = ?"
            " AND status = ? ORDER BY id LIMIT 1",
            (community, member_id, kind, RequestStatus.PENDING),
        )
        if waiting is not None:
            return _request(waiting), False
        new_id = await tx.insert(
            "INSERT INTO privacy_requests (community, member_id, member_name, kind,"
            " requested_at) VALUES (?, ?, ?, ?, ?)",
            (community, member_id, member_name, kind, to_db(at)),
        )
        row = await tx.fetch_one("SELECT * FROM privacy_requests WHERE id = ?", (new_id,))
        assert row is not None
        return _request(row), True

    async def get(self, community: str, number: int) -> PrivacyRequest | None:
        row = await self._db.fetch_one(
            "SELECT * FROM privacy_requests WHERE community = ? AND id = ?", (community, number)
        )
        return None if row is None else _request(row)

    async def decide(
        self,
        community: str,
        number: int,
        by: str,
        at: datetime,
        status: RequestStatus,
        tx: Transaction | None = None,
    ) -> bool:
        """Mark a waiting request decided; False if it was decided already (two admins).
        Within `tx` when the decision commits only with what carries it out."""
        changed = await (tx or self._db).execute(
            "UPDATE privacy_requests SET status = ?, decided_by = ?, decided_at = ?"
            " WHERE community = ? AND id = ? AND status = ?",
            (status, by, to_db(at), community, number, RequestStatus.PENDING),
        )
        return changed == 1

    async def noticed(self, tx: Transaction, number: int, channel_id: str, message_id: str) -> None:
        """The admins' notice was posted (its message, for finding it again)."""
        await tx.execute(
            "UPDATE privacy_requests SET notice_channel_id = ?, notice_message_id = ? WHERE id = ?",
            (channel_id, message_id, number),
        )


def _request(row: Row) -> PrivacyRequest:
    return PrivacyRequest(
        id=row["id"],
        community=row["community"],
        member_id=row["member_id"],
        member_name=row["member_name"],
        kind=RequestKind(row["kind"]),
        status=RequestStatus(row["status"]),
        requested_at=from_db(row["requested_at"]),
    )
