"""The platform_events table: a delivery key is claimed once per community until it
expires, and expired keys are pruned."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from storage.database import Database
from storage.platform_events import PlatformEventRepository

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)
DAY = timedelta(days=1)


async def test_a_key_is_claimed_once_per_community_until_it_expires(
    database_target: str | Path,
) -> None:
    db = await Database.open(database_target)
    try:
        events = PlatformEventRepository(db)
        assert await events.claim("slack:T1", "event:Ev1", NOW, DAY)
        assert not await events.claim("slack:T1", "event:Ev1", NOW + timedelta(hours=1), DAY)
        assert await events.claim("slack:T2", "event:Ev1", NOW, DAY)  # another workspace
        assert await events.claim("slack:T1", "event:Ev1", NOW + 2 * DAY, DAY)
    finally:
        await db.close()


async def test_expired_keys_are_pruned(database_target: str | Path) -> None:
    db = await Database.open(database_target)
    try:
        events = PlatformEventRepository(db)
        await events.claim("slack:T1", "event:old", NOW, DAY)
        await events.claim("slack:T1", "join:U1", NOW, 30 * DAY)
        assert await events.prune(NOW + 2 * DAY) == 1
        assert await events.count("slack:T1") == 1
        assert not await events.claim("slack:T1", "join:U1", NOW + 2 * DAY, 30 * DAY)
    finally:
        await db.close()
