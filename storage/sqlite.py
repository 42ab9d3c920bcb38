"""The SQLite backend: one file, WAL, foreign keys, one writer at a time.

One connection and a lock: a transaction (``BEGIN IMMEDIATE``) holds the lock from begin to
commit, and reads outside a transaction take it too, so every transaction runs as if alone.
That is the whole concurrency story, and it is why SQLite serves one process.

aiosqlite runs each call on the connection's own thread, so the event loop never waits for
the disk; but a trip there and back costs about 50 µs of CPU (a thread switch each way and
a wake-up of the loop), fifty times what a statement on an indexed table in SQLite's page
cache takes, and a flag runs dozens of statements. So a transaction runs on the loop's
thread, directly on the connection (the lock makes the transaction's task its only user):
``BEGIN IMMEDIATE`` when no other process (a command run beside the bot) holds the write
lock, the statements, and ``COMMIT``, which in WAL mode with ``synchronous=NORMAL`` appends
to the log without waiting for the disk. The slow part of committing, the checkpoint that
copies the log into the database file (waiting for the disk twice: on an SD card, a tenth
of a second), is SQLite's to do in the commit that fills the log; here that connection
never does it (``wal_autocheckpoint=0``): after `COMMITS_PER_CHECKPOINT` commits, the next
transaction runs it on aiosqlite's thread before it begins, holding the lock, so that no
commit of ours comes between and the log can start over. What may wait stays on
aiosqlite's thread: a ``BEGIN IMMEDIATE`` that must wait for another process's lock (up to
the busy timeout), ``executemany`` (bulk work) and reads outside a transaction (a search
over a large table must not stall the loop), except `look_up`, the reads an index answers
at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Iterable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, ClassVar, TypeVar

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

# How long a write waits for another process's (a command run beside the bot) to finish.
BUSY_TIMEOUT_MS = 5000
# A commit of the bot writes a few pages; a hundred commits stay well under the 1,000 pages
# SQLite would let the log grow to before checkpointing.
COMMITS_PER_CHECKPOINT = 100

T = TypeVar("T")


class SQLiteDatabase(Database):
    """A connection plus a lock that makes each `transaction` atomic among coroutines."""

    backend: ClassVar[Backend] = "sqlite"

    def __init__(
        self,
        connection: aiosqlite.Connection,
        direct: sqlite3.Connection,
        path: str,
        *,
        journal: str,
    ) -> None:
        super().__init__(path)
        self._connection = connection
        self._direct = direct
        self._lock = asyncio.Lock()
        # The task inside a transaction: its own reads and nested transactions use the
        # open one (a continuation reading the configuration must not wait on itself).
        self._owner: asyncio.Task[Any] | None = None
        self._depth = 0
        self.path = path
        self._commits = 0  # since the last checkpoint
        # A COMMIT waits for the disk unless the log is SQLite's write-ahead log (a file
        # system without shared memory refuses it) or the database lives in memory: then
        # it runs on aiosqlite's thread.
        self._commit_waits = journal not in ("wal", "memory")
        if self._commit_waits:
            log.warning(
                "%s: SQLite cannot use its write-ahead log here (journal mode %s); the bot"
                " works, more slowly. A local disk, not a network share, avoids this.",
                path,
                journal,
            )

    @classmethod
    async def connect(cls, path: str, *, migrate: bool, create: bool) -> SQLiteDatabase:
        """Open the file (see `Database.open`). A file SQLite cannot read raises
        `DatabaseUnusable`; the connection is closed first, because its worker thread
        would otherwise keep the process alive after the error."""
        if path != ":memory:":
            _prepare(Path(path), create=create)
        opened: list[sqlite3.Connection] = []

        def connect() -> sqlite3.Connection:
            """On aiosqlite's thread; usable from the loop's too (see the module's doc)."""
            opened.append(sqlite3.connect(path, isolation_level=None, check_same_thread=False))
            return opened[0]

        try:
            connection = await aiosqlite.Connection(connect, iter_chunk_size=64)
        except sqlite3.Error as error:
            raise unusable(path, error) or error from None
        try:
            opened[0].row_factory = sqlite3.Row
            (mode,) = await connection.execute_fetchall("PRAGMA journal_mode=WAL")
            await connection.execute("PRAGMA foreign_keys=ON")
            await connection.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            await connection.execute("PRAGMA synchronous=NORMAL")
            await connection.execute("PRAGMA wal_autocheckpoint=0")
            database = cls(connection, opened[0], path, journal=str(mode[0]))
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
        """After the transaction under way, if any: its statements run on the loop's
        thread, and closing the connection under them would crash the process."""
        async with self._lock:
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
            if self._commits >= COMMITS_PER_CHECKPOINT and not self._commit_waits:
                await self._copy_log()
            self._owner = asyncio.current_task()
            try:
                if not self._begin_at_once():
                    try:
                        await _to_the_end(self._connection.execute("BEGIN IMMEDIATE"))
                    except BaseException:
                        if self._direct.in_transaction:  # begun, then cancelled
                            self._direct.execute("ROLLBACK")
                        raise
                try:
                    yield SQLiteTransaction(self._connection, self._direct)
                    if self._commit_waits:
                        await _to_the_end(self._connection.execute("COMMIT"))
                    else:
                        self._direct.execute("COMMIT")
                except BaseException:
                    if self._direct.in_transaction:  # the work failed, or the COMMIT did
                        self._direct.execute("ROLLBACK")
                    raise
                self._commits += 1
            finally:
                self._owner = None

    async def _copy_log(self) -> None:
        """A passive checkpoint, before the transaction that found one due begins. One
        that fails loses nothing (readers read the log, and the next one copies it): it
        is logged, and the transaction goes on."""
        self._commits = 0
        try:
            await _to_the_end(self._connection.execute_fetchall("PRAGMA wal_checkpoint(PASSIVE)"))
        except sqlite3.Error as error:
            log.warning("could not copy the write-ahead log into %s: %s", self.path, error)

    def _begin_at_once(self) -> bool:
        """``BEGIN IMMEDIATE`` on this thread, unless another process holds the write lock
        (False: then the caller waits for it on aiosqlite's thread)."""
        self._direct.execute("PRAGMA busy_timeout=0")
        try:
            self._direct.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as error:
            if error.sqlite_errorcode != sqlite3.SQLITE_BUSY:
                raise
            return False
        finally:
            self._direct.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        return True

    @asynccontextmanager
    async def _savepoint(self) -> AsyncIterator[Transaction]:
        self._depth += 1
        name = f"nested_{self._depth}"
        self._direct.execute(f"SAVEPOINT {name}")
        try:
            yield SQLiteTransaction(self._connection, self._direct)
        except BaseException:
            self._direct.execute(f"ROLLBACK TO {name}")
            self._direct.execute(f"RELEASE {name}")
            raise
        finally:
            self._depth -= 1
        self._direct.execute(f"RELEASE {name}")

    def holds_transaction(self) -> bool:
        return self._owner is not None and self._owner is asyncio.current_task()

    async def fetch_all(self, sql: str, params: Params = ()) -> list[Row]:
        if self.holds_transaction():
            return self._direct.execute(sql, params).fetchall()
        async with self._lock:
            # Cancelled, the read still ends before the lock goes to a transaction, whose
            # statements would otherwise wait for it on the loop's thread.
            return await _to_the_end(self._fetch(sql, params))

    async def look_up(self, sql: str, params: Params = ()) -> list[Row]:
        if self.holds_transaction():
            return self._direct.execute(sql, params).fetchall()
        async with self._lock:
            return self._direct.execute(sql, params).fetchall()

    async def _fetch(self, sql: str, params: Params = ()) -> list[Row]:
        """Every row, in one trip to aiosqlite's thread (executing, fetching and closing
        the cursor one by one took three)."""
        return list(await self._connection.execute_fetchall(sql, params))


class SQLiteTransaction(Transaction):
    """Statements on the loop's thread, bulk work on aiosqlite's (see the module's doc)."""

    def __init__(self, connection: aiosqlite.Connection, direct: sqlite3.Connection) -> None:
        self._connection = connection
        self._direct = direct

    async def execute(self, sql: str, params: Params = ()) -> int:
        return self._direct.execute(sql, params).rowcount

    async def insert(self, sql: str, params: Params = ()) -> int:
        row = self._direct.execute(f"{sql} RETURNING id", params).fetchone()
        if row is None:
            raise RuntimeError(f"insert returned no id: {sql}")
        return int(row[0])

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        await _to_the_end(self._connection.executemany(sql, rows))

    async def fetch_all(self, sql: str, params: Params = ()) -> list[Row]:
        return self._direct.execute(sql, params).fetchall()


async def _to_the_end(call: Awaitable[T]) -> T:
    """Await a call on aiosqlite's thread until it has finished, even when the awaiting
    task is cancelled (the cancellation is passed on afterwards). The transaction's own
    statements, its ROLLBACK and the next transaction run on the loop's thread: run beside
    a bulk insert still under way, a ROLLBACK let the rest of its rows commit on their own,
    and a BEGIN still waiting for another process's lock left a transaction nobody owned."""
    work = asyncio.ensure_future(call)
    try:
        return await asyncio.shield(work)
    except asyncio.CancelledError:
        while not work.done():
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait([work])
        if not work.cancelled():
            work.exception()  # its error, if any, is not news: the caller was cancelled
        raise


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
