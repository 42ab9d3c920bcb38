"""Per-community configuration that admins change at run time with commands."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from storage.database import Database
from storage.timestamps import to_db


class OverrideRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def all_for(self, community: str) -> dict[str, Any]:
        """Overrides as dotted keys (``welcome.channel``) mapped to JSON values."""
        rows = await self._db.fetch_all(
            "SELECT key, value FROM community_overrides WHERE community = ?", (community,)
        )
        return {row["key"]: json.loads(row["value"]) for row in rows}

    async def set(self, community: str, key: str, value: Any, by: str, at: datetime) -> None:
        await self._db.execute(
            "INSERT INTO community_overrides (community, key, value, updated_by, updated_at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (community, key) DO UPDATE SET"
            " value = excluded.value, updated_by = excluded.updated_by,"
            " updated_at = excluded.updated_at",
            (community, key, json.dumps(value), by, to_db(at)),
        )

    async def remove(self, community: str, key: str) -> bool:
        return bool(
            await self._db.execute(
                "DELETE FROM community_overrides WHERE community = ? AND key = ?",
                (community, key),
            )
        )
