"""The SQLite backend: one file, WAL, foreign keys, one writer at a time.

One connection and a lock: a transaction (``BEGIN IMMEDIATE``) holds the lock from begin to
commit, and reads outside a transaction take it too, so every transaction runs as if alone.
That is the whole concurrency story, and it is why SQLite serves one process.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, ClassVar

import aiosqlite

from storage.database import (
    Backend,
    Database,
    DatabaseMissing,
    DatabaseUnusable,
    Params,
    Row,
    Transaction,
    log,
    migrations,
    not_ours,
    outdated,
    pending,
    statements,
)


class SQLiteDatabase(Database):
    """A connection plus a lock that makes each `transaction` atomic among coroutines."""

    backend: ClassVar[Backend] = "sqlite"

    def __init__(self, connection: aiosqlite.Connection, path: str) -> None:
        super().__init__(path)
        self._connection = connection
        self._lock = asyncio.Lock()
        # The task inside a transaction: its own reads and nested transactions use the
        # open one (a continuation reading the configuration must not wait on itself).
        self._owner: asyncio.Task[Any] | None = None
        self._depth = 0
        self.path = path

    @classmethod
    async def connect(cls, path: str, *, migrate: bool, create: bool) -> SQLiteDatabase:
        """Open the file (see `Database.open`). A file SQLite cannot read raises
        `DatabaseUnusable`; the connection is closed first, because its worker thread
        would otherwise keep the process alive after the error."""
        if path != ":memory:":
            _prepare(Path(path), create=create)
        try:
            connection = await aiosqlite.connect(path, isolation_level=None)
        except sqlite3.Error as error:
            raise unusable(path, error) or error from None
        try:
            connection.row_factory = sqlite3.Row
            await connection.execute("PRAGMA journal_mode=WAL")
            await connection.execute("PRAGMA foreign_keys=ON")
            await connection.execute("PRAGMA busy_timeout=5000")
            await connection.execute("PRAGMA synchronous=NORMAL")
            database = cls(connection, path)
            await database._check_ours(created_here=create)
            if migrate:
                await database.migrate()
            elif not create:
                await database._check_up_to_date()
        except BaseException as error:
            await connection.close()
            if isinstance(error, sqlite3.Error) and (translated := unusable(path, error)):
                raise translated from None
            raise
        return database

    async def close(self) -> None:
        await self._connection.close()

    async def _check_ours(self, *, created_here: bool) -> None:
        tables = {row[0] for row in await self._fetch("SELECT name FROM sqlite_master")}
        if "schema_migrations" in tables or (created_here and not tables):
            return
        raise not_ours(self.location, empty=not tables)

    async def _check_up_to_date(self) -> None:
        applied = {row[0] for row in await self._fetch("SELECT version FROM schema_migrations")}
        if missing := pending(applied):
            raise outdated(self.location, missing)

    async def migrate(self) -> list[str]:
        await self._connection.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
        )
        applied = {row[0] for row in await self._fetch("SELECT version FROM schema_migrations")}
        done: list[str] = []
        for version, name, sql in migrations():
            if version in applied:
                continue
            async with self.transaction() as tx:
                for statement in statements(sql):
                    await tx.execute(statement)
                await tx.execute(
                    "INSERT INTO schema_migrations (version, name, applied_at)"
                    " VALUES (?, ?, CURRENT_TIMESTAMP)",
                    (version, name),
                )
            log.info("applied migration %04d %s", version, name)
            done.append(f"{version:04d}_{name}")
        return done

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        if self.holds_transaction():
            async with self._savepoint() as nested:
                yield nested
            return
        async with self._lock:
            self._owner = asyncio.current_task()
            try:
                await self._connection.execute("BEGIN IMMEDIATE")
                try:
                    yield SQLiteTransaction(self._connection)
                except BaseException:
                    await self._connection.execute("ROLLBACK")
                    raise
                await self._connection.execute("COMMIT")
            finally:
                self._owner = None

    @asynccontextmanager
    async def _savepoint(self) -> AsyncIterator[Transaction]:
        self._depth += 1
        name = f"nested_{self._depth}"
        await self._connection.execute(f"SAVEPOINT {name}")
        try:
            yield SQLiteTransaction(self._connection)
        except BaseException:
            await self._connection.execute(f"ROLLBACK TO {name}")
            await self._connection.execute(f"RELEASE {name}")
            raise
        finally:
            self._depth -= 1
        await self._connection.execute(f"RELEASE {name}")

    def holds_transaction(self) -> bool:
        return self._owner is not None and self._owner is asyncio.current_task()

    async def fetch_all(self, sql: str, params: Params = ()) -> list[Row]:
        if self.holds_transaction():
            return await self._fetch(sql, params)
        async with self._lock:
            return await self._fetch(sql, params)

    async def _fetch(self, sql: str, params: Params = ()) -> list[Row]:
        return await _fetch_all(self._connection, sql, params)


class SQLiteTransaction(Transaction):
    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._connection = connection

    async def execute(self, sql: str, params: Params = ()) -> int:
        async with self._connection.execute(sql, params) as cursor:
            return cursor.rowcount

    async def insert(self, sql: str, params: Params = ()) -> int:
        rows = await _fetch_all(self._connection, f"{sql} RETURNING id", params)
        if not rows:
            raise RuntimeError(f"insert returned no id: {sql}")
        return int(rows[0][0])

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        await self._connection.executemany(sql, rows)

    async def fetch_all(self, sql: str, params: Params = ()) -> list[Row]:
        return await _fetch_all(self._connection, sql, params)


async def _fetch_all(connection: aiosqlite.Connection, sql: str, params: Params) -> list[Row]:
    """Every row, in one trip to the connection's thread: executing, fetching and closing
    the cursor one by one took three, and each trip costs a thread switch (tens of µs on a
    busy machine). A flag runs about a hundred statements (issue 15's pipeline profile)."""
    return list(await connection.execute_fetchall(sql, params))


# What to do about a file SQLite refuses, by SQLite's primary result code.
_RESTORE = "Restore it from a backup, or move it aside to start with an empty database."
_ADVICE = {
    sqlite3.SQLITE_NOTADB: ("this is not a SQLite database (or it is encrypted)", _RESTORE),
    sqlite3.SQLITE_CORRUPT: ("the database is damaged (disk image is malformed)", _RESTORE),
    sqlite3.SQLITE_CANTOPEN: (
        "SQLite cannot open this file",
        "Check that the path names a file in an existing, writable folder.",
    ),
    sqlite3.SQLITE_PERM: ("permission denied", "Check the file's permissions."),
    sqlite3.SQLITE_READONLY: (
        "the database is read-only",
        "Give the bot write access to the file and its folder.",
    ),
    sqlite3.SQLITE_IOERR: ("an I/O error while reading or writing it", "Check the disk."),
    sqlite3.SQLITE_FULL: ("the disk is full", "Free some space, then start again."),
}


def unusable(path: str, error: sqlite3.Error) -> DatabaseUnusable | None:
    """A `DatabaseUnusable` for errors that are the file's fault; None for anything else
    (a bug in a statement is not the file's fault and keeps its traceback)."""
    code = getattr(error, "sqlite_errorcode", None)
    if code is None or (code & 0xFF) not in _ADVICE:
        return None
    problem, advice = _ADVICE[code & 0xFF]
    return DatabaseUnusable(f"{path}: {problem}. {advice}")


def _prepare(path: Path, *, create: bool) -> None:
    """Make the database's folder (when creating), or say plainly why it cannot be used."""
    folder = path.parent
    if folder.exists() and not folder.is_dir():
        raise DatabaseUnusable(
            f"{folder}: is a file, not a folder; the database {path.name} cannot live in it."
            " Check --data-dir / --database (BOTSCHAFTER_DATA_DIR, BOTSCHAFTER_DATABASE)."
        )
    if path.is_dir():
        raise DatabaseUnusable(
            f"{path}: is a folder, not a database file. Check --database (BOTSCHAFTER_DATABASE)."
        )
    if not create:
        if not path.exists():
            raise DatabaseMissing(
                f"{path}: no database here (this command creates none). Check --data-dir /"
                " --database (BOTSCHAFTER_DATA_DIR, BOTSCHAFTER_DATABASE); the bot creates the"
                " database when it first starts."
            )
        return
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise DatabaseUnusable(
            f"{folder}: cannot create the database's folder: {error.strerror}."
        ) from None
