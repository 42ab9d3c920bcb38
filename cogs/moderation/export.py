"""``python -m bot export flags|infractions|audit --format csv|json``: moderation records
for the company's departments and for audits.

Same approach as ``export tickets`` (cogs/tickets/cli.py, whose ``export`` command this
joins): read-only on the bot's database (the bot may keep running), streamed row by row,
to stdout or ``--output``, a summary line on stderr. Both formats carry the same columns;
times are ISO-8601 UTC, empty when unset. In CSV a text cell that a spreadsheet would run
as a formula gets a leading apostrophe: member names and reasons must not execute.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from bot.settings import Settings
from cogs.tickets.cli import _export_commands
from cogs.tickets.export import FORMATS
from storage.audit import AuditEntry, AuditLog
from storage.database import Database
from storage.moderation import Flag, Infraction, export_flags, export_infractions
from storage.timestamps import to_db

Cell = str | int | None
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _moment(value: datetime | None) -> str | None:
    return None if value is None else to_db(value)


def flag_row(flag: Flag) -> dict[str, Cell]:
    return {
        "community": flag.community,
        "id": flag.id,
        "kind": flag.kind.value,
        "member_id": flag.author_id,
        "member_name": flag.author_name,
        "status": flag.status.value,
        "outcome": flag.outcome,
        "decided_by": flag.acted_by,
        "decided_at": _moment(flag.acted_at),
        "reason": flag.reason,
        "created_at": _moment(flag.created_at),
    }


def infraction_row(infraction: Infraction) -> dict[str, Cell]:
    return {
        "community": infraction.community,
        "id": infraction.id,
        "member_id": infraction.member_id,
        "member_name": infraction.member_name,
        "kind": infraction.kind,
        "reason": infraction.reason,
        "moderators": " ".join(infraction.deciders),
        "flag": infraction.flag_id,
        "at": _moment(infraction.at),
        "expires_at": _moment(infraction.expires_at),
        "status": infraction.status,
        "pardoned_by": infraction.pardoned_by,
        "pardon_reason": infraction.pardon_reason,
    }


def audit_row(entry: AuditEntry) -> dict[str, Cell]:
    return {
        "community": entry.community,
        "id": entry.id,
        "at": _moment(entry.at),
        "actor_id": entry.actor_id,
        "action": entry.action,
        "member_id": entry.member_id,
        "subject": entry.subject,
        "details": json.dumps(entry.details, ensure_ascii=False, sort_keys=True),
    }


Rows = Callable[[Database, str | None], AsyncIterator[dict[str, Cell]]]


async def _flags(db: Database, community: str | None) -> AsyncIterator[dict[str, Cell]]:
    async for flag in export_flags(db, community):
        yield flag_row(flag)


async def _infractions(db: Database, community: str | None) -> AsyncIterator[dict[str, Cell]]:
    async for infraction in export_infractions(db, community):
        yield infraction_row(infraction)


async def _audit(db: Database, community: str | None) -> AsyncIterator[dict[str, Cell]]:
    async for entry in AuditLog(db).export(community):
        yield audit_row(entry)


# What each export is called and its rows; the first row's keys are the columns (the
# same for every row), so an export with no rows still writes its header.
EXPORTS: dict[str, Rows] = {"flags": _flags, "infractions": _infractions, "audit": _audit}
COLUMNS: dict[str, tuple[str, ...]] = {
    "flags": (
        "community",
        "id",
        "kind",
        "member_id",
        "member_name",
        "status",
        "outcome",
        "decided_by",
        "decided_at",
        "reason",
        "created_at",
    ),
    "infractions": (
        "community",
        "id",
        "member_id",
        "member_name",
        "kind",
        "reason",
        "moderators",
        "flag",
        "at",
        "expires_at",
        "status",
        "pardoned_by",
        "pardon_reason",
    ),
    "audit": ("community", "id", "at", "actor_id", "action", "member_id", "subject", "details"),
}


def add_commands(subparsers: Any) -> None:
    exports = _export_commands(subparsers)
    for what in EXPORTS:
        parser = exports.add_parser(
            what,
            help=f"export moderation {what} as CSV or JSON",
            description=f"Write the moderation {what} records as CSV or JSON, oldest first.",
        )
        parser.add_argument("--format", choices=FORMATS, default="csv", help="default: csv")
        parser.add_argument(
            "--community", metavar="KEY", help='only this community, e.g. "discord:123"'
        )
        parser.add_argument(
            "--output", "-o", type=Path, metavar="FILE", help="write to FILE instead of stdout"
        )
        parser.set_defaults(handler=run_export, what=what)


async def run_export(args: argparse.Namespace, settings: Settings) -> int:
    # Read-only: a mistyped --data-dir is an error naming the path, never a new database.
    db = await Database.open(
        settings.database_location,
        create=False,
        migrate=False,
        pool_size=settings.database_pool_size,
    )
    try:
        if args.output is None:
            count = await write_export(db, args.what, sys.stdout, args.format, args.community)
        else:
            with args.output.open("w", encoding="utf-8", newline="") as out:
                count = await write_export(db, args.what, out, args.format, args.community)
    finally:
        await db.close()
    target = args.output or "stdout"
    print(f"Exported {count} {args.what} row(s) as {args.format} to {target}.", file=sys.stderr)
    return 0


async def write_export(
    db: Database, what: str, out: TextIO, fmt: str, community: str | None = None
) -> int:
    """Write every row of export `what` to `out`; returns how many were written."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}")
    writer = csv.DictWriter(out, fieldnames=COLUMNS[what]) if fmt == "csv" else None
    if writer is not None:
        writer.writeheader()
    else:
        out.write("[")
    count = 0
    async for row in EXPORTS[what](db, community):
        if writer is not None:
            writer.writerow({key: _inert_cell(value) for key, value in row.items()})
        else:
            out.write(("\n" if count == 0 else ",\n") + json.dumps(row, ensure_ascii=False))
        count += 1
    if writer is None:
        out.write("\n]\n" if count else "]\n")
    return count


def _inert_cell(value: Cell) -> Cell:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value
