"""``python -m bot backup`` / ``restore`` and scheduled backups, as an operator meets them.

A backup is taken while a writer keeps committing; the copy must open, pass its check and
hold exactly the transactions committed when it began (each writes a pair of rows, so a
torn copy shows as an odd count). Restores are refused, changing nothing, for a foreign
file, a newer schema and a running bot; a successful one keeps the file it replaced.
"""

from __future__ import annotations

import asyncio
import io
import logging
import sqlite3
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from adapters.local import LocalCommunity
from bot import data_lock
from bot.app import backup as backup_cli
from bot.app.cli import main
from bot.app.local_session import LocalSession
from bot.clock import VirtualClock
from bot.settings import Settings
from storage import backup
from storage.database import Database


def run_cli(data: Path, *arguments: str) -> int:
    return main(["--data-dir", str(data), *arguments])


async def create_database(data: Path) -> Path:
    """A migrated Botschafter database in the data folder, as the bot leaves it."""
    path = data / "botschafter.db"
    db = await Database.open(path)  # creates the folder
    await db.close()
    return path


def rows(path: Path, sql: str = "SELECT count(*) FROM audit_log") -> int:
    with sqlite3.connect(path) as connection:
        return int(connection.execute(sql).fetchone()[0])


async def write_pair(db: Database, number: int) -> None:
    """One transaction, two rows: a consistent copy holds both or neither."""
    async with db.transaction() as tx:
        for half in ("a", "b"):
            await tx.execute(
                "INSERT INTO audit_log (community, at, actor_id, action, subject, details)"
                " VALUES ('local:x', '2026-01-05T09:00:00+00:00', 'writer', 'test', ?, ?)",
                (f"{number}{half}", "x" * 400),
            )


async def test_backup_while_the_bot_writes_holds_every_committed_row_and_passes_its_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "data"
    path = await create_database(data)
    db = await Database.open(path)
    for number in range(2000):  # about 2 MB: many small steps below
        await write_pair(db, number)
    committed_before = rows(path)
    monkeypatch.setattr(backup, "STEP_PAGES", 16)  # many steps, each letting the writer in
    monkeypatch.setattr(backup_cli, "PROGRESS_FROM_PAGES", 16)
    stop = asyncio.Event()

    async def keep_writing() -> int:
        number = 10_000
        while not stop.is_set():
            await write_pair(db, number)
            number += 1
            await asyncio.sleep(0)
        return number - 10_000

    writer = asyncio.create_task(keep_writing())
    await asyncio.sleep(0.05)
    target = tmp_path / "copy.db"
    out = io.StringIO()
    checked = await asyncio.to_thread(backup_cli.make_backup, path, target, force=False, out=out)
    stop.set()
    written_meanwhile = await writer
    await db.close()

    assert written_meanwhile > 0
    copied = rows(target)
    assert copied >= committed_before
    assert copied % 2 == 0  # no transaction torn in half
    assert rows(target, "SELECT count(*) FROM audit_log WHERE subject = '1999b'") == 1
    assert backup.check(target).schema == checked.schema
    shown = out.getvalue()
    assert " 50%" in shown and "100%" in shown and "passed its check" in shown


async def test_backup_refuses_an_existing_file_unless_forced_and_a_missing_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    await create_database(data)
    existing = tmp_path / "old.db"
    existing.write_text("keep me")

    assert await asyncio.to_thread(run_cli, data, "backup", str(existing)) == 2
    assert existing.read_text() == "keep me"
    assert "already exists" in capsys.readouterr().err
    assert await asyncio.to_thread(run_cli, data, "backup", str(tmp_path / "no" / "b.db")) == 2
    assert "folder" in capsys.readouterr().err and not (tmp_path / "no").exists()

    assert await asyncio.to_thread(run_cli, data, "backup", str(existing), "--force") == 0
    assert backup.check(existing).schema > 0


async def test_backup_of_a_missing_database_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        await asyncio.to_thread(run_cli, tmp_path / "empty", "backup", str(tmp_path / "b.db")) == 2
    )
    assert "nothing to back up" in capsys.readouterr().err
    assert not (tmp_path / "b.db").exists()


async def test_restore_refuses_a_file_that_is_not_a_botschafter_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    path = await create_database(data)
    before = path.read_bytes()
    foreign = tmp_path / "other.db"
    with sqlite3.connect(foreign) as connection:
        connection.execute("CREATE TABLE songs (title TEXT)")
    text = tmp_path / "notes.txt"
    text.write_text("not a database at all " * 100)

    for candidate, said in ((foreign, "another program's tables"), (text, "not a SQLite")):
        assert await asyncio.to_thread(run_cli, data, "restore", str(candidate), "--yes") == 2
        error = capsys.readouterr().err
        assert said in error and len(error.strip().splitlines()) == 1
    assert path.read_bytes() == before
    assert [p.name for p in data.iterdir() if "replaced" in p.name] == []


async def test_restore_refuses_a_backup_from_a_newer_version(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    path = await create_database(data)
    newer = tmp_path / "newer.db"
    await asyncio.to_thread(backup.back_up, path, newer)
    with sqlite3.connect(newer) as connection:
        connection.execute(
            "INSERT INTO schema_migrations VALUES (9999, 'from_the_future', CURRENT_TIMESTAMP)"
        )

    assert await asyncio.to_thread(run_cli, data, "restore", str(newer), "--yes") == 2
    assert "newer Botschafter" in capsys.readouterr().err
    assert rows(path, "SELECT max(version) FROM schema_migrations") < 9999


async def test_restore_refuses_while_a_bot_runs_on_the_data_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    path = await create_database(data)
    saved = tmp_path / "saved.db"
    await asyncio.to_thread(backup.back_up, path, saved)
    before = path.read_bytes()

    with data_lock.hold(data, path):  # as the running bot holds it
        code = await asyncio.to_thread(run_cli, data, "restore", str(saved), "--yes")
    assert code == 2
    assert "a bot is running" in capsys.readouterr().err
    assert path.read_bytes() == before


async def test_restore_without_a_terminal_asks_for_yes_and_changes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    path = await create_database(data)
    saved = tmp_path / "saved.db"
    await asyncio.to_thread(backup.back_up, path, saved)
    before = path.read_bytes()

    assert await asyncio.to_thread(run_cli, data, "restore", str(saved)) == 2
    assert "--yes" in capsys.readouterr().err
    assert path.read_bytes() == before


async def test_restore_puts_the_backup_back_and_keeps_the_replaced_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    path = await create_database(data)
    db = await Database.open(path)
    await write_pair(db, 1)
    await db.close()
    saved = tmp_path / "saved.db"
    await asyncio.to_thread(backup.back_up, path, saved)
    db = await Database.open(path)
    await write_pair(db, 2)  # written after the backup; left in the WAL as a crash leaves it
    await db.close()

    assert await asyncio.to_thread(run_cli, data, "restore", str(saved), "--yes") == 0

    assert rows(path) == 2
    (kept,) = [p for p in data.iterdir() if p.name.startswith("botschafter.db.replaced-")]
    assert rows(kept) == 4
    out = capsys.readouterr().out
    assert f"kept as {kept}" in out
    reopened = await Database.open(path)  # the bot starts on it
    await reopened.close()


async def test_with_postgresql_backup_and_restore_explain_pg_dump_without_the_password(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://bot:s3cret@db.example.org:5432/botschafter")
    monkeypatch.chdir(tmp_path)  # no .env of the developer's

    assert await asyncio.to_thread(main, ["backup", "b.db"]) == 2
    error = capsys.readouterr().err
    assert "pg_dump --format=custom --file=botschafter.dump" in error
    assert "'postgresql://bot@db.example.org:5432/botschafter'" in error
    assert await asyncio.to_thread(main, ["restore", "b.db"]) == 2
    error += capsys.readouterr().err
    assert "pg_restore" in error
    assert "s3cret" not in error
    assert not (tmp_path / "b.db").exists()


async def open_session(settings: Settings, clock: VirtualClock) -> LocalSession:
    if settings.database_path is None:
        pytest.skip("scheduled backups are SQLite's; on PostgreSQL the operator runs pg_dump")
    community = LocalCommunity()
    community.now = clock.now
    community.add_member("Alice", roles=("Admins",))
    return await LocalSession.open(settings, clock=clock, community=community)


async def eventually(check: Callable[[], bool], seconds: float = 20.0) -> None:
    """Wait until `check()` holds: the copy runs beside the scheduler, in a thread."""
    deadline = asyncio.get_running_loop().time() + seconds
    while not check():
        assert asyncio.get_running_loop().time() < deadline, "not within the time"
        await asyncio.sleep(0.02)


def names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


async def test_scheduled_backups_fire_once_each_across_a_restart_and_keep_the_newest(
    settings: Settings, clock: VirtualClock
) -> None:
    settings.backup_every = timedelta(hours=6)
    settings.backup_keep = 2
    folder = settings.backup_folder
    session = await open_session(settings, clock)
    await session.advance(timedelta(hours=7))  # at the start, and 6 h later
    first_day = ["botschafter-20260105-090000.db", "botschafter-20260105-150000.db"]
    await eventually(lambda: names(folder) == first_day)
    await session.app.close()

    session = await open_session(settings, clock)  # a restart: nothing taken twice
    await session.run_due_jobs()
    await asyncio.sleep(0.2)
    assert names(folder) == first_day
    await session.advance(timedelta(hours=12))
    later = ["botschafter-20260105-210000.db", "botschafter-20260106-030000.db"]
    await eventually(lambda: names(folder) == later)
    await session.app.close()

    for name in later:
        assert backup.check(folder / name).schema > 0
    pending = rows(
        settings.database_path,  # type: ignore[arg-type]
        "SELECT count(*) FROM jobs WHERE kind = 'backup' AND status = 'pending'",
    )
    assert pending == 1


async def test_a_failed_scheduled_backup_is_logged_told_to_the_admins_once_and_retried(
    settings: Settings, clock: VirtualClock, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the backup folder should be")
    settings.backup_every = timedelta(days=1)
    settings.backup_dir = blocked
    with caplog.at_level(logging.ERROR, logger="bot.app.backup_schedule"):
        session = await open_session(settings, clock)
        try:
            await session.run_due_jobs()
            await eventually(lambda: "Trying again in 15m" in caplog.text)
            await session.run_due_jobs()  # delivers the notice to the admins
            (told,) = session.community.read("ambassadors")
            assert "The scheduled backup failed" in told.text

            await session.advance(timedelta(minutes=15))  # the retry fails too
            await eventually(lambda: "Trying again in 30m" in caplog.text)
            await session.run_due_jobs()
            assert len(session.community.read("ambassadors")) == 1  # told once

            blocked.unlink()  # the operator fixes it; the next retry succeeds
            await session.advance(timedelta(minutes=30))
            await eventually(lambda: len(names(blocked)) == 1)
        finally:
            await session.app.close()
    assert "not a folder" in caplog.text


async def test_scheduled_backups_are_off_on_postgresql_with_a_pointer_to_pg_dump(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from bot.app import backup_schedule

    class Noticed:
        """Just what `arm` touches before it decides: a database that is PostgreSQL."""

        def __init__(self, db: Database) -> None:
            self.db = db

    settings = Settings(
        data_dir=tmp_path,
        database_url="postgresql://bot@db.example.org/botschafter",
        backup_every="1d",
        _env_file=None,  # type: ignore[call-arg]
    )
    db = await Database.open(tmp_path / "jobs.db")  # stands in for the jobs table
    try:
        with caplog.at_level(logging.WARNING):
            await backup_schedule.arm(Noticed(db), settings)  # type: ignore[arg-type]
    finally:
        await db.close()
    assert "pg_dump" in caplog.text


async def test_a_backup_job_is_taken_by_a_process_serving_only_a_discord_shard(
    tmp_path: Path,
) -> None:
    """Backups belong to no community: a process serving only some Discord shards (or a
    Slack-only one) still takes the job, once."""
    from bot.app.backup_schedule import COMMUNITY, KIND
    from bot.serving import DiscordShards, Serves
    from storage.jobs import JobRepository
    from storage.leases import Holder

    db = await Database.open(tmp_path / "jobs.db")
    try:
        serves = Serves(frozenset({"discord"}), DiscordShards(frozenset({1}), 2))
        jobs = JobRepository(db, Holder.for_this_process(serves))
        clock = VirtualClock()
        await jobs.upsert(
            community=COMMUNITY.key,
            kind=KIND,
            due_at=clock.now(),
            payload={},
            key="backup:now",
            now=clock.now(),
        )
        assert await jobs.next_due_at() == clock.now()
        (job,) = await jobs.claim_due(clock.now(), 10)
        assert job.kind == KIND
        assert await jobs.claim_due(clock.now(), 10) == []
    finally:
        await db.close()


class Answering(io.StringIO):
    """A terminal that answers the question with the text it was given."""

    def isatty(self) -> bool:
        return True


async def test_restore_asks_and_an_answer_other_than_yes_changes_nothing(
    tmp_path: Path,
) -> None:
    settings = Settings(data_dir=tmp_path / "data", _env_file=None)  # type: ignore[call-arg]
    path = await create_database(settings.data_dir)
    saved = tmp_path / "saved.db"
    await asyncio.to_thread(backup.back_up, path, saved)
    before = path.read_bytes()
    out = io.StringIO()

    with pytest.raises(backup_cli.Refused, match="not confirmed"):
        await asyncio.to_thread(
            backup_cli.restore_backup,
            settings,
            saved,
            confirmed=False,
            out=out,
            answers=Answering("n\n"),
        )
    assert "[y/N]" in out.getvalue()
    assert path.read_bytes() == before

    await asyncio.to_thread(
        backup_cli.restore_backup,
        settings,
        saved,
        confirmed=False,
        out=out,
        answers=Answering("y\n"),
    )
    assert "Restored" in out.getvalue()
