"""``python -m bot db copy --to URL``: a community's whole history moves to another database.

The source is a realistic community built by a scripted session (welcomes, a join wave,
kudos, flags with a report and a moderator's decision, a ticket with votes, history and a
digest, jobs and outbox entries); every table holds rows before the copy, so a table a
later migration adds is noticed here until the session fills it too.
"""

from __future__ import annotations

import io
import os
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot import data_lock
from bot.app import db_copy
from bot.app.cli import main
from bot.app.runner import run_script
from bot.settings import Settings
from storage import copy
from storage.database import Database
from storage.platform_events import PlatformEventRepository
from storage.process_claims import Claim, ProcessClaimRepository

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"
BOT = (sys.executable, "-m", "bot")

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
as Ben
say please send me a refund now
as Jonas
action last:#general:Ben Report message
submit reason=It is spam
as Alice
/config set welcome.dm true
join W1
join W2
join W3
join W4
join W5
join W6
as Ben
/ticket open "Dark mode for the app" details:"The white background hurts at night." category:app
as Jonas
react ticket:1 👍
as Amy
/ticket claim #1
/ticket update #1 Talked to the app team, it is on their list. next:2d
wait 3d
/ticket resolve #1 Dark mode ships in version 2.4 next week.
wait 8d
"""


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
    finally:
        await db.close()
    path = settings.database_path
    assert path is not None
    empty = [name for name, rows in _contents(path).items() if not rows]
    assert not empty, f"the community leaves these tables empty: {empty}"
    return path


def copy_to(target: str, *extra: str, settings: Settings) -> int:
    return main(["--data-dir", str(settings.data_dir), "db", "copy", "--to", target, *extra])


def test_the_copy_holds_every_row_of_every_table(
    community: Path, settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "moved" / "botschafter.db"

    assert copy_to(f"sqlite:///{target}", settings=settings) == 0

    assert _contents(target) == _contents(community)
    out = capsys.readouterr().out
    for name, rows in _contents(community).items():
        count = f"{len(rows)} row" + ("" if len(rows) == 1 else "s")
        assert f"  {name} " in out and count in out.split(f"  {name} ")[1].splitlines()[0]
    assert "schema_migrations" not in out
    assert "every table checked row for row" in out


def test_new_rows_continue_after_the_copied_ids(
    community: Path, settings: Settings, tmp_path: Path
) -> None:
    target = tmp_path / "moved.db"
    assert copy_to(str(target), settings=settings) == 0
    before = _contents(target)

    moved = Settings(data_dir=tmp_path / "moved-data", database=target, _env_file=None)  # type: ignore[call-arg]
    moved.config_file = EXAMPLES / "botschafter.toml"
    script = tmp_path / "more.script"
    script.write_text("as Mo\n/ticket open Another wish\n", encoding="utf-8")
    out = io.StringIO()
    assert asyncio_run(run_script(script, moved, out)) == 0

    assert "Ticket #2" in out.getvalue()
    after = _contents(target)
    for name in ("outbox", "ticket_history", "jobs"):
        assert set(before[name]) < set(after[name]), name


def test_a_target_holding_other_data_is_refused_until_replace_is_given(
    community: Path, settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "other.db"
    other = Settings(data_dir=tmp_path / "other", database=target, _env_file=None)  # type: ignore[call-arg]
    script = tmp_path / "other.script"
    script.write_text("as Ben\n/ticket open Something else entirely\n", encoding="utf-8")
    assert asyncio_run(run_script(script, other, io.StringIO())) == 0
    theirs = _contents(target)
    capsys.readouterr()

    assert copy_to(str(target), settings=settings) == 2

    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "already holds other data" in err and "--replace" in err
    assert _contents(target) == theirs  # nothing changed

    assert copy_to(str(target), "--replace", settings=settings) == 0
    assert _contents(target) == _contents(community)


def test_running_it_again_finds_the_copy_already_there(
    community: Path, settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "moved.db"
    assert copy_to(str(target), settings=settings) == 0
    capsys.readouterr()

    assert copy_to(str(target), settings=settings) == 0

    assert "already holds exactly this copy; nothing to do" in capsys.readouterr().out
    assert _contents(target) == _contents(community)


def test_an_interrupted_copy_leaves_nothing_behind_and_runs_again(
    community: Path, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "moved.db"
    real_copy_rows = copy.copy_rows
    copied: list[str] = []

    async def interrupted(source: copy.Reader, tx: object, table: copy.Table) -> object:
        if len(copied) == 5:
            raise KeyboardInterrupt
        copied.append(table.name)
        return await real_copy_rows(source, tx, table)  # type: ignore[arg-type]

    monkeypatch.setattr(copy, "copy_rows", interrupted)
    assert copy_to(str(target), settings=settings) == 130
    assert copied and not any(_contents(target).values())

    monkeypatch.setattr(copy, "copy_rows", real_copy_rows)
    assert copy_to(str(target), settings=settings) == 0
    assert _contents(target) == _contents(community)


def test_the_copy_refuses_while_the_bot_runs_on_the_source(
    community: Path, settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "moved.db"
    with data_lock.hold(settings.data_dir, settings.database_path):
        assert copy_to(str(target), settings=settings) == 2

    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "a bot is running on it. Stop it first" in err
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


def _contents(path: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every table's rows (but the migrations' bookkeeping), sorted."""
    with sqlite3.connect(path) as connection:
        names = [
            row[0]
            for row in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'"
                " AND name NOT IN ('schema_migrations') AND name NOT LIKE 'sqlite_%'"
            )
        ]
        return {
            name: sorted(connection.execute(f'SELECT * FROM "{name}"'), key=repr) for name in names
        }


def asyncio_run(coroutine: object) -> int:
    import asyncio

    return asyncio.run(coroutine)  # type: ignore[arg-type]
