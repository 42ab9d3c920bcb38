"""Moderators' notes about members: context a flag or a record alone does not carry
("asked to stop in DMs on 3 May"). Visible to moderators only; audited like any action."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from storage.audit import AuditLog
from storage.database import Database, Row, Transaction
from storage.timestamps import from_db, to_db


@dataclass(frozen=True, slots=True)
class MemberNote:
    id: int
    member_id: str
    member_name: str
    author_id: str
    text: str
    at: datetime


class MemberNotes:
    def __init__(self, db: Database, audit: AuditLog) -> None:
        self._db = db
        self._audit = audit

    async def add(
        self,
        community: str,
        member_id: str,
        member_name: str,
        author_id: str,
        text: str,
        now: datetime,
    ) -> int:
        async with self._db.transaction() as tx:
            note_id = await tx.insert(
                "INSERT INTO moderation_notes (community, member_id, member_name, author_id,"
                " text, at) VALUES (?, ?, ?, ?, ?, ?)",
                (community, member_id, member_name, author_id, text, to_db(now)),
            )
            await self._audit.record(
                community,
                author_id,
                "moderation.note",
                now,
                subject=f"member:{member_id}",
                details={"note": note_id},
                tx=tx,
            )
        return note_id

    async def about(
        self, community: str, member_id: str, limit: int, tx: Transaction | None = None
    ) -> tuple[list[MemberNote], int]:
        """A member's newest notes (up to `limit`), and how many there are."""
        source = tx or self._db
        rows = await source.fetch_all(
            "SELECT * FROM moderation_notes WHERE community = ? AND member_id = ?"
            " ORDER BY at DESC, id DESC LIMIT ?",
            (community, member_id, limit),
        )
        counted = await source.fetch_one(
            "SELECT COUNT(*) AS n FROM moderation_notes WHERE community = ? AND member_id = ?",
            (community, member_id),
        )
        return [_note_from(row) for row in rows], int(counted["n"]) if counted else 0


def _note_from(row: Row) -> MemberNote:
    return MemberNote(
        id=row["id"],
        member_id=row["member_id"],
        member_name=row["member_name"],
        author_id=row["author_id"],
        text=row["text"],
        at=from_db(row["at"]),
    )
