"""The SQLite database: one file, WAL, foreign keys, migrations applied at start-up.

SQL here and in the repositories sticks to what PostgreSQL also runs (no SQLite-only
syntax beyond ``INSERT ... ON CONFLICT``, ``RETURNING`` and ISO-8601 text timestamps), so
an asyncpg backend can slot in behind the same repository interfaces.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import Any

import aiosqlite

log = logging.getLogger(__name__)

Row = sqlite3.Row
Params = Sequence[Any] | dict[str, Any]


class Database:
    """A connection plus a lock that makes each `transaction` atomic among coroutines."""

    def __init__(self, connection: aiosqlite.Connection, path: str) -> None:
        self._connection = connection
        self._lock = asyncio.Lock()
        self.path = path

    @classmethod
    async def open(cls, path: str | Path, *, migrate: bool = True) -> Database:
        """Open (creating folders and file as needed) and bring the schema up to date."""
        target = str(path)
        if target != ":memory:":
            Path(target).parent.mkdir(parents=True, exist_ok=True)
        connection = await aiosqlite.connect(target, isolation_level=None)
        connection.row_factory = sqlite3.Row
        await connection.execute("PRAGMA journal_mode=WAL")
        await connection.execute("PRAGMA foreign_keys=ON")
        await connection.execute("PRAGMA busy_timeout=5000")
        await connection.execute("PRAGMA synchronous=NORMAL")
        database = cls(connection, target)
        if migrate:
            await database.migrate()
        return database

    async def close(self) -> None:
        await self._connection.close()

    async def migrate(self) -> list[str]:
        """Apply pending migrations in order; returns the names applied this time."""
        await self._connection.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
        )
        applied = {row[0] for row in await self._fetch("SELECT version FROM schema_migrations")}
        done: list[str] = []
        for version, name, sql in _migrations():
            if version in applied:
                continue
            async with self.transaction() as tx:
                for statement in _statements(sql):
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
        """Run statements atomically; other coroutines wait until commit or rollback."""
        async with self._lock:
            await self._connection.execute("BEGIN IMMEDIATE")
            try:
                yield Transaction(self._connection)
            except BaseException:
                await self._connection.execute("ROLLBACK")
                raise
            await self._connection.execute("COMMIT")

    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one statement in its own transaction; returns the affected row count."""
        async with self.transaction() as tx:
            return await tx.execute(sql, params)

    async def insert(self, sql: str, params: Params = ()) -> int:
        """Run one INSERT in its own transaction; returns the new row id."""
        async with self.transaction() as tx:
            return await tx.insert(sql, params)

    async def fetch_all(self, sql: str, params: Params = ()) -> list[Row]:
        async with self._lock:
            return await self._fetch(sql, params)

    async def fetch_one(self, sql: str, params: Params = ()) -> Row | None:
        rows = await self.fetch_all(sql, params)
        return rows[0] if rows else None

    async def fetch_value(self, sql: str, params: Params = ()) -> Any:
        row = await self.fetch_one(sql, params)
        return None if row is None else row[0]

    async def _fetch(self, sql: str, params: Params = ()) -> list[Row]:
        async with self._connection.execute(sql, params) as cursor:
            return list(await cursor.fetchall())


class Transaction:
    """Statements inside `Database.transaction`; only valid inside that block."""

    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._connection = connection

    async def execute(self, sql: str, params: Params = ()) -> int:
        async with self._connection.execute(sql, params) as cursor:
            return cursor.rowcount

    async def insert(self, sql: str, params: Params = ()) -> int:
        async with self._connection.execute(sql, params) as cursor:
            return int(cursor.lastrowid or 0)

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        await self._connection.executemany(sql, rows)

    async def fetch_all(self, sql: str, params: Params = ()) -> list[Row]:
        async with self._connection.execute(sql, params) as cursor:
            return list(await cursor.fetchall())

    async def fetch_one(self, sql: str, params: Params = ()) -> Row | None:
        rows = await self.fetch_all(sql, params)
        return rows[0] if rows else None


def _migrations() -> list[tuple[int, str, str]]:
    """Migration files named ``NNNN_name.sql`` in storage/migrations, in version order."""
    found = []
    for entry in resources.files("storage.migrations").iterdir():
        stem, dot, suffix = entry.name.partition(".")
        if suffix != "sql" or not dot:
            continue
        number, _, name = stem.partition("_")
        found.append((int(number), name, entry.read_text(encoding="utf-8")))
    found.sort()
    versions = [version for version, _, _ in found]
    if len(set(versions)) != len(versions):
        raise RuntimeError(f"two migrations share a number: {versions}")
    return found


def _statements(sql: str) -> list[str]:
    """Split a migration into statements; migrations keep one statement per ``;``."""
    lines = [line for line in sql.splitlines() if not line.strip().startswith("--")]
    return [part.strip() for part in "\n".join(lines).split(";") if part.strip()]
