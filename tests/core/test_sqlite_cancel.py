"""A transaction cancelled while aiosqlite's thread works for it (storage/sqlite.py: bulk
inserts, COMMIT, a BEGIN waiting for another process's write lock) keeps its promise:
nothing of it is written, and the next transaction runs as usual."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from storage.database import Database

TABLE = "CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL)"
ROWS = 200_000  # long enough that the bulk insert is still under way when cancelled


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    opened = await Database.open(str(tmp_path / "bot.db"))
    await opened.execute(TABLE)
    yield opened
    await opened.close()


async def count(db: Database) -> int:
    return int(await db.fetch_value("SELECT COUNT(*) FROM notes"))


async def test_a_transaction_cancelled_during_a_bulk_insert_writes_nothing(db: Database) -> None:
    bulk_started = asyncio.Event()
    bulk_done = False

    async def import_notes() -> None:
        nonlocal bulk_done
        async with db.transaction() as tx:
            await tx.execute("INSERT INTO notes (text) VALUES ('header')")
            bulk_started.set()
            await tx.executemany(
                "INSERT INTO notes (text) VALUES (?)", ((str(i),) for i in range(ROWS))
            )
            bulk_done = True

    importing = asyncio.create_task(import_notes())
    await bulk_started.wait()
    await asyncio.sleep(0)  # the import is now waiting for its bulk insert
    importing.cancel()
    with pytest.raises(asyncio.CancelledError):
        await importing
    assert not bulk_done
    await asyncio.sleep(0.5)  # anything left running on aiosqlite's thread has finished
    assert await count(db) == 0
    await db.execute("INSERT INTO notes (text) VALUES ('next')")
    assert await count(db) == 1


async def test_a_write_cancelled_while_waiting_for_another_process_leaves_no_transaction(
    db: Database, tmp_path: Path
) -> None:
    beside = sqlite3.connect(tmp_path / "bot.db", isolation_level=None)
    beside.execute("BEGIN IMMEDIATE")
    writing = asyncio.create_task(db.execute("INSERT INTO notes (text) VALUES ('dropped')"))
    await asyncio.sleep(0.2)
    writing.cancel()
    beside.execute("COMMIT")
    beside.close()
    with pytest.raises(asyncio.CancelledError):
        await writing
    await asyncio.wait_for(db.execute("INSERT INTO notes (text) VALUES ('next')"), timeout=10)
    rows = await db.fetch_all("SELECT text FROM notes")
    assert [row["text"] for row in rows] == ["next"]
