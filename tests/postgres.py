"""A throwaway PostgreSQL server for the test session, and a fresh database per test.

The server is the installed one (``initdb`` and ``pg_ctl`` on PATH or under
/usr/lib/postgresql/*/bin), run on a temporary folder with a unix socket and no TCP port,
without durability (``fsync=off``: the data dies with the session anyway). ``initdb``
refuses to run as root, so under root (CI) the server runs as the ``postgres`` system user
that the Debian package creates. With ``BOTSCHAFTER_TEST_DATABASE_URL`` set, that server is
used instead and nothing is started.

Databases are migrated once per session, into a template. A test borrows a migrated
database from a small pool (`borrow`) and gives it back (`give_back`); a background thread
then empties it while the next tests run: the test's leftover connections are cut, every
table but ``schema_migrations`` is emptied in foreign key order and every sequence
restarts, so the next borrower sees exactly the template. That takes ~15 ms, off the
tests' critical path, where copying the template and dropping the copy took ~160 ms per
test. A database whose schema a test changed (a migration, an extra table or column) is
dropped instead of reused. `fresh_database` (a copy of the template of one's own) and
`empty_database` (no tables at all, e.g. for migration tests) stay for tests that need a
database beside the borrowed one.
"""

from __future__ import annotations

import asyncio
import contextlib
import graphlib
import itertools
import os
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Coroutine
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

if TYPE_CHECKING:
    import asyncpg

URL_VARIABLE = "BOTSCHAFTER_TEST_DATABASE_URL"
REQUIRE_VARIABLE = "BOTSCHAFTER_REQUIRE_POSTGRES"
HOW_TO_ENABLE = (
    "PostgreSQL tests skipped: no PostgreSQL server. Install one (Debian: apt-get install"
    f" postgresql) or set {URL_VARIABLE}=postgresql://user:password@host/db to run them."
)
TEMPLATE = "botschafter_template"
T = TypeVar("T")


class Unavailable(Exception):
    """No server can be used; the message says why."""


@dataclass
class PostgresServer:
    """A server the tests may create databases on, reached through `admin_url`."""

    admin_url: str
    folder: Path | None = None  # set when this session started the server
    run_as: list[str] = field(default_factory=list)
    _numbers: itertools.count[int] = field(default_factory=itertools.count)
    # Given-back databases, each with the janitor's answer to "emptied and reusable?".
    _returned: list[tuple[str, Future[bool]]] = field(default_factory=list)
    # How to empty a borrowed database, and what its schema must look like to be reused
    # (both read from the template); no script when the template holds rows of its own.
    _reset_script: str | None = None
    _schema: str = ""
    _janitor: _Janitor = field(default_factory=lambda: _Janitor())

    @classmethod
    def start(cls) -> PostgresServer:
        url = os.environ.get(URL_VARIABLE)
        server = cls(admin_url=url) if url else _start_local()
        try:
            # On the janitor's loop: the caller may be inside a running event loop.
            server._janitor.run(server._make_template()).result()
        except BaseException:
            server.stop()
            raise
        return server

    def url_for(self, database: str) -> str:
        parts = urlsplit(self.admin_url)
        return urlunsplit(parts._replace(path=f"/{database}"))

    async def borrow(self) -> str:
        """An empty migrated database for one test, until `give_back`; returns its URL."""
        while self._returned:
            ready = [entry for entry in self._returned if entry[1].done()]
            name, emptied = (ready or self._returned)[0]
            self._returned.remove((name, emptied))
            if await asyncio.wrap_future(emptied):
                return self.url_for(name)
        return await self.fresh_database()

    async def give_back(self, url: str) -> None:
        """Hand a borrowed database to the janitor, who empties it for a later test while
        the next tests run (or drops it if it can't be reused)."""
        name = urlsplit(url).path.lstrip("/")
        if self._reset_script is None:
            await self.drop(url)
            return
        self._returned.append((name, self._janitor.run(self._empty(name))))

    async def _empty(self, name: str) -> bool:
        """On the janitor's loop: cut the test's leftover connections, check the schema is
        still the template's and empty every table; False (and the database dropped) if
        the schema changed or anything failed."""
        import asyncpg

        assert self._reset_script is not None
        try:
            connection = await self._janitor.connection(self.url_for(name))
            # Connections the test left open must not write into the next test.
            await connection.execute(_CUT_OTHERS)
            if await connection.fetchval(_SCHEMA_QUERY) == self._schema:
                await connection.execute(self._reset_script)
                return True
        except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError):
            pass
        await self._janitor.forget(self.url_for(name))
        await self.drop(self.url_for(name))
        return False

    async def fresh_database(self) -> str:
        """A new database with the current schema; returns its URL."""
        return await self._create(f"TEMPLATE {TEMPLATE}")

    async def empty_database(self) -> str:
        """A new database without any table (never migrated); returns its URL."""
        return await self._create("")

    async def _create(self, options: str) -> str:
        import asyncpg

        name = f"botschafter_test_{os.getpid()}_{next(self._numbers)}"
        connection = await asyncpg.connect(self.admin_url)
        try:
            await connection.execute(f'CREATE DATABASE "{name}" {options}')
        finally:
            await connection.close()
        return self.url_for(name)

    async def drop(self, url: str) -> None:
        """Drop a test's database (its connections are closed by then, or are cut)."""
        import asyncpg

        name = urlsplit(url).path.lstrip("/")
        connection = await asyncpg.connect(self.admin_url)
        try:
            await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await connection.close()

    async def _make_template(self) -> None:
        import asyncpg

        from storage.database import Database

        connection = await asyncpg.connect(self.admin_url)
        try:
            await connection.execute(f"DROP DATABASE IF EXISTS {TEMPLATE}")
            await connection.execute(f"CREATE DATABASE {TEMPLATE}")
        finally:
            await connection.close()
        db = await Database.open(self.url_for(TEMPLATE), pool_size=1)
        await db.close()
        connection = await asyncpg.connect(self.url_for(TEMPLATE))
        try:
            self._schema = await connection.fetchval(_SCHEMA_QUERY)
            self._reset_script = await _reset_script(connection)
        finally:
            await connection.close()

    def stop(self) -> None:
        for _, emptied in self._returned:
            with contextlib.suppress(Exception):
                emptied.result(timeout=30)
        self._janitor.close()
        if self.folder is None:
            return
        subprocess.run(
            [
                *self.run_as,
                _binary("pg_ctl"),
                "-D",
                str(self.folder / "data"),
                "-m",
                "immediate",
                "stop",
            ],
            capture_output=True,
            check=False,
        )
        shutil.rmtree(self.folder, ignore_errors=True)


class _Janitor:
    """A thread with an event loop of its own, which outlives each test's loop: it keeps
    one connection open per pooled database (a new connection pays ~30 ms to load the
    catalogue before its first DELETE) and empties given-back databases while the next
    test runs."""

    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self._connections: dict[str, asyncpg.Connection] = {}

    def run(self, work: Coroutine[Any, Any, T]) -> Future[T]:
        return asyncio.run_coroutine_threadsafe(work, self._loop)

    async def connection(self, url: str) -> asyncpg.Connection:
        import asyncpg

        if url not in self._connections:
            self._connections[url] = await asyncpg.connect(url)
        return self._connections[url]

    async def forget(self, url: str) -> None:
        if connection := self._connections.pop(url, None):
            connection.terminate()

    def close(self) -> None:
        async def close_all() -> None:
            for url in list(self._connections):
                await self.forget(url)

        if self._loop.is_closed():
            return
        self.run(close_all()).result()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._loop.close()


_CUT_OTHERS = (
    "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity"
    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
)
# The shape of a database's schema: its relations and their columns, and the migrations
# applied. A borrowed database is reused only while this matches the template's.
_SCHEMA_QUERY = """
SELECT md5(string_agg(line, ',' ORDER BY line)) FROM (
    SELECT n.nspname || '.' || c.relname || ':' || c.relkind::text AS line
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
      AND n.nspname NOT LIKE 'pg_toast%'
    UNION ALL
    SELECT c.oid::regclass::text || '.' || a.attname || ':'
           || format_type(a.atttypid, a.atttypmod) || ':' || a.attnotnull::text
    FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p')
      AND n.nspname NOT IN ('pg_catalog', 'information_schema')
    UNION ALL
    SELECT 'migration ' || version FROM schema_migrations
) AS schema_lines
"""


async def _reset_script(connection: asyncpg.Connection) -> str | None:
    """SQL that empties a migrated database: DELETE per table, referencing tables before
    the tables they reference (quicker than TRUNCATE on tables this small), then every
    sequence back to its start. None when the template holds rows of its own (a
    migration that seeds data): then each test gets a fresh copy instead."""
    tables = [
        row["name"]
        for row in await connection.fetch(
            "SELECT format('%I.%I', schemaname, tablename) AS name FROM pg_tables"
            " WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"
            " AND tablename <> 'schema_migrations'"
        )
    ]
    for table in tables:
        if await connection.fetchval(f"SELECT EXISTS (SELECT 1 FROM {table})"):
            return None
    order: graphlib.TopologicalSorter[str] = graphlib.TopologicalSorter()
    for table in tables:
        order.add(table)
    references = await connection.fetch(
        "SELECT format('%I.%I', cn.nspname, c.relname) AS child,"
        " format('%I.%I', pn.nspname, p.relname) AS parent"
        " FROM pg_constraint f"
        " JOIN pg_class c ON c.oid = f.conrelid JOIN pg_namespace cn ON cn.oid = c.relnamespace"
        " JOIN pg_class p ON p.oid = f.confrelid JOIN pg_namespace pn ON pn.oid = p.relnamespace"
        " WHERE f.contype = 'f' AND f.conrelid <> f.confrelid"
    )
    for row in references:
        order.add(row["parent"], row["child"])  # the child's rows go first
    try:
        deletes = [f"DELETE FROM {table};" for table in order.static_order()]
    except graphlib.CycleError:
        deletes = [f"TRUNCATE {', '.join(tables)} RESTART IDENTITY;"] if tables else []
    sequences = await connection.fetch(
        "SELECT format('%I.%I', schemaname, sequencename) AS name FROM pg_sequences"
    )
    restarts = [f"ALTER SEQUENCE {row['name']} RESTART;" for row in sequences]
    return "\n".join([*deletes, *restarts])


def _start_local() -> PostgresServer:
    initdb = _binary("initdb")
    run_as: list[str] = []
    folder = Path(tempfile.mkdtemp(prefix="botschafter-pg-"))
    if os.geteuid() == 0:
        runuser = shutil.which("runuser")
        if runuser is None:
            raise Unavailable("running as root, and no runuser to start PostgreSQL as postgres")
        run_as = [runuser, "-u", "postgres", "--"]
        try:
            shutil.chown(folder, user="postgres", group="postgres")
        except (LookupError, PermissionError) as error:
            raise Unavailable(f"running as root, no postgres user to run it as ({error})") from None
    data = folder / "data"
    server = PostgresServer(admin_url="", folder=folder, run_as=run_as)
    steps = [
        [
            initdb,
            "-D",
            str(data),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        ],
        [
            _binary("pg_ctl"),
            "-D",
            str(data),
            "-l",
            str(folder / "server.log"),
            "-w",
            "-t",
            "60",
            "-o",
            f"-k {folder} -c listen_addresses='' -F -c synchronous_commit=off"
            " -c full_page_writes=off -c max_connections=300",
            "start",
        ],
    ]
    for step in steps:
        done = subprocess.run([*run_as, *step], capture_output=True, text=True, check=False)
        if done.returncode != 0:
            log = folder / "server.log"
            detail = log.read_text() if log.exists() else ""
            server.stop()
            raise Unavailable(f"{Path(step[0]).name} failed: {done.stderr or done.stdout}{detail}")
    server.admin_url = f"postgresql://postgres@/postgres?host={folder}"
    return server


def _binary(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    found_paths = Path("/usr/lib/postgresql").glob(f"*/bin/{name}")
    candidates = sorted((str(p) for p in found_paths), key=_version)
    if not candidates:
        raise Unavailable(f"no {name} on PATH or under /usr/lib/postgresql/*/bin")
    return candidates[-1]


def _version(path: str) -> int:
    with contextlib.suppress(ValueError, IndexError):
        return int(Path(path).parts[-3])
    return 0
