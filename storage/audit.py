"""The audit log: who did what, when, to whom; append-only.

Each entry names the member it is about (`member_id`: from a ``member:ID`` subject or a
``member`` detail), so moderators can ask for everything that happened to one member.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from storage.database import Database, Row, Transaction
from storage.timestamps import from_db, to_db


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    community: str
    at: datetime
    actor_id: str
    action: str
    subject: str
    details: dict[str, Any]
    member_id: str = ""


@dataclass(frozen=True, slots=True)
class AuditQuery:
    """What /audit asks for; empty fields match everything. `action` matches the whole
    name ("moderation.ban") or its last part ("ban")."""

    member_id: str = ""
    actor_id: str = ""
    action: str = ""
    prefix: str = ""  # only actions whose name starts so, e.g. "moderation."


# An export reads the log in chunks of this many rows, so it never holds it all in memory.
EXPORT_CHUNK = 500


class AuditLog:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def record(
        self,
        community: str,
        actor_id: str,
        action: str,
        at: datetime,
        subject: str = "",
        details: dict[str, Any] | None = None,
        *,
        tx: Transaction | None = None,
    ) -> None:
        """Append an entry; pass `tx` to make it part of the change it describes."""
        params = (
            community,
            to_db(at),
            actor_id,
            action,
            subject,
            json.dumps(details or {}),
            _member_of(subject, details or {}),
        )
        sql = (
            "INSERT INTO audit_log (community, at, actor_id, action, subject, details, member_id)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)"
        )
        if tx is not None:
            await tx.execute(sql, params)
        else:
            await self._db.execute(sql, params)

    async def recent(self, community: str, limit: int = 50) -> list[AuditEntry]:
        rows = await self._db.fetch_all(
            "SELECT * FROM audit_log WHERE community = ? ORDER BY at DESC, id DESC LIMIT ?",
            (community, limit),
        )
        return [_entry_from(row) for row in rows]

    async def search(
        self, community: str, query: AuditQuery, limit: int, offset: int = 0
    ) -> tuple[list[AuditEntry], int]:
        """One page of matching entries, newest first, and how many match in all."""
        where, params = _where(community, query)
        total = await self._db.fetch_value(f"SELECT COUNT(*) FROM audit_log WHERE {where}", params)
        rows = await self._db.fetch_all(
            f"SELECT * FROM audit_log WHERE {where} ORDER BY at DESC, id DESC LIMIT ? OFFSET ?",
            (*params, limit, offset),
        )
        return [_entry_from(row) for row in rows], int(total)

    async def export(self, community: str | None = None) -> AsyncIterator[AuditEntry]:
        """Every entry (of one community, or all), oldest first, read in chunks."""
        last = 0
        while True:
            rows = await self._db.fetch_all(
                "SELECT * FROM audit_log WHERE id > ? AND (? = '' OR community = ?)"
                " ORDER BY id LIMIT ?",
                (last, community or "", community or "", EXPORT_CHUNK),
            )
            for row in rows:
                yield _entry_from(row)
            if len(rows) < EXPORT_CHUNK:
                return
            last = rows[-1]["id"]


def _where(community: str, query: AuditQuery) -> tuple[str, tuple[Any, ...]]:
    clauses, params = ["community = ?"], [community]
    if query.member_id:
        clauses.append("member_id = ?")
        params.append(query.member_id)
    if query.actor_id:
        clauses.append("actor_id = ?")
        params.append(query.actor_id)
    if query.prefix:
        clauses.append("action LIKE ?")
        params.append(query.prefix.replace("%", "") + "%")
    if query.action:
        clauses.append("(action = ? OR action LIKE ?)")
        params.extend([query.action, "%." + query.action.replace("%", "")])
    return " AND ".join(clauses), tuple(params)


def _member_of(subject: str, details: dict[str, Any]) -> str:
    if subject.startswith("member:"):
        return subject.removeprefix("member:")
    member = details.get("member")
    return member if isinstance(member, str) else ""


def _entry_from(row: Row) -> AuditEntry:
    return AuditEntry(
        id=row["id"],
        community=row["community"],
        at=from_db(row["at"]),
        actor_id=row["actor_id"],
        action=row["action"],
        subject=row["subject"],
        details=json.loads(row["details"]),
        member_id=row["member_id"],
    )
