"""Shared fixtures: a bot on a local community, its database (a SQLite file, and again a
PostgreSQL database: see `--backend`) and a virtual clock."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest

from adapters.local import LocalCommunity
from bot.app.local_session import LocalSession
from bot.clock import VirtualClock
from bot.settings import Settings
from tests.postgres import HOW_TO_ENABLE, REQUIRE_VARIABLE, PostgresServer, Unavailable

# The bots the tests start serve no web board unless a test asks for one (tests/web): a
# fixed port shared by parallel test runs would collide, and nothing else needs it.
os.environ.setdefault("WEB_ENABLED", "false")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--backend",
        choices=("sqlite", "postgresql", "both"),
        default=os.environ.get("BOTSCHAFTER_TEST_BACKEND", "both"),
        help="the database(s) the database-touching tests run on (default: both; tests on"
        " PostgreSQL skip when no server is installed, see tests/postgres.py)",
    )


# Every test that uses the bot's database (through `settings`, `database_url`,
# `database_target` or `empty_database_target`) runs on each backend `--backend` chooses;
# a test that does not runs once. These few are about SQLite itself, so run on it alone:
BACKS_UP_THE_FILE = "copies the SQLite file; PostgreSQL is backed up with pg_dump instead"
SQLITE_ONLY: dict[str, dict[str, str]] = {
    "tests/core/test_backup.py": {
        "test_scheduled_backups_fire_once_each_across_a_restart_and_keep_the_newest": (
            BACKS_UP_THE_FILE
        ),
        "test_a_failed_scheduled_backup_is_logged_and_told_to_the_admins": BACKS_UP_THE_FILE,
    },
}


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A test using the bot's database runs on each backend chosen by ``--backend``, one
    in `SQLITE_ONLY` on SQLite alone (and not at all under ``--backend postgresql``)."""
    if "backend" not in metafunc.fixturenames:
        return
    chosen = metafunc.config.getoption("--backend")
    backends = ["sqlite", "postgresql"] if chosen == "both" else [chosen]
    where = Path(metafunc.definition.path).relative_to(metafunc.config.rootpath).as_posix()
    if metafunc.definition.originalname in SQLITE_ONLY.get(where, {}):
        backends = [backend for backend in backends if backend == "sqlite"]
        if not backends:
            metafunc.definition.add_marker(pytest.mark.skip(reason="SQLite only"))
            backends = ["sqlite"]
    metafunc.parametrize("backend", backends, indirect=True)


def pytest_report_header(config: pytest.Config) -> str:
    return f"database backends: {config.getoption('--backend')}"


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    return str(getattr(request, "param", "sqlite"))


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """The session's PostgreSQL server; without one, its tests skip (or fail under
    BOTSCHAFTER_REQUIRE_POSTGRES=1, as in CI)."""
    try:
        server = PostgresServer.start()
    except (Unavailable, ImportError) as error:
        if os.environ.get(REQUIRE_VARIABLE) == "1":
            pytest.fail(f"PostgreSQL required ({REQUIRE_VARIABLE}=1) but unavailable: {error}")
        pytest.skip(HOW_TO_ENABLE)
    yield server
    server.stop()


@pytest.fixture
async def database_url(backend: str, request: pytest.FixtureRequest) -> AsyncIterator[str | None]:
    """None for SQLite (the data folder's file), else an empty migrated PostgreSQL database
    of this test's own (borrowed from the session's pool, see tests/postgres.py)."""
    if backend == "sqlite":
        yield None
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    url = await server.borrow()
    yield url
    await server.give_back(url)


@pytest.fixture
def database_target(tmp_path: Path, database_url: str | None) -> str | Path:
    """For a test that opens the bot's database itself (`Database.open`): a new SQLite file,
    or the borrowed PostgreSQL database's URL."""
    return database_url or tmp_path / "bot.db"


@pytest.fixture
async def empty_database_target(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[str | Path]:
    """For a migration test: a database without any table, never migrated (a new SQLite
    file, or a new PostgreSQL database of the test's own, dropped after it)."""
    if backend == "sqlite":
        yield tmp_path / "old.db"
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    url = await server.empty_database()
    yield url
    await server.drop(url)


@pytest.fixture
def settings(tmp_path: Path, database_url: str | None) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        _env_file=None,  # type: ignore[call-arg]
    )


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock()


@pytest.fixture
def write_config(tmp_path: Path, settings: Settings) -> Callable[[str], Path]:
    """Write a community TOML file and point the settings at it."""

    def write(text: str) -> Path:
        path = tmp_path / "botschafter.toml"
        path.write_text(text, encoding="utf-8")
        settings.config_file = path
        return path

    return write


@pytest.fixture
async def session(settings: Settings, clock: VirtualClock) -> AsyncIterator[LocalSession]:
    community = LocalCommunity()
    community.now = clock.now
    community.add_member("Alice", roles=("Admins",))
    community.add_member("Mo", roles=("Moderators",))
    community.add_member("Amy", roles=("Ambassadors",))
    community.add_member("Ben")
    opened = await LocalSession.open(settings, clock=clock, community=community)
    yield opened
    await opened.app.close()
