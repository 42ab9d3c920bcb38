"""Backups of the SQLite database taken while the bot runs, their check, and putting one back.

A backup is SQLite's online backup API (``sqlite3.Connection.backup``) run from a
connection of its own that holds one read transaction for the whole copy. In WAL mode that
transaction is a snapshot: the bot keeps writing (to the WAL) while the pages are copied a
step at a time, and the copy is the database as it was when the backup began, with every
transaction committed by then and none half-done. (Without the snapshot, a write by another
connection makes SQLite start the copy again from the first page, and a busy bot could keep
it from ever finishing.)

A copy is written to ``<name>.partial`` beside its target and renamed only after it passed
`check`, so a target name never holds a half-written or damaged backup. The functions here
block; callers run them in a thread.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from storage.copy import MIGRATIONS_TABLE
from storage.database import migrations

# Pages copied per step: 1024 pages of 4 KiB are 4 MiB, a few milliseconds of reading, so
# the bot's writer never waits long on a step, and progress moves visibly on large files.
STEP_PAGES = 1024

Progress = Callable[[int, int], None]  # (pages copied, pages in all)


class NotABackup(Exception):
    """The file cannot be used as a Botschafter database; the message says why in one line."""


@dataclass(frozen=True)
class Checked:
    """A file that opened, passed ``PRAGMA integrity_check`` and holds Botschafter's tables."""

    path: Path
    schema: int  # the highest migration applied: the schema version
    size: int  # bytes
    pending: tuple[int, ...]  # migrations this program knows that the file lacks (older file)
    unknown: tuple[int, ...]  # migrations this program does not know (a newer Botschafter made it)

    def describe(self) -> str:
        """E.g. ``schema 0013, 1.2 MB``, for one-line messages."""
        return f"schema {self.schema:04d}, {human_size(self.size)}"


def back_up(source: Path, target: Path, progress: Progress | None = None) -> Checked:
    """Copy the database `source` to `target` (replacing it), consistently while other
    connections write, and check the copy; raises `NotABackup` when the copy fails its
    check (then `target` is left as it was)."""
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        _copy(source, partial, progress)
        checked = check(partial)
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    _sync_folder(target.parent)
    return Checked(target, checked.schema, checked.size, checked.pending, checked.unknown)


def check(path: Path) -> Checked:
    """Open `path` read-only and check it: a SQLite file, undamaged, with Botschafter's
    migrations table. Raises `NotABackup` naming what is wrong."""
    if not path.is_file():
        raise NotABackup(f"{path}: no such file.")
    try:
        connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as error:
        raise NotABackup(f"{path}: SQLite cannot open it ({error}).") from None
    try:
        return _inspect(connection, path)
    except sqlite3.DatabaseError as error:
        raise NotABackup(f"{path}: not a SQLite database, or a damaged one ({error}).") from None
    finally:
        connection.close()


def restore(backup: Path, database: Path, now: datetime) -> Path | None:
    """Put the checked `backup` in place of `database`; the caller holds the data folder's
    lock, so no bot runs on it. The database it replaces (with everything its WAL held) is
    renamed to ``<name>.replaced-<time>``, which is returned (None when there was none)."""
    incoming = database.with_name(database.name + ".partial")
    incoming.unlink(missing_ok=True)
    try:
        _copy(backup, incoming, None)
        check(incoming)
        replaced = _set_aside(database, now)
        incoming.replace(database)
    finally:
        incoming.unlink(missing_ok=True)
    _sync_folder(database.parent)
    return replaced


def human_size(size: int) -> str:
    """Bytes as people read them: ``812 KB``, ``1.2 MB``."""
    value = float(size)
    for unit in ("bytes", "KB", "MB"):
        if value < 1000:
            return (
                f"{value:.0f} {unit}" if unit == "bytes" or value >= 100 else f"{value:.1f} {unit}"
            )
        value /= 1000
    return f"{value:.1f} GB"


def _copy(source: Path, target: Path, progress: Progress | None) -> None:
    """Copy page by page from one read snapshot of `source`; the copy is a single file
    (rollback journal, not WAL), so it can be moved and opened on its own."""
    if not source.is_file():
        raise NotABackup(f"{source}: no such file.")
    reader = sqlite3.connect(source, isolation_level=None)
    try:
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM sqlite_master").fetchone()  # takes the snapshot
        writer = sqlite3.connect(target, isolation_level=None)
        try:

            def report(status: int, remaining: int, total: int) -> None:
                if progress is not None:
                    progress(total - remaining, total)

            reader.backup(writer, pages=STEP_PAGES, progress=report)
            writer.execute("PRAGMA journal_mode=DELETE")
        finally:
            writer.close()
        reader.execute("COMMIT")
    except sqlite3.DatabaseError as error:
        raise NotABackup(f"{source}: cannot be read as a SQLite database ({error}).") from None
    finally:
        reader.close()
    with target.open("rb+") as written:
        os.fsync(written.fileno())


def _inspect(connection: sqlite3.Connection, path: Path) -> Checked:
    verdict = connection.execute("PRAGMA integrity_check").fetchall()
    if [tuple(row) for row in verdict] != [("ok",)]:
        raise NotABackup(f"{path}: the database is damaged (integrity_check: {verdict[0][0]}).")
    tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
    if MIGRATIONS_TABLE not in tables:
        what = "it is empty" if not tables else "it holds another program's tables"
        raise NotABackup(f"{path}: not a Botschafter database ({what}).")
    applied = {int(row[0]) for row in connection.execute(f"SELECT version FROM {MIGRATIONS_TABLE}")}
    if not applied:
        raise NotABackup(f"{path}: not a Botschafter database (no migration was ever applied).")
    known = {version for version, _, _ in migrations()}
    return Checked(
        path=path,
        schema=max(applied),
        size=path.stat().st_size,
        pending=tuple(sorted(known - applied)),
        unknown=tuple(sorted(applied - known)),
    )


def _set_aside(database: Path, now: datetime) -> Path | None:
    """Rename the current database out of the way, first folding its WAL into it (a bot
    stopped by SIGKILL leaves committed transactions there), so the kept file is whole."""
    if not database.exists():
        return None
    connection = sqlite3.connect(database, isolation_level=None)
    try:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        connection.execute("PRAGMA journal_mode=DELETE")
    finally:
        connection.close()
    stamp = now.astimezone(UTC).strftime("%Y%m%d-%H%M%S")
    kept = database.with_name(f"{database.name}.replaced-{stamp}")
    database.replace(kept)
    for leftover in ("-wal", "-shm"):
        (database.with_name(database.name + leftover)).unlink(missing_ok=True)
    return kept


def _sync_folder(folder: Path) -> None:
    """Make a rename durable: a power cut must not bring back the old name."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
