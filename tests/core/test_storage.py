"""The database: migrations recorded once, WAL and foreign keys on."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest

from storage.database import Database
from storage.jobs import JobRepository


async def test_migrations_are_idempotent_on_an_existing_database(
    database_target: str | Path,
) -> None:
    path = database_target
    first = await Database.open(path)
    versions = await first.fetch_all("SELECT version, name FROM schema_migrations ORDER BY version")
    await first.execute(
        "INSERT INTO audit_log (community, at, actor_id, action)"
        " VALUES ('local:x', 't', 'a', 'kept')"
    )
    await first.close()

    second = await Database.open(path)
    assert await second.migrate() == []
    again = await second.fetch_all("SELECT version, name FROM schema_migrations ORDER BY version")
    assert [tuple(r) for r in again] == [tuple(r) for r in versions]
    assert versions[0]["name"] == "core"
    assert await second.fetch_value("SELECT action FROM audit_log") == "kept"
    await second.close()


async def test_the_database_uses_wal_and_foreign_keys(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "bot.db")
    assert await db.fetch_value("PRAGMA journal_mode") == "wal"
    assert await db.fetch_value("PRAGMA foreign_keys") == 1
    await db.close()


async def test_a_failed_transaction_changes_nothing(database_target: str | Path) -> None:
    db = await Database.open(database_target)
    try:
        async with db.transaction() as tx:
            await tx.execute(
                "INSERT INTO audit_log (community, at, actor_id, action)"
                " VALUES ('c', 't', 'a', 'x')"
            )
            raise RuntimeError("crash mid-change")
    except RuntimeError:
        pass
    assert await db.fetch_value("SELECT COUNT(*) FROM audit_log") == 0
    await db.close()


async def test_cancel_prefix_takes_the_prefix_literally(database_target: str | Path) -> None:
    db = await Database.open(database_target)
    try:
        jobs = JobRepository(db)
        now = datetime(2026, 1, 5, tzinfo=UTC)

        async def add(key: str) -> None:
            await jobs.upsert(
                community="local:x", kind="k", due_at=now, payload={}, key=key, now=now
            )

        await add("ticket:1_a:done")
        [done] = await jobs.claim_due(now, 10)
        await jobs.finish(done.id, now)
        for key in ("ticket:1_a:x", "ticket:1Xa:x", "TICKET:1_a:y", "ticket:1%:z"):
            await add(key)

        # "_" and "%" are no wildcards, case counts, and jobs that already ran stay recorded.
        assert await jobs.cancel_prefix("ticket:1_a:") == 1
        left = {job.key for job in await jobs.pending()}
        assert left == {"ticket:1Xa:x", "TICKET:1_a:y", "ticket:1%:z"}
        assert await jobs.count_by_status() == {"done": 1, "pending": 3}
    finally:
        await db.close()


async def test_reads_and_nested_transactions_inside_a_transaction_use_it(
    database_target: str | Path,
) -> None:
    db = await Database.open(database_target)

    async def change() -> None:
        async with db.transaction() as tx:
            await tx.execute(
                "INSERT INTO community_overrides VALUES ('local:a', 'k', '1', 'me', 'now')"
            )
            # A helper that reads through the database (not `tx`) sees the write and does
            # not wait for the transaction it is part of.
            value = await db.fetch_value("SELECT value FROM community_overrides WHERE key = 'k'")
            assert value == "1"
            with pytest.raises(RuntimeError):
                async with db.transaction() as nested:
                    await nested.execute("UPDATE community_overrides SET value = '2'")
                    raise RuntimeError("the nested step failed")

    try:
        await asyncio.wait_for(change(), 5)  # a deadlock fails the test instead of hanging it
        # The nested step rolled back alone; the outer write committed.
        assert await db.fetch_value("SELECT value FROM community_overrides") == "1"
    finally:
        await db.close()


async def test_text_with_a_nul_character_is_stored_and_found_again(
    database_target: str | Path,
) -> None:
    """Hostile member text may carry U+0000, which PostgreSQL's TEXT cannot hold: the
    statement must not fail, and a lookup by the same text finds the row."""
    db = await Database.open(database_target)
    try:
        await db.execute(
            "INSERT INTO community_overrides VALUES ('local:a', ?, '1', 'me', 'now')",
            ("bad\x00key",),
        )
        found = "SELECT value FROM community_overrides WHERE key = ?"
        assert await db.fetch_value(found, ("bad\x00key",)) == "1"
    finally:
        await db.close()
