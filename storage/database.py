"""The database: one interface, two backends, chosen by one setting.

``DATABASE_URL`` names it: a SQLite file (``sqlite:///data/botschafter.db``, or just a
path; the embedded default, one process) or a PostgreSQL server
(``postgresql://user@host/dbname``; several processes on one database). `Database.open`
picks the backend; repositories only see `Database` and `Transaction`.

The repositories' SQL is written once, in what both databases run (``INSERT ... ON
CONFLICT``, ``RETURNING``, ``||``, ISO-8601 text timestamps); the remaining differences in
spelling (placeholders, identity columns) are translated in `storage.dialect`. One set of
migrations serves both. New ids are read with ``RETURNING id``.

Transactions are reentrant per task on both backends: inside `Database.transaction`, the
same task's reads and nested transactions go through the open transaction (a continuation
reading the configuration must not wait on itself), and a nested transaction is a
savepoint that rolls back alone. Rows behave alike on both: ``row["column"]``, ``row[0]``,
``dict(row)``.

`Database.backend` (``"sqlite"`` or ``"postgresql"``) is for the few places that must differ
(row locks such as ``FOR UPDATE SKIP LOCKED`` exist only on PostgreSQL; SQLite has one
writer at a time anyway).
"""

from __future__ import annotations

import asyncio
import logging
import random
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from contextlib import AbstractAsyncContextManager
from importlib import resources
from pathlib import Path
from typing import Any, ClassVar, Literal, Protocol, TypeVar
from urllib.parse import urlsplit, urlunsplit

log = logging.getLogger(__name__)

Params = Sequence[Any]
Backend = Literal["sqlite", "postgresql"]
T = TypeVar("T")

# A unit of work that lost a race (serialization failure, deadlock) or its connection is
# run again, a few times, after a short random pause so two rivals do not collide again.
RETRY_ATTEMPTS = 8
RETRY_BASE_SECONDS = 0.02


class Row(Protocol):
    """A result row: by column name or position, and ``dict(row)``."""

    def __getitem__(self, key: int | str, /) -> Any: ...

    def keys(self) -> Iterable[str]: ...


class DatabaseUnusable(Exception):
    """The database cannot be used; the message names it and what to do about it."""


class DatabaseMissing(DatabaseUnusable):
    """A command that only reads found no database where it looked (it creates none)."""


class TransactionConflict(Exception):
    """A transaction lost a race with another one (or its connection) and was rolled back;
    running the same unit of work again is safe. `Database.atomic` does that."""


class Transaction(ABC):
    """Statements inside `Database.transaction`; only valid inside that block."""

    @abstractmethod
    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one statement; returns the affected row count."""

    @abstractmethod
    async def insert(self, sql: str, params: Params = ()) -> int:
        """Run an INSERT into a table with an ``id`` column; returns the new id."""

    @abstractmethod
    async def executemany(self, sql: str, rows: Iterable[Params]) -> None: ...

    @abstractmethod
    async def fetch_all(self, sql: str, params: Params = ()) -> list[Row]: ...

    async def fetch_one(self, sql: str, params: Params = ()) -> Row | None:
        rows = await self.fetch_all(sql, params)
        return rows[0] if rows else None


class Database(ABC):
    """A database the repositories read and write; open one with `Database.open`."""

    backend: ClassVar[Backend]

    def __init__(self, location: str) -> None:
        # Where it is, for messages: a file path, or the URL without its password.
        self.location = location

    @staticmethod
    async def open(
        target: str | Path,
        *,
        migrate: bool = True,
        create: bool = True,
        pool_size: int = 10,
    ) -> Database:
        """Open the database `target` names (a path, ``sqlite:///...`` or
        ``postgresql://...``) and bring its schema up to date.

        A read-only command passes ``create=False, migrate=False``: then a missing database,
        or one this program did not make, is a `DatabaseMissing` / `DatabaseUnusable` error
        instead of a new empty one. Anything that keeps the database from being used (a
        wrong URL, a refused password, an unreachable server, a damaged file) is a
        `DatabaseUnusable` whose message is one line saying what to do.
        """
        kind, where = parse_target(target)
        if kind == "sqlite":
            from storage.sqlite import SQLiteDatabase

            return await SQLiteDatabase.connect(where, migrate=migrate, create=create)
        from storage.postgres import PostgresDatabase

        return await PostgresDatabase.connect(
            where, migrate=migrate, create=create, pool_size=pool_size
        )

    @abstractmethod
    async def close(self) -> None: ...

    @abstractmethod
    def transaction(self) -> AbstractAsyncContextManager[Transaction]:
        """Run statements atomically, as if no other transaction ran at the same time.

        Inside a transaction of the same task, a nested one is a savepoint: it rolls back
        alone on error and commits with the outer one. On PostgreSQL a transaction that
        lost a race raises `TransactionConflict`; `atomic` retries it."""

    @abstractmethod
    async def fetch_all(self, sql: str, params: Params = ()) -> list[Row]: ...

    @abstractmethod
    async def migrate(self) -> list[str]:
        """Apply pending migrations in order; returns the names applied this time."""

    @abstractmethod
    def holds_transaction(self) -> bool:
        """Whether the current task is inside a transaction of this database."""

    async def atomic(self, work: Callable[[Transaction], Awaitable[T]]) -> T:
        """Run `work` in a transaction, again if the transaction loses a race or its
        connection (see `retrying`)."""

        async def once() -> T:
            async with self.transaction() as tx:
                return await work(tx)

        return await self.retrying(once)

    async def retrying(self, call: Callable[[], Awaitable[T]]) -> T:
        """Await `call()`; if a transaction in it raises `TransactionConflict` (rolled back,
        nothing written), await it again: bounded, after a short random pause. Inside an
        enclosing transaction a conflict goes up to whoever started that one, since only
        the whole transaction can run again."""
        attempt = 1
        while True:
            try:
                return await call()
            except TransactionConflict:
                if attempt >= RETRY_ATTEMPTS or self.holds_transaction():
                    raise
                log.debug("transaction conflict, attempt %d; retrying", attempt)
                await asyncio.sleep(random.uniform(0, RETRY_BASE_SECONDS * 2**attempt))
                attempt += 1

    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one statement in its own transaction; returns the affected row count."""
        return await self.atomic(lambda tx: tx.execute(sql, params))

    async def insert(self, sql: str, params: Params = ()) -> int:
        """Run one INSERT in its own transaction; returns the new row id."""
        return await self.atomic(lambda tx: tx.insert(sql, params))

    async def fetch_one(self, sql: str, params: Params = ()) -> Row | None:
        rows = await self.fetch_all(sql, params)
        return rows[0] if rows else None

    async def look_up(self, sql: str, params: Params = ()) -> list[Row]:
        """`fetch_all` for a read an index answers at once (a few rows by key, the least
        value of an indexed column), which the bot's own loop runs often: a backend may
        run it where a trip elsewhere costs more than the read (SQLite: on the loop's
        thread). A read that may scan a table belongs in `fetch_all`."""
        return await self.fetch_all(sql, params)

    async def fetch_value(self, sql: str, params: Params = ()) -> Any:
        row = await self.fetch_one(sql, params)
        return None if row is None else row[0]


def parse_target(target: str | Path) -> tuple[Backend, str]:
    """``("sqlite", path)`` or ``("postgresql", url)`` for a path or database URL.

    ``sqlite:///relative/file.db`` and ``sqlite:////absolute/file.db`` follow the usual
    URL convention (three slashes, then the path); a plain path is a SQLite file too.
    """
    text = str(target)
    if isinstance(target, Path) or "://" not in text:
        if text.startswith(("postgresql:", "postgres:")):
            raise DatabaseUnusable(f"{redact(text)}: {_URL_HELP}")
        return "sqlite", text
    scheme = text.partition("://")[0].lower()
    if scheme == "sqlite":
        path = text[len("sqlite://") :]
        if not path.startswith("/") or path == "/":
            raise DatabaseUnusable(
                f"{text}: a SQLite URL names a file after three slashes. {_URL_HELP}"
            )
        return "sqlite", path[1:]
    if scheme in ("postgresql", "postgres"):
        return "postgresql", text
    raise DatabaseUnusable(f"{redact(text)}: unknown kind of database {scheme!r}. {_URL_HELP}")


_URL_HELP = (
    "Set DATABASE_URL to sqlite:///path/to/file.db or postgresql://user:password@host/dbname."
)


def redact(url: str) -> str:
    """The URL with any password replaced, safe to print and log."""
    try:
        parts = urlsplit(url)
        if parts.password is None:
            return url
        netloc = parts.netloc.rpartition("@")
        user = netloc[0].partition(":")[0]
        return urlunsplit(parts._replace(netloc=f"{user}:***@{netloc[2]}"))
    except ValueError:
        return "(a database URL that cannot be read)"


def migrations() -> list[tuple[int, str, str]]:
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


def statements(sql: str) -> Iterator[str]:
    """Split a migration into statements; migrations keep one statement per ``;``."""
    lines = [line for line in sql.splitlines() if not line.strip().startswith("--")]
    return (part.strip() for part in "\n".join(lines).split(";") if part.strip())


def pending(applied: set[int]) -> list[str]:
    """Names of the migrations not in `applied`."""
    return [f"{v:04d}_{name}" for v, name, _ in migrations() if v not in applied]


def outdated(location: str, missing: list[str]) -> DatabaseUnusable:
    """A reader of an older schema would fail half-way; say how to bring it up to date."""
    return DatabaseUnusable(
        f"{location}: the database predates this version ({len(missing)} migration(s) "
        "pending). Run `python -m bot migrate`, or start the bot once, then try again."
    )


def not_ours(location: str, *, empty: bool) -> DatabaseUnusable:
    """Refuse a database another program made: migrating it would mix our tables in."""
    return DatabaseUnusable(
        f"{location}: this is not a Botschafter database"
        + (" (it is empty)" if empty else " (it holds another program's tables)")
        + ". Check DATABASE_URL, or --data-dir / --database (BOTSCHAFTER_DATA_DIR,"
        " BOTSCHAFTER_DATABASE)."
    )


__all__ = [
    "Database",
    "DatabaseMissing",
    "DatabaseUnusable",
    "Params",
    "Row",
    "Transaction",
    "TransactionConflict",
    "parse_target",
    "redact",
]
