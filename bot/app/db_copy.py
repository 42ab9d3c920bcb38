"""``python -m bot db copy --to URL``: move a community's history to another database.

The usual move is up, from the embedded SQLite file to PostgreSQL when one process is no
longer enough; a second SQLite file works too (moving or cloning a database). The copy
keeps every id, runs in one transaction on the target (an interrupted copy leaves nothing
behind, so running it again is safe), checks every table row for row, and prints each
table as it is done. What it refuses, it refuses before writing anything:

- while the bot runs on the source (the data folder's lock): a copy taken while the bot
  writes would miss what it writes meanwhile;
- a source whose schema is older or newer than this program's (``migrate`` it first, or
  copy with the version that made it);
- a target that already holds data, unless that data is exactly this copy (then there is
  nothing to do) or ``--replace`` says to delete it and copy again.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import TextIO

from bot import data_lock
from bot.settings import Settings
from storage import copy
from storage.copy import Fingerprint, Table
from storage.database import (
    Database,
    DatabaseUnusable,
    TransactionConflict,
    migrations,
    parse_target,
    redact,
)

EXAMPLES = """\
examples:
  python -m bot db copy --to postgresql://bot@db.example.org/botschafter
  python -m bot db copy --to sqlite:////srv/botschafter/copy.db   (another SQLite file)
  python -m bot db copy --to postgresql://bot@db.example.org/botschafter --replace

Stop the bot first. The password can come from PGPASSWORD or ~/.pgpass instead of the URL.
"""


class CopyRefused(Exception):
    """The copy cannot start: bad input or an unusable database. One line says why."""


class CopyFailed(Exception):
    """A copied table did not read back as it was read; the copy was rolled back."""


def add_commands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The ``db`` command group with ``copy``."""
    db = subparsers.add_parser("db", help="copy the database to another one")
    commands = db.add_subparsers(title="db commands", metavar="COMMAND")
    copy_parser = commands.add_parser(
        "copy",
        help="copy the database (e.g. SQLite to PostgreSQL), checked table by table",
        description="Copy the configured database (--database, BOTSCHAFTER_DATABASE or "
        "data/botschafter.db) into the database --to names, keeping every id. The target is "
        "migrated first and must be empty; the copy runs in one transaction and is checked "
        "row for row. Stop the bot first. Exits 2 with one line when the source or target "
        "cannot be used.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    copy_parser.add_argument(
        "--to",
        required=True,
        metavar="URL",
        help="the target: postgresql://user@host/dbname or sqlite:///path/to/file.db",
    )
    copy_parser.add_argument(
        "--replace",
        action="store_true",
        help="if the target already holds other data, delete it and copy again "
        "(in the same transaction as the copy)",
    )
    copy_parser.set_defaults(handler=run)

    async def usage(args: argparse.Namespace, settings: Settings) -> int:
        db.print_help()
        return 2

    db.set_defaults(handler=usage)


async def run(args: argparse.Namespace, settings: Settings) -> int:
    # The target's migrations are counted in one line; their log lines would repeat it.
    logging.getLogger("storage.database").setLevel(logging.WARNING)
    try:
        await copy_database(
            settings.database_location, args.to, replace=args.replace, out=sys.stdout
        )
    except (CopyRefused, DatabaseUnusable, copy.SchemaProblem) as error:
        print(error, file=sys.stderr)
        return 2
    except CopyFailed as error:
        print(error, file=sys.stderr)
        return 1
    except (TransactionConflict, OSError) as error:
        print(
            f"The copy stopped, a database connection was lost or interrupted ({error}). The"
            " copy writes the target in one transaction, so nothing of it was kept: run the"
            " same command again.",
            file=sys.stderr,
        )
        return 1
    except Exception as error:
        if not type(error).__module__.startswith("asyncpg"):
            raise
        # PostgreSQL said no (e.g. no right to create tables in the target's schema).
        print(f"PostgreSQL refused the copy: {error}", file=sys.stderr)
        return 2
    return 0


async def copy_database(
    source_at: Path | str, target_at: str, *, replace: bool, out: TextIO
) -> None:
    """Copy the database at `source_at` into `target_at`, printing progress to `out`."""
    try:
        target_kind, target_where = parse_target(target_at)
    except DatabaseUnusable:
        raise CopyRefused(
            f"--to {redact(target_at)}: not a database URL; give postgresql://user@host/dbname"
            " or sqlite:///path/to/file.db (or a file's path)."
        ) from None
    _refuse_same(source_at, target_kind, target_where)
    async with AsyncExitStack() as stack:
        source = await stack.enter_async_context(_open_source(source_at))
        source_versions = await copy.applied_migrations(source)
        _refuse_newer(source.location, source_versions, "copy it with that version")
        target = await stack.enter_async_context(_open_target(target_at, target_kind, target_where))
        applied = await target.migrate()
        if applied:
            print(f"Migrated {target.location}: {len(applied)} migration(s) applied.", file=out)
        _refuse_newer(target.location, await copy.applied_migrations(target), "use that version")
        ordered = await _matching_tables(source, target)
        shown = f"{target.location} (schema {max(source_versions):04d}, {len(ordered)} tables)"
        if await copy.holds_rows(target, ordered):
            if not replace:
                await _recognise_previous_copy(source, target, ordered, shown, out)
                return
            print(f"Replacing what {shown} holds with a copy of {source.location}:", file=out)
        else:
            print(f"Copying {source.location} to {shown}:", file=out)
        total = await _copy_all(source, target, ordered, replace=replace, out=out)
    print(
        f"Done: {_rows(total)} in {len(ordered)} tables, every table checked row for row.", file=out
    )


@asynccontextmanager
async def _open_source(source_at: Path | str) -> AsyncIterator[Database]:
    """The source, held against a bot starting on it, and only if its schema is current."""
    kind, where = parse_target(source_at)
    async with AsyncExitStack() as stack:
        if kind == "sqlite":
            _hold(
                stack,
                where,
                f"Not copying {where}: a bot is running on it ({{holder}}). Stop it first, then"
                " copy: a copy taken while it runs would miss what it writes.",
            )
        database = await Database.open(source_at, migrate=False, create=False)
        stack.push_async_callback(database.close)
        yield database


@asynccontextmanager
async def _open_target(target_at: str, kind: str, where: str) -> AsyncIterator[Database]:
    """The target, created if it is a new SQLite file (`copy_database` migrates it)."""
    async with AsyncExitStack() as stack:
        if kind == "sqlite":
            _hold(
                stack,
                where,
                f"Not copying to {where}: a bot is running on it ({{holder}}). Stop it, or"
                " choose another target.",
            )
        database = await Database.open(target_at, migrate=False)
        stack.push_async_callback(database.close)
        yield database


def _hold(stack: AsyncExitStack, where: str, refusal: str) -> None:
    """Hold a SQLite file's lock as the bot does, or refuse naming the bot that holds it."""
    try:
        stack.enter_context(data_lock.hold(None, Path(where)))
    except data_lock.DataFolderUnusable as error:
        if not error.holder:
            raise  # not a running bot: the folder itself is unusable, and says why
        raise CopyRefused(refusal.replace("{holder}", error.holder)) from None


def _refuse_same(source_at: Path | str, kind: str, where: str) -> None:
    source_kind, source_where = parse_target(source_at)
    if kind == source_kind == "sqlite" and Path(where).resolve() == Path(source_where).resolve():
        raise CopyRefused(f"--to {where}: that is the database being copied; name another one.")
    if kind == source_kind == "postgresql" and where == source_where:
        raise CopyRefused(f"--to {redact(where)}: that is the database being copied.")


def _refuse_newer(location: str, applied: set[int], advice: str) -> None:
    """A database migrated by a newer Botschafter has tables or columns this one does not
    know; a copy would drop them silently."""
    unknown = sorted(applied - {version for version, _, _ in migrations()})
    if unknown:
        raise CopyRefused(
            f"{location}: a newer Botschafter migrated this database (migration "
            f"{', '.join(f'{v:04d}' for v in unknown)} is unknown here); {advice}."
        )


async def _matching_tables(source: Database, target: Database) -> list[Table]:
    """The tables to copy, parents first; both schemas must agree on them."""
    ordered = await copy.tables(source)
    theirs = {table.name: set(table.columns) for table in await copy.tables(target)}
    for table in ordered:
        if theirs.get(table.name) != set(table.columns):
            raise CopyRefused(
                f"{target.location}: table {table.name} differs from the source's although both"
                " have the same migrations; was it changed by hand?"
            )
    return ordered


async def _recognise_previous_copy(
    source: Database, target: Database, ordered: list[Table], shown: str, out: TextIO
) -> None:
    """Nothing to do when the target holds exactly this copy; else refuse, saying how."""
    print(f"{shown} already holds data; comparing it with {source.location}:", file=out)
    differ = []
    for table in ordered:
        ours, theirs = await copy.fingerprint(source, table), await copy.fingerprint(target, table)
        verdict = "same" if ours == theirs else f"differs (source has {_rows(ours.rows)})"
        print(_line(table.name, theirs.rows, verdict), file=out)
        if ours != theirs:
            differ.append(table.name)
    if differ:
        raise CopyRefused(
            f"Not copying: {target.location} already holds other data (in {', '.join(differ)})."
            " Copy into an empty database, or add --replace to delete what it holds and copy"
            " again."
        )
    async with target.transaction() as tx:
        await copy.continue_ids(tx, target, ordered)
    print("It already holds exactly this copy; nothing to do.", file=out)


async def _copy_all(
    source: Database, target: Database, ordered: list[Table], *, replace: bool, out: TextIO
) -> int:
    """Copy every table in one transaction; returns the number of rows copied. The source
    is read in one transaction too: on PostgreSQL, where a bot may be writing while the
    copy runs, that is one consistent snapshot, so no table refers to rows the copy missed."""
    total = 0
    async with source.transaction() as snapshot, target.transaction() as tx:
        if replace:
            await copy.clear(tx, ordered)
        for table in ordered:
            read = await copy.copy_rows(snapshot, tx, table)
            _check(table, read, await copy.fingerprint(tx, table))
            print(_line(table.name, read.rows), file=out)
            total += read.rows
        await copy.continue_ids(tx, target, ordered)
    return total


def _check(table: Table, read: Fingerprint, written: Fingerprint) -> None:
    if read != written:
        raise CopyFailed(
            f"{table.name}: {_rows(read.rows)} read but the target holds {_rows(written.rows)}"
            + (" that differ" if read.rows == written.rows else "")
            + "; the copy was rolled back, nothing was written."
        )


def _line(table: str, count: int, note: str = "") -> str:
    """One table's progress line; the columns line up for any count below a billion."""
    return f"  {table:<28} {_rows(count, 11):<18}{note}".rstrip()


def _rows(count: int, width: int = 0) -> str:
    return f"{count:>{width},} row" + ("" if count == 1 else "s")
