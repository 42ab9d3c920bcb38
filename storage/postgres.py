"""The PostgreSQL backend (asyncpg): a connection pool, several processes on one database.

Concurrency. There is no process-wide lock: each top-level transaction takes its own pooled
connection, so transactions of one process and of several processes run at the same time.
They run at ``REPEATABLE READ`` isolation. The repositories and cogs were written for
SQLite, whose single writer ran every transaction as if alone, and they read a row and
write on what they read (a ticket's status before claiming it, a counter before bumping
it). At ``REPEATABLE READ`` a transaction sees one snapshot and may not overwrite a row
another transaction changed since: it fails with a serialization error and runs again, so
no update is lost (``READ COMMITTED`` would silently lose it). What that level does not
catch is write skew, two transactions deciding from a shared set of rows and each writing
a different one (a join wave's threshold, a ban quorum); those decisions first update one
row of ``serial_locks`` (storage/locks.py), which turns them into the case above.
``SERIALIZABLE`` would catch write skew by itself, at the price of more aborts, and a
handler run again after an abort is not always idempotent: tried on the suite, a ban
quorum reached on two processes at once banned nobody, because the re-run vote found its
reaction already in the ledger (entered by an earlier, committed transaction) and
skipped it. Fewer aborts, in the places that lock on purpose, is the safer trade.

Retries. A serialization failure, a deadlock or a lost connection rolls the transaction
back and raises `TransactionConflict`; `Database.atomic` (and `execute`/`insert`, and the
dispatcher around each handler) run the unit of work again, a few times, after a short
random pause. A read outside a transaction is one statement and is retried here.

Migrations run under ``pg_advisory_lock``, so two processes starting together migrate
once: the second waits, then finds nothing left to apply.

asyncpg is imported only here, when a PostgreSQL URL is opened: the SQLite default needs
nothing beyond the base install.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Iterable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, ClassVar

from storage.database import (
    Backend,
    Database,
    DatabaseMissing,
    DatabaseUnusable,
    Params,
    Row,
    Transaction,
    TransactionConflict,
    log,
    migrations,
    not_ours,
    outdated,
    pending,
    redact,
    statements,
)
from storage.dialect import migration_to_postgres, to_postgres

if TYPE_CHECKING:
    import asyncpg

# How long to wait for the server to answer a connection attempt: an unreachable host
# must be a clear error within seconds, not a hang.
CONNECT_TIMEOUT_SECONDS = 10.0
# The advisory lock key for migrations (any constant shared by every process): "BOTS".
_MIGRATION_LOCK = 0x424F5453


class PostgresDatabase(Database):
    """A pool of connections; a transaction holds one connection for its task."""

    backend: ClassVar[Backend] = "postgresql"

    def __init__(self, pool: asyncpg.Pool, location: str) -> None:
        super().__init__(location)
        self._pool = pool
        # The connection each task's open transaction runs on: the same task's reads and
        # nested transactions use it (nested ones as savepoints).
        self._held: dict[asyncio.Task[Any], asyncpg.Connection] = {}

    @classmethod
    async def connect(
        cls, url: str, *, migrate: bool, create: bool, pool_size: int
    ) -> PostgresDatabase:
        """Connect (see `Database.open`); any failure to reach or log in to the server is a
        `DatabaseUnusable` naming the URL without its password."""
        asyncpg = _asyncpg(url)
        location = redact(url)
        try:
            pool = await asyncio.wait_for(
                asyncpg.create_pool(
                    url,
                    min_size=1,
                    max_size=pool_size,
                    timeout=CONNECT_TIMEOUT_SECONDS,
                    # Statements are prepared once per connection and reused.
                    max_inactive_connection_lifetime=300.0,
                    reset=_reset,
                ),
                CONNECT_TIMEOUT_SECONDS + 2,
            )
        except Exception as error:
            raise _unreachable(location, error) from None
        database = cls(pool, location)
        try:
            await database._check_ours(created_here=create)
            if migrate:
                await database.migrate()
            elif not create:
                await database._check_up_to_date()
        except BaseException:
            await pool.close()
            raise
        return database

    async def close(self) -> None:
        await self._pool.close()

    async def _check_ours(self, *, created_here: bool) -> None:
        rows = await self.fetch_all(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
        )
        tables = {row[0] for row in rows}
        if "schema_migrations" in tables or (created_here and not tables):
            return
        if not tables and not created_here:
            raise DatabaseMissing(
                f"{self.location}: no Botschafter tables here (this command creates none)."
                " Check DATABASE_URL; the bot creates its tables when it first starts."
            )
        raise not_ours(self.location, empty=not tables)

    async def _check_up_to_date(self) -> None:
        applied = {row[0] for row in await self.fetch_all("SELECT version FROM schema_migrations")}
        if missing := pending(applied):
            raise outdated(self.location, missing)

    async def migrate(self) -> list[str]:
        """Apply pending migrations, one process at a time (a session advisory lock, held
        on one connection for the whole run)."""
        done: list[str] = []
        async with self._pool.acquire() as connection:
            await connection.execute("SELECT pg_advisory_lock($1)", _MIGRATION_LOCK)
            try:
                await connection.execute(
                    "CREATE TABLE IF NOT EXISTS schema_migrations ("
                    " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
                )
                rows = await connection.fetch("SELECT version FROM schema_migrations")
                applied = {row[0] for row in rows}
                for version, name, sql in migrations():
                    if version in applied:
                        continue
                    async with connection.transaction():
                        for statement in statements(sql):
                            await connection.execute(migration_to_postgres(statement))
                        await connection.execute(
                            "INSERT INTO schema_migrations (version, name, applied_at)"
                            " VALUES ($1, $2, CURRENT_TIMESTAMP)",
                            version,
                            name,
                        )
                    log.info("applied migration %04d %s", version, name)
                    done.append(f"{version:04d}_{name}")
            finally:
                await connection.execute("SELECT pg_advisory_unlock($1)", _MIGRATION_LOCK)
        return done

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        task = asyncio.current_task()
        assert task is not None, "transactions run inside a task"
        held = self._held.get(task)
        if held is not None:
            async with _conflicts(), held.transaction():  # a savepoint
                yield PostgresTransaction(held)
            return
        async with _conflicts():
            connection = await self._pool.acquire()
        try:
            outer = connection.transaction(isolation="repeatable_read")
            async with _conflicts():
                await outer.start()
            self._held[task] = connection
            try:
                yield PostgresTransaction(connection)
            except BaseException:
                self._held.pop(task, None)
                await _quietly(outer.rollback())
                raise
            self._held.pop(task, None)
            async with _conflicts():
                await outer.commit()
        finally:
            self._held.pop(task, None)
            await _quietly(self._pool.release(connection))

    def holds_transaction(self) -> bool:
        return asyncio.current_task() in self._held

    async def fetch_all(self, sql: str, params: Params = ()) -> list[Row]:
        held = self._held.get(asyncio.current_task())  # type: ignore[arg-type]
        if held is not None:
            return await PostgresTransaction(held).fetch_all(sql, params)
        return await self.retrying(lambda: self._fetch_alone(sql, params))

    async def _fetch_alone(self, sql: str, params: Params) -> list[Row]:
        async with _conflicts(), self._pool.acquire() as connection:
            return list(await connection.fetch(to_postgres(sql), *_bind(params)))


class PostgresTransaction(Transaction):
    def __init__(self, connection: asyncpg.Connection) -> None:
        self._connection = connection

    async def execute(self, sql: str, params: Params = ()) -> int:
        async with _conflicts():
            status = await self._connection.execute(to_postgres(sql), *_bind(params))
        count = status.rpartition(" ")[2]
        return int(count) if count.isdigit() else 0

    async def insert(self, sql: str, params: Params = ()) -> int:
        async with _conflicts():
            value = await self._connection.fetchval(
                to_postgres(f"{sql} RETURNING id"), *_bind(params)
            )
        if value is None:
            raise RuntimeError(f"insert returned no id: {sql}")
        return int(value)

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        async with _conflicts():
            await self._connection.executemany(to_postgres(sql), [_bind(r) for r in rows])

    async def fetch_all(self, sql: str, params: Params = ()) -> list[Row]:
        async with _conflicts():
            return list(await self._connection.fetch(to_postgres(sql), *_bind(params)))


def _bind(params: Iterable[Any]) -> tuple[Any, ...]:
    """The parameters as PostgreSQL takes them. Its TEXT cannot hold U+0000, which SQLite
    stores: member text carrying one (no chat client shows it) would fail its handler, so
    it is kept with U+FFFD in that place, for reads and writes alike."""
    return tuple(
        value.replace("\x00", "\ufffd") if isinstance(value, str) else value for value in params
    )


@asynccontextmanager
async def _conflicts() -> AsyncIterator[None]:
    """Turn the errors that mean "run it again" into `TransactionConflict`."""
    import asyncpg

    try:
        yield
    except (
        asyncpg.SerializationError,
        asyncpg.DeadlockDetectedError,
        asyncpg.ConnectionDoesNotExistError,
        asyncpg.PostgresConnectionError,
        ConnectionError,
    ) as error:
        raise TransactionConflict(f"{type(error).__name__}: {error}") from error


async def _reset(connection: asyncpg.Connection) -> None:
    """Ready a connection for its next user when it goes back to the pool.

    asyncpg's default also sends ``RESET ALL``, ``UNLISTEN *``, ``CLOSE ALL`` and
    ``pg_advisory_unlock_all()`` after every use: one more round trip per transaction,
    about a third of a scheduled job's database time with several processes. Nothing here
    leaves session state behind (the migration lock is released where it is taken), so
    only a connection still inside a transaction (one whose rollback failed) gets it."""
    if connection.is_in_transaction():
        await connection.reset()


async def _quietly(step: Awaitable[Any]) -> None:
    """Roll back or release on a connection that may already be gone."""
    try:
        await step
    except Exception as error:  # the transaction is over either way
        log.debug("cleanup after a failed transaction: %s", error)


def _asyncpg(url: str) -> Any:
    try:
        import asyncpg
    except ImportError:
        raise DatabaseUnusable(
            f"{redact(url)}: PostgreSQL needs the asyncpg package, which is not installed."
            " Install the postgres extra: pip install -e '.[postgres]'."
        ) from None
    return asyncpg


def _unreachable(location: str, error: BaseException) -> DatabaseUnusable:
    """One line for each way a connection fails, with what to check."""
    import asyncpg

    if isinstance(error, TimeoutError):
        reason = f"no answer within {CONNECT_TIMEOUT_SECONDS:.0f} s"
        advice = "Check the host and port, and that a firewall lets the bot through."
    elif isinstance(
        error, asyncpg.InvalidPasswordError | asyncpg.InvalidAuthorizationSpecificationError
    ):
        reason = str(error)
        advice = "Check the user name and password in DATABASE_URL."
    elif isinstance(error, asyncpg.InvalidCatalogNameError):
        reason = str(error)
        advice = "Create the database first (createdb), or fix its name in DATABASE_URL."
    elif isinstance(error, OSError):
        reason = error.strerror or str(error) or type(error).__name__
        advice = "Check that the server runs and that host and port in DATABASE_URL are right."
    else:
        reason = str(error) or type(error).__name__
        advice = "Check DATABASE_URL."
    return DatabaseUnusable(f"{location}: cannot connect to PostgreSQL: {reason}. {advice}")
