"""SQLite runs a transaction's statements on the event loop's thread (storage/sqlite.py),
yet still waits for a command beside the bot that holds the write lock, never closes the
connection under a transaction, and rolls back what failed. A transaction cancelled while
aiosqlite's thread works for it (a bulk insert, a BEGIN waiting for another
process's write lock) keeps its promise too: nothing of it is written, and the next
transaction runs as usual. The write-ahead log is copied into the database file as the
bot writes, though its own commits never do that work on the loop's thread."""

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


async def test_a_write_waits_for_another_process_holding_the_write_lock(
    db: Database, tmp_path: Path
) -> None:
    beside = sqlite3.connect(tmp_path / "bot.db", isolation_level=None)
    beside.execute("BEGIN IMMEDIATE")
    beside.execute("INSERT INTO notes (text) VALUES ('from the command')")
    writing = asyncio.create_task(db.insert("INSERT INTO notes (text) VALUES (?)", ("bot",)))
    await asyncio.sleep(0.2)
    assert not writing.done()  # waiting, not failed with "database is locked"
    beside.execute("COMMIT")
    beside.close()
    await asyncio.wait_for(writing, timeout=5)
    rows = await db.fetch_all("SELECT text FROM notes ORDER BY id")
    assert [row["text"] for row in rows] == ["from the command", "bot"]


async def test_loop_stays_free_while_a_write_waits_for_the_lock(
    db: Database, tmp_path: Path
) -> None:
    beside = sqlite3.connect(tmp_path / "bot.db", isolation_level=None)
    beside.execute("BEGIN IMMEDIATE")
    writing = asyncio.create_task(db.execute("INSERT INTO notes (text) VALUES ('bot')"))
    ticks = 0
    for _ in range(10):
        await asyncio.sleep(0.01)
        ticks += 1
    assert ticks == 10 and not writing.done()
    beside.execute("ROLLBACK")
    beside.close()
    assert await asyncio.wait_for(writing, timeout=5) == 1


async def test_a_failed_statement_rolls_the_whole_transaction_back(db: Database) -> None:
    with pytest.raises(sqlite3.IntegrityError):
        async with db.transaction() as tx:
            await tx.execute("INSERT INTO notes (text) VALUES ('kept?')")
            await tx.execute("INSERT INTO notes (text) VALUES (NULL)")
    assert await db.fetch_all("SELECT * FROM notes") == []


async def test_a_refused_commit_writes_nothing_and_the_next_transaction_runs(
    db: Database,
) -> None:
    """A deferred foreign key is checked by COMMIT itself, which then fails."""
    await db.execute("CREATE TABLE authors (id INTEGER PRIMARY KEY)")
    await db.execute(
        "CREATE TABLE books (id INTEGER PRIMARY KEY,"
        " author INTEGER REFERENCES authors (id) DEFERRABLE INITIALLY DEFERRED)"
    )
    with pytest.raises(sqlite3.IntegrityError):
        async with db.transaction() as tx:
            await tx.execute("INSERT INTO notes (text) VALUES ('lost')")
            await tx.execute("INSERT INTO books (author) VALUES (42)")
    assert await count(db) == 0
    await db.execute("INSERT INTO notes (text) VALUES ('next')")
    assert await count(db) == 1


async def test_the_log_is_copied_into_the_file_while_the_bot_writes(
    db: Database, tmp_path: Path
) -> None:
    """Without checkpoints the log would grow by every commit for as long as the bot runs
    (here, 1,000 commits of a few 4 KiB pages each: 13 MB); with them it stays under the
    4 MB SQLite's own checkpoints keep it to."""
    for number in range(1000):
        await db.execute("INSERT INTO notes (text) VALUES (?)", (f"{number:0>3000}",))
    assert (tmp_path / "bot.db-wal").stat().st_size < 4_000_000
    assert await count(db) == 1000


async def test_closing_waits_for_the_transaction_under_way(db: Database) -> None:
    entered = asyncio.Event()

    async def slow_transaction() -> None:
        async with db.transaction() as tx:
            await tx.execute("INSERT INTO notes (text) VALUES ('first')")
            entered.set()
            await asyncio.sleep(0.1)
            await tx.execute("INSERT INTO notes (text) VALUES ('second')")

    writing = asyncio.create_task(slow_transaction())
    await entered.wait()
    await db.close()
    await writing  # finished and committed before the connection closed
    reopened = await Database.open(db.location)
    try:
        rows = await reopened.fetch_all("SELECT text FROM notes ORDER BY id")
        assert [row["text"] for row in rows] == ["first", "second"]
    finally:
        await reopened.close()


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


async def test_a_cancelled_long_read_leaves_the_loop_free_for_the_next_transaction(
    db: Database,
) -> None:
    """The read goes on to its end on aiosqlite's thread; the transaction after it waits
    for that without holding up the loop."""
    reading = asyncio.create_task(
        db.fetch_all(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000000)"
            " SELECT COUNT(*) FROM n"
        )
    )
    await asyncio.sleep(0.05)
    reading.cancel()
    writing = asyncio.create_task(db.execute("INSERT INTO notes (text) VALUES ('next')"))
    ticks = 0
    while not writing.done():
        await asyncio.sleep(0.01)
        ticks += 1
    # The loop ran on while the read finished (about a second here); blocked, it ticks once.
    assert ticks >= 3
    with pytest.raises(asyncio.CancelledError):
        await reading
    assert await count(db) == 1
