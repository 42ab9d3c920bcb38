"""The audit log: who did what, when, to whom; append-only."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from storage.database import Database, Transaction
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
        params = (community, to_db(at), actor_id, action, subject, json.dumps(details or {}))
        sql = (
            "INSERT INTO audit_log (community, at, actor_id, action, subject, details)"
            " VALUES (?, ?, ?, ?, ?, ?)"
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
        return [
            AuditEntry(
                id=row["id"],
                community=row["community"],
                at=from_db(row["at"]),
                actor_id=row["actor_id"],
                action=row["action"],
                subject=row["subject"],
                details=json.loads(row["details"]),
            )
            for row in rows
        ]
