"""``python -m bot export tickets --format csv|json [--since DATE]``: tickets for departments.

Reads the bot's database directly (the bot may keep running: SQLite's WAL lets a reader
work beside it; the export creates and migrates nothing) and writes to stdout or
``--output``. Progress goes to stderr, so a redirected export stays clean.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TextIO

from bot.settings import Settings
from cogs.tickets.export import FORMATS, write_export
from storage.database import Database
from storage.ticket_reports import TicketReports

# Exports smaller than this finish before anyone looks at a progress line.
PROGRESS_THRESHOLD = 5000
PROGRESS_EVERY = 5000


def add_commands(subparsers: Any) -> None:
    tickets = _export_commands(subparsers).add_parser(
        "tickets",
        help="export tickets as CSV or JSON",
        description="Write every ticket (or those changed since DATE) as CSV or JSON.",
    )
    tickets.add_argument("--format", choices=FORMATS, default="csv", help="default: csv")
    tickets.add_argument(
        "--since",
        type=_date,
        metavar="DATE",
        help="only tickets opened or changed on or after DATE (YYYY-MM-DD, UTC)",
    )
    tickets.add_argument(
        "--community", metavar="KEY", help='only this community, e.g. "discord:123"'
    )
    tickets.add_argument(
        "--output", "-o", type=Path, metavar="FILE", help="write to FILE instead of stdout"
    )
    tickets.set_defaults(handler=export_tickets)


async def export_tickets(args: argparse.Namespace, settings: Settings) -> int:
    # Read-only: a mistyped --data-dir is an error naming the path, never a new database.
    db = await Database.open(
        settings.database_location,
        create=False,
        migrate=False,
        pool_size=settings.database_pool_size,
    )
    try:
        reports = TicketReports(db)
        if args.community is not None and not await _known(reports, args.community):
            return 2
        total = await reports.export_count(args.since, args.community)
        progress = _Progress(total, sys.stderr) if total >= PROGRESS_THRESHOLD else None
        if args.output is None:
            count = await _write(reports, sys.stdout, args, progress)
        else:
            with args.output.open("w", encoding="utf-8", newline="") as out:
                count = await _write(reports, out, args, progress)
    finally:
        await db.close()
    target = args.output or "stdout"
    print(f"Exported {count} ticket(s) as {args.format} to {target}.", file=sys.stderr)
    return 0


async def _known(reports: TicketReports, community: str) -> bool:
    """Whether `community` has tickets; if not, say which communities do."""
    known = await reports.communities()
    if community in known:
        return True
    listed = ", ".join(known) if known else "none yet"
    print(
        f"No tickets for community {community}. Communities with tickets: {listed}.",
        file=sys.stderr,
    )
    return False


async def _write(
    reports: TicketReports, out: TextIO, args: argparse.Namespace, progress: _Progress | None
) -> int:
    return await write_export(
        reports, out, args.format, since=args.since, community=args.community, progress=progress
    )


class _Progress:
    def __init__(self, total: int, stream: TextIO) -> None:
        self._total = total
        self._stream = stream

    def __call__(self, done: int) -> None:
        if done % PROGRESS_EVERY == 0 or done == self._total:
            print(f"… {done}/{self._total} tickets", file=self._stream, flush=True)


def _date(text: str) -> datetime:
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"“{text}” is not a date; write it as YYYY-MM-DD"
        ) from None
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _export_commands(subparsers: Any) -> Any:
    """The ``export`` command's sub-commands, shared with any other feature's exports."""
    export = subparsers.choices.get("export")
    if export is None:
        export = subparsers.add_parser("export", help="export data for the company's departments")
        export.set_defaults(handler=_usage(export))
        return export.add_subparsers(title="what to export", metavar="WHAT")
    return next(a for a in export._actions if isinstance(a, argparse._SubParsersAction))


def _usage(parser: argparse.ArgumentParser) -> Any:
    async def show(args: argparse.Namespace, settings: Settings) -> int:
        parser.print_help()
        return 2

    return show
