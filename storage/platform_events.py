"""Deliveries an adapter has already handled, so a retried delivery is processed once.

Platforms redeliver: Slack retries an event it did not see acknowledged in time (same
``event_id``, ``X-Slack-Retry-Num`` set), and a reconnecting socket can replay one. The
adapter claims a key here before it acts; only the first claim wins, atomically, even when
the original and the retry arrive at the same moment. Keys expire: a retry comes within
the hour, so rows are pruned once they are past their ``expires_at``.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from storage.database import Database
from storage.timestamps import to_db


class PlatformEventRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def claim(self, community: str, key: str, now: datetime, keep_for: timedelta) -> bool:
        """Record `key` as handled; False if it was already claimed and has not expired."""
        async with self._db.transaction() as tx:
            await tx.execute(
                "DELETE FROM platform_events"
                " WHERE community = ? AND event_key = ? AND expires_at <= ?",
                (community, key, to_db(now)),
            )
            inserted = await tx.execute(
                "INSERT INTO platform_events (community, event_key, received_at, expires_at)"
                " VALUES (?, ?, ?, ?) ON CONFLICT (community, event_key) DO NOTHING",
                (community, key, to_db(now), to_db(now + keep_for)),
            )
        return inserted == 1

    async def prune(self, now: datetime) -> int:
        """Forget every expired key; returns how many rows went."""
        return await self._db.execute(
            "DELETE FROM platform_events WHERE expires_at <= ?", (to_db(now),)
        )

    async def count(self, community: str) -> int:
        value = await self._db.fetch_value(
            "SELECT COUNT(*) FROM platform_events WHERE community = ?", (community,)
        )
        return int(value or 0)
