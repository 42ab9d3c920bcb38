"""The database: migrations recorded once, WAL and foreign keys on."""

from __future__ import annotations

from pathlib import Path

from storage.database import Database


async def test_migrations_are_idempotent_on_an_existing_database(tmp_path: Path) -> None:
    path = tmp_path / "bot.db"
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


async def test_a_failed_transaction_changes_nothing(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "bot.db")
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
