"""A throwaway PostgreSQL server for the test session, and a fresh database per test.

The server is the installed one (``initdb`` and ``pg_ctl`` on PATH or under
/usr/lib/postgresql/*/bin), run on a temporary folder with a unix socket and no TCP port,
without durability (``fsync=off``: the data dies with the session anyway). ``initdb``
refuses to run as root, so under root (CI) the server runs as the ``postgres`` system user
that the Debian package creates. With ``BOTSCHAFTER_TEST_DATABASE_URL`` set, that server is
used instead and nothing is started.

Each test gets its own database, copied from a template migrated once per session
(``CREATE DATABASE ... TEMPLATE``, a file copy: far quicker than migrating each time).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import shutil
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

URL_VARIABLE = "BOTSCHAFTER_TEST_DATABASE_URL"
REQUIRE_VARIABLE = "BOTSCHAFTER_REQUIRE_POSTGRES"
HOW_TO_ENABLE = (
    "PostgreSQL tests skipped: no PostgreSQL server. Install one (Debian: apt-get install"
    f" postgresql) or set {URL_VARIABLE}=postgresql://user:password@host/db to run them."
)
TEMPLATE = "botschafter_template"


class Unavailable(Exception):
    """No server can be used; the message says why."""


@dataclass
class PostgresServer:
    """A server the tests may create databases on, reached through `admin_url`."""

    admin_url: str
    folder: Path | None = None  # set when this session started the server
    run_as: list[str] = field(default_factory=list)
    _numbers: itertools.count[int] = field(default_factory=itertools.count)

    @classmethod
    def start(cls) -> PostgresServer:
        url = os.environ.get(URL_VARIABLE)
        server = cls(admin_url=url) if url else _start_local()
        try:
            # Its own thread: the caller may be inside a running event loop.
            with ThreadPoolExecutor(1) as thread:
                thread.submit(asyncio.run, server._make_template()).result()
        except BaseException:
            server.stop()
            raise
        return server

    def url_for(self, database: str) -> str:
        parts = urlsplit(self.admin_url)
        return urlunsplit(parts._replace(path=f"/{database}"))

    async def fresh_database(self) -> str:
        """A new database with the current schema; returns its URL."""
        import asyncpg

        name = f"botschafter_test_{os.getpid()}_{next(self._numbers)}"
        connection = await asyncpg.connect(self.admin_url)
        try:
            await connection.execute(f'CREATE DATABASE "{name}" TEMPLATE {TEMPLATE}')
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

    def stop(self) -> None:
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
