"""``python -m bot backup FILE`` and ``python -m bot restore FILE``.

A backup is taken while the bot runs (SQLite's online backup API, see `storage.backup`)
and checked before it gets its name. A restore needs the bot stopped: it holds the data
folder's lock while it works, so a bot cannot start meanwhile, and refuses when a bot holds
it. Everything refused is refused before anything changes, in one line, with exit code 2.

With PostgreSQL both commands explain PostgreSQL's own tools (``pg_dump``, ``pg_restore``)
for the configured database instead: they take consistent copies of a running server, and
a copy made here could not be better than theirs.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO
from urllib.parse import urlsplit, urlunsplit

from bot import data_lock
from bot.settings import Settings
from storage import backup
from storage.backup import Checked, NotABackup, human_size
from storage.database import migrations

# Below this many pages (16 MiB at 4 KiB) a backup takes a moment; above it, a line per
# tenth of the way tells the operator it is moving.
PROGRESS_FROM_PAGES = 4 * backup.STEP_PAGES

BACKUP_EXAMPLES = """\
examples:
  python -m bot backup botschafter-2026-01-05.db
  python -m bot backup botschafter-2026-01-05.db --force

The bot may keep running: the copy is the database as it was when the backup began.
"""

RESTORE_EXAMPLES = """\
examples:
  python -m bot restore botschafter-2026-01-05.db --yes

Stop the bot first; start it again afterwards (it applies pending migrations at start).
"""


class Refused(Exception):
    """Nothing was done; the message says why and what to do, in one line."""


def add_commands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The ``backup`` and ``restore`` commands."""
    make = subparsers.add_parser(
        "backup",
        help="copy the database to FILE while the bot runs, and check the copy",
        description="Copy the SQLite database (--database, BOTSCHAFTER_DATABASE or "
        "<data folder>/botschafter.db) to FILE, consistently even while the bot writes, then "
        "check the copy (it opens, passes SQLite's integrity check and is a Botschafter "
        "database). With PostgreSQL it shows the pg_dump command to use instead. Exits 2 "
        "with one line when it cannot be done.",
        epilog=BACKUP_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    make.add_argument("file", type=Path, metavar="FILE", help="the backup file to write")
    make.add_argument("--force", action="store_true", help="replace FILE if it exists")
    make.set_defaults(handler=run_backup)

    put_back = subparsers.add_parser(
        "restore",
        help="replace the (stopped) bot's database with a backup",
        description="Check FILE (a Botschafter database whose schema is not newer than this "
        "version), then put it in place of the database. The bot must be stopped. The "
        "replaced database is kept beside it as <name>.replaced-<time>. Asks before "
        "replacing unless --yes. With PostgreSQL it shows the pg_restore command instead.",
        epilog=RESTORE_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    put_back.add_argument("file", type=Path, metavar="FILE", help="the backup to restore")
    put_back.add_argument("--yes", action="store_true", help="do not ask before replacing")
    put_back.set_defaults(handler=run_restore)


async def run_backup(args: argparse.Namespace, settings: Settings) -> int:
    if settings.database_path is None:
        print(pg_dump_advice(settings.database_location), file=sys.stderr)
        return 2
    try:
        await asyncio.to_thread(
            make_backup, settings.database_path, args.file, force=args.force, out=sys.stdout
        )
    except (Refused, NotABackup) as error:
        print(error, file=sys.stderr)
        return 2
    except OSError as error:
        print(
            f"The backup failed: {error.strerror} ({error.filename or args.file}).",
            file=sys.stderr,
        )
        return 1
    return 0


async def run_restore(args: argparse.Namespace, settings: Settings) -> int:
    if settings.database_path is None:
        print(pg_restore_advice(settings.database_location), file=sys.stderr)
        return 2
    try:
        await asyncio.to_thread(
            restore_backup,
            settings,
            args.file,
            confirmed=args.yes,
            out=sys.stdout,
            answers=sys.stdin,
        )
    except (Refused, NotABackup) as error:
        print(error, file=sys.stderr)
        return 2
    return 0


def make_backup(database: Path, target: Path, *, force: bool, out: TextIO) -> Checked:
    """Back `database` up to `target`, printing what it does; raises `Refused` or
    `NotABackup` before writing anything when it cannot. Blocks: run it in a thread."""
    _refuse_target(database, target, force=force)
    if not database.is_file():
        raise Refused(
            f"{database}: no database there, nothing to back up. Check --data-dir or"
            " --database (BOTSCHAFTER_DATA_DIR, BOTSCHAFTER_DATABASE)."
        )
    print(
        f"Backing up {database} ({human_size(database.stat().st_size)}) to {target} ...", file=out
    )
    checked = backup.back_up(database, target, _progress(out))
    print(
        f"Done: {target} passed its check (integrity ok, a Botschafter database,"
        f" {checked.describe()}).",
        file=out,
    )
    return checked


def restore_backup(
    settings: Settings, source: Path, *, confirmed: bool, out: TextIO, answers: TextIO
) -> Path | None:
    """Restore `source` over the settings' database with the data folder held; returns
    where the replaced database was kept. Blocks (and may ask): run it in a thread."""
    database = settings.database_path
    assert database is not None  # PostgreSQL is answered by `run_restore`
    checked = backup.check(source)
    if checked.unknown:
        raise Refused(
            f"Not restoring {source}: a newer Botschafter made it (schema {checked.schema:04d};"
            f" this version knows up to {max(v for v, _, _ in migrations()):04d}). Restore it"
            " with that version or a later one."
        )
    if database.exists() and database.resolve() == source.resolve():
        raise Refused(f"Not restoring {source}: that is the database itself.")
    try:
        with data_lock.hold(settings.data_dir, database):
            if database.exists() and not confirmed:
                _confirm(database, checked, out, answers)
            replaced = backup.restore(source, database, datetime.now(UTC))
    except data_lock.DataFolderUnusable as error:
        if not error.holder:
            raise
        raise Refused(
            f"Not restoring: a bot is running on {database} ({error.holder}). Stop it first,"
            " then restore."
        ) from None
    print(f"Restored {database} from {source} ({checked.describe()}).", file=out)
    if replaced is not None:
        print(f"The database it replaced is kept as {replaced}.", file=out)
    if checked.pending:
        print(
            f"The backup predates this version: the bot applies {len(checked.pending)}"
            " migration(s) when it starts (or run `python -m bot migrate`).",
            file=out,
        )
    return replaced


def pg_dump_advice(url: str) -> str:
    """How to back up the configured PostgreSQL database, with a command to copy."""
    target = _without_password(url)
    return (
        "The database is PostgreSQL: back it up with PostgreSQL's pg_dump, which takes a"
        " consistent copy while the bot runs:\n"
        f"  pg_dump --format=custom --file=botschafter.dump '{target}'\n"
        "The password comes from PGPASSWORD or ~/.pgpass. docs/operations.md shows how to"
        " restore such a file with pg_restore."
    )


def pg_restore_advice(url: str) -> str:
    """How to restore a pg_dump file into the configured PostgreSQL database."""
    target = _without_password(url)
    return (
        "The database is PostgreSQL: restore a pg_dump file with PostgreSQL's pg_restore, with"
        " every bot process stopped:\n"
        f"  pg_restore --clean --if-exists --no-owner --dbname='{target}' botschafter.dump\n"
        "The password comes from PGPASSWORD or ~/.pgpass; see docs/operations.md."
    )


def _without_password(url: str) -> str:
    """The URL for a command line: a password there would end up in the shell's history."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user, _, host = parts.netloc.rpartition("@")
    return urlunsplit(parts._replace(netloc=f"{user.partition(':')[0]}@{host}"))


def _refuse_target(database: Path, target: Path, *, force: bool) -> None:
    folder = target.parent
    if not folder.is_dir():
        raise Refused(
            f"Not backing up: the folder {folder} does not exist"
            + (" (it is a file)." if folder.exists() else "; create it first.")
        )
    if target.is_dir():
        raise Refused(f"Not backing up: {target} is a folder; name the backup file to write.")
    if target.exists() and database.exists() and target.resolve() == database.resolve():
        raise Refused(f"Not backing up: {target} is the database itself; name another file.")
    if target.exists() and not force:
        raise Refused(
            f"Not backing up: {target} already exists. Choose another name, or add --force"
            " to replace it."
        )


def _confirm(database: Path, checked: Checked, out: TextIO, answers: TextIO) -> None:
    """Ask before replacing the database; without a terminal to ask on, refuse."""
    if not answers.isatty():
        raise Refused(
            f"Not restoring: it would replace {database}. Add --yes to confirm (no terminal"
            " to ask on)."
        )
    print(
        f"Replace {database} ({human_size(database.stat().st_size)}) with {checked.path}"
        f" ({checked.describe()})? The replaced file is kept. [y/N] ",
        end="",
        file=out,
        flush=True,
    )
    if answers.readline().strip().lower() not in ("y", "yes"):
        raise Refused("Not restoring: not confirmed. Nothing was changed.")


def _progress(out: TextIO) -> backup.Progress:
    """A line per tenth of a large copy; nothing for a small one."""
    shown = 0

    def show(done: int, total: int) -> None:
        nonlocal shown
        if total < PROGRESS_FROM_PAGES:
            return
        tenth = done * 10 // total
        if tenth > shown:
            shown = tenth
            print(f"  {tenth * 10:3d}%  {done:,} of {total:,} pages", file=out, flush=True)

    return show
