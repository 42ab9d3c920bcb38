"""``python -m bot db copy --to URL``: a community's whole history moves to another database.

The source is a realistic community built by a scripted session (welcomes, a join wave,
kudos, flags with a report and a moderator's decision, a ticket with votes, history and a
digest, a privacy request, jobs and outbox entries); every table holds rows before the
copy, so a table a later migration adds is noticed here until the session fills it too.
"""

from __future__ import annotations

import asyncio
import io
import itertools
import os
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from bot import data_lock
from bot.app import db_copy
from bot.app.cli import main
from bot.app.runner import run_script
from bot.settings import Settings
from storage import copy
from storage.automod import ExecutionEvent, pair
from storage.database import Database, migrations
from storage.platform_events import PlatformEventRepository
from storage.process_claims import Claim, ProcessClaimRepository
from storage.rule_windows import RuleWindowRepository, WindowPost
from storage.web_signin import SignInStore
from tests.postgres import PostgresServer

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"
BOT = (sys.executable, "-m", "bot")
NUMBERS = itertools.count()

COMMUNITY = """\
join Jonas locale=de
as Jonas
press 1 Ich akzeptiere die Regeln
as Ben
/kudos give @Jonas for the warm hello in #general
as Jonas
say what the d.a.r.n is going on @everyone
as Mo
react flag:1 ⚠️
/note @Jonas new here
as Jonas
/appeal 1 I was quoting
as Alice
/appeals decide 1 uphold
join Sam
as Mo
/ban @Sam spam
as Alice
/ban @Sam spam
as Mo
/infraction pardon 2 mistaken identity
as Ben
say please send me a refund now
as Jonas
action last:#general:Ben Report message
submit reason=It is spam
as Ben
/privacy request export
as Alice
/config set welcome.dm true
/config set welcome.raids.timeout_younger_than_hours 24
join W1
join W2
join W3
join W4
join W5
join W6 age=1h
as Ben
/ticket open "Dark mode for the app" details:"The white background hurts at night." category:app
as Jonas
react ticket:1 👍
as Amy
/languages set de
/ticket claim #1
/ticket update #1 Talked to the app team, it is on their list. next:2d
wait 3d
/ticket resolve #1 Dark mode ships in version 2.4 next week.
wait 8d
"""


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The source is always a SQLite file (the data folder's), whatever the suite's backend
    or the environment says."""
    for name in ("DATABASE_URL", "BOTSCHAFTER_DATABASE", "BOTSCHAFTER_DATA_DIR"):
        monkeypatch.delenv(name, raising=False)
    return Settings(data_dir=tmp_path / "data", _env_file=None)  # type: ignore[call-arg]


@pytest.fixture
async def community(settings: Settings, tmp_path: Path) -> Path:
    """A community's SQLite database with rows in every table; returns its path."""
    settings.config_file = EXAMPLES / "botschafter.toml"
    script = tmp_path / "community.script"
    script.write_text(COMMUNITY, encoding="utf-8")
    assert await run_script(script, settings, io.StringIO()) == 0
    # What only the platforms' adapters and a running process write.
    db = await Database.open(settings.database_location)
    try:
        now, hour = datetime(2030, 1, 1, tzinfo=UTC), timedelta(hours=1)
        await PlatformEventRepository(db).claim("slack:T1", "Ev1", now, hour)
        claims = ProcessClaimRepository(db)
        await claims.take([Claim("discord:1:shard:0", "1")], "h:7:t", "h", 7, now, hour)
        # Spam windows are kept in the database on PostgreSQL only (memory on SQLite).
        post = WindowPost(now, "C1", 1, 20, 0)
        await RuleWindowRepository(db).record("slack:T1", "U1", post, hour, 64, "M1")
        # AutoMod's executions come from Discord's gateway, not from chat.
        async with db.transaction() as tx:
            blocked = ExecutionEvent("discord:1", "7", "U1", "C1", "spam", "block", None, now)
            await pair(tx, blocked)
        # Sign-in links are made and spent over the web server, not in chat.
        sign_in = SignInStore(db)
        await sign_in.signing_key(now)
        await sign_in.use_link("L1", "local:demo", "Amy", now, now + hour)
    finally:
        await db.close()
    path = settings.database_path
    assert path is not None
    empty = [name for name, rows in (await _contents(str(path))).items() if not rows]
    assert not empty, f"the community leaves these tables empty: {empty}"
    return path


@pytest.fixture(params=["sqlite", "postgresql"])
async def target(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """An empty target: a new SQLite file, or an empty PostgreSQL database (no schema)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'moved' / 'botschafter.db'}"
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    url = await _empty_postgres(server)
    yield url
    await server.drop(url)


async def _empty_postgres(server: PostgresServer) -> str:
    """A new database without any table (the test template has the schema already)."""
    import asyncpg

    url = server.url_for(f"botschafter_copy_{os.getpid()}_{next(NUMBERS)}")
    connection = await asyncpg.connect(server.admin_url)
    try:
        await connection.execute(f'CREATE DATABASE "{urlsplit(url).path[1:]}"')
    finally:
        await connection.close()
    return url


def copy_to(target: str, *extra: str, settings: Settings) -> int:
    return main(["--data-dir", str(settings.data_dir), "db", "copy", "--to", target, *extra])


def test_a_postgresql_database_copies_back_to_a_sqlite_file(
    community: Path,
    settings: Settings,
    postgres_server: PostgresServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The other way: DATABASE_URL names the source (dependency order from PostgreSQL's
    catalogue), e.g. to move back or to hand a copy to a test machine."""
    moved = asyncio.run(_empty_postgres(postgres_server))
    try:
        assert copy_to(moved, settings=settings) == 0
        monkeypatch.setenv("DATABASE_URL", moved)
        back = tmp_path / "back.db"
        assert main(["db", "copy", "--to", str(back)]) == 0
        assert contents(str(back)) == contents(str(community))
    finally:
        asyncio.run(postgres_server.drop(moved))


def test_the_copy_holds_every_row_of_every_table(
    community: Path, settings: Settings, target: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert copy_to(target, settings=settings) == 0

    source = contents(str(community))
    assert contents(target) == source
    out = capsys.readouterr().out
    assert "Migrated " in out  # the target was empty: the copy gave it the schema
    for name, rows in source.items():
        line = next(line for line in out.splitlines() if line.startswith(f"  {name} "))
        assert line.split()[1:] == [str(len(rows)), "row" if len(rows) == 1 else "rows"]
    assert "schema_migrations" not in out
    assert "every table checked row for row" in out


def test_new_rows_continue_after_the_copied_ids(
    community: Path, settings: Settings, target: str, tmp_path: Path
) -> None:
    assert copy_to(target, settings=settings) == 0
    before = contents(target)

    out = play("as Mo\n/ticket open Another wish\n", on=target, tmp_path=tmp_path)

    assert "Ticket #2" in out
    after = contents(target)
    for name in ("outbox", "ticket_history", "jobs"):
        assert set(before[name]) < set(after[name]), name


def test_a_target_holding_other_data_is_refused_until_replace_is_given(
    community: Path,
    settings: Settings,
    target: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    play("as Ben\n/ticket open Something else entirely\n", on=target, tmp_path=tmp_path)
    theirs = contents(target)
    capsys.readouterr()

    assert copy_to(target, settings=settings) == 2

    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "already holds other data" in err and "--replace" in err
    assert contents(target) == theirs  # nothing changed

    assert copy_to(target, "--replace", settings=settings) == 0
    assert contents(target) == contents(str(community))


def test_running_it_again_finds_the_copy_already_there(
    community: Path, settings: Settings, target: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert copy_to(target, settings=settings) == 0
    capsys.readouterr()

    assert copy_to(target, settings=settings) == 0

    assert "already holds exactly this copy; nothing to do" in capsys.readouterr().out
    assert contents(target) == contents(str(community))


def test_an_interrupted_copy_leaves_nothing_behind_and_runs_again(
    community: Path, settings: Settings, target: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_copy_rows = copy.copy_rows
    copied: list[str] = []

    async def interrupted(source: copy.Reader, tx: object, table: copy.Table) -> object:
        if len(copied) == 5:
            raise KeyboardInterrupt
        copied.append(table.name)
        return await real_copy_rows(source, tx, table)  # type: ignore[arg-type]

    monkeypatch.setattr(copy, "copy_rows", interrupted)
    assert copy_to(target, settings=settings) == 130
    assert copied and not any(contents(target).values())

    monkeypatch.setattr(copy, "copy_rows", real_copy_rows)
    assert copy_to(target, settings=settings) == 0
    assert contents(target) == contents(str(community))


def test_the_copy_refuses_while_the_bot_runs_on_the_source(
    community: Path, settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "moved.db"
    with data_lock.hold(settings.data_dir, settings.database_path):
        assert copy_to(str(target), settings=settings) == 2

    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "a bot is running on it (PID " in err and "Stop it first, then copy" in err
    assert not target.exists()


def test_the_copy_refuses_a_sqlite_target_a_bot_runs_on(
    community: Path, settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "elsewhere" / "botschafter.db"
    with data_lock.hold(tmp_path / "elsewhere", target):
        assert copy_to(str(target), settings=settings) == 2

    assert f"Not copying to {target}: a bot is running on it (PID " in capsys.readouterr().err
    assert not target.exists()


def test_a_source_from_a_newer_version_is_refused(
    community: Path, settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with sqlite3.connect(community) as connection:
        connection.execute(
            "INSERT INTO schema_migrations VALUES (9999, 'future', '2099-01-01T00:00:00')"
        )
    target = tmp_path / "moved.db"

    assert copy_to(str(target), settings=settings) == 2

    err = capsys.readouterr().err
    assert "a newer Botschafter migrated this database (migration 9999" in err
    assert not target.exists()


def test_a_source_that_predates_this_version_is_refused(
    community: Path, settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with sqlite3.connect(community) as connection:
        connection.execute("DELETE FROM schema_migrations WHERE version = 1")
    target = tmp_path / "moved.db"

    assert copy_to(str(target), settings=settings) == 2

    assert "Run `python -m bot migrate`" in capsys.readouterr().err
    assert not target.exists()


def test_a_bad_url_is_one_line_and_exit_2(community: Path, settings: Settings) -> None:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("BOTSCHAFTER_")}
    environment.pop("DATABASE_URL", None)
    for url in ("mysql://bot:hunter2@db/botschafter", "postgresql://bot:hunter2@127.0.0.1:9/x"):
        done = subprocess.run(
            [*BOT, "--data-dir", str(settings.data_dir), "db", "copy", "--to", url],
            capture_output=True,
            text=True,
            env=environment,
            timeout=60,
            check=False,
        )
        assert done.returncode == 2, done.stderr
        assert done.stderr.count("\n") == 1, done.stderr
        assert "Traceback" not in done.stderr and "hunter2" not in done.stderr


def test_help_shows_an_example(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["db", "copy", "--help"])
    out = capsys.readouterr().out
    assert "--to URL" in out and "--replace" in out
    assert "python -m bot db copy --to postgresql://" in out
    assert db_copy.EXAMPLES.splitlines()[1].strip() in out


def play(script: str, *, on: str, tmp_path: Path) -> str:
    """Run a scripted session of a new local community on the database `on`."""
    data = tmp_path / f"data-{next(NUMBERS)}"
    if on.startswith("postgresql"):
        moved = Settings(data_dir=data, database_url=on, _env_file=None)  # type: ignore[call-arg]
    else:
        moved = Settings(
            data_dir=data, database=Path(on.removeprefix("sqlite:///")), _env_file=None
        )  # type: ignore[call-arg]
    moved.config_file = EXAMPLES / "botschafter.toml"
    path = tmp_path / "play.script"
    path.write_text(script, encoding="utf-8")
    out = io.StringIO()
    assert asyncio.run(run_script(path, moved, out)) == 0, out.getvalue()
    return out.getvalue()


def contents(url: str) -> dict[str, list[tuple[object, ...]]]:
    """Every table's rows (but the migrations' bookkeeping), sorted, from either backend;
    the tables and columns are the ones this version's migrations make."""
    return asyncio.run(_contents(url))


async def _contents(url: str) -> dict[str, list[tuple[object, ...]]]:
    with sqlite3.connect(":memory:") as schema:
        for _, _, sql in migrations():
            schema.executescript(sql)
        names = [
            row[0]
            for row in schema.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
            )
        ]
        columns = {
            name: [row[1] for row in schema.execute(f'PRAGMA table_info("{name}")')]
            for name in names
        }
    db = await Database.open(url, migrate=False, create=False)
    try:
        found = {}
        for name in names:
            listed = ", ".join(f'"{column}"' for column in columns[name])
            rows = await db.fetch_all(f'SELECT {listed} FROM "{name}"')
            found[name] = sorted((tuple(row) for row in rows), key=repr)
        return found
    finally:
        await db.close()


def test_a_connection_lost_during_the_copy_is_one_line_and_says_to_run_it_again(
    settings: Settings,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def cut_off(*args: object, **kwargs: object) -> None:
        raise ConnectionResetError("connection reset by peer")

    monkeypatch.setattr(db_copy, "copy_database", cut_off)
    target = str(tmp_path / "target.db")
    assert main(["--data-dir", str(settings.data_dir), "db", "copy", "--to", target]) == 1
    err = capsys.readouterr().err
    assert "connection reset by peer" in err and "run the same command again" in err
    assert "Traceback" not in err
