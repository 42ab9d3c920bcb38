"""Tickets as CSV or JSON for the company's departments, streamed row by row.

Both formats carry the same columns (`COLUMNS`); times are ISO-8601 UTC, empty when unset.
JSON is written as one array, one ticket per line, without holding the export in memory.
In CSV, a text cell that a spreadsheet would run as a formula (it starts with ``=``, ``+``,
``-``, ``@``, tab or carriage return) gets a leading apostrophe: member-written titles must
not execute in the department's spreadsheet.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from datetime import datetime
from typing import TextIO

from storage.ticket_reports import TicketReports
from storage.tickets import Ticket
from storage.timestamps import to_db

COLUMNS = (
    "community",
    "platform",
    "number",
    "title",
    "details",
    "category",
    "status",
    "opener_id",
    "opener_name",
    "owner_id",
    "owner_name",
    "votes",
    "opened_at",
    "first_response_at",
    "last_public_update_at",
    "last_public_note",
    "next_update_due",
    "resolved_at",
    "resolution",
    "closed_at",
    "merged_into",
    "tracker_url",
    # Added after the first release: new columns go last, so imports by position still work.
    "outcome",
    # True for a ticket opened with private:yes; the file is for admins and departments, and
    # whoever shares it further must drop these rows first.
    "private",
    # The ticket's language (docs/languages.md); empty for tickets from before languages.
    "language",
)
FORMATS = ("csv", "json")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

Progress = Callable[[int], None]


def ticket_row(ticket: Ticket) -> dict[str, str | int | bool | None]:
    def moment(value: datetime | None) -> str | None:
        return None if value is None else to_db(value)

    return {
        "community": ticket.community,
        "platform": ticket.community.partition(":")[0],
        "number": ticket.number,
        "title": ticket.title,
        "details": ticket.details,
        "category": ticket.category,
        "status": ticket.status.value,
        "opener_id": ticket.opener_id,
        "opener_name": ticket.opener_name,
        "owner_id": ticket.owner_id,
        "owner_name": ticket.owner_name,
        "votes": ticket.vote_count,
        "opened_at": moment(ticket.opened_at),
        "first_response_at": moment(ticket.first_response_at),
        "last_public_update_at": moment(ticket.last_public_update_at),
        "last_public_note": ticket.last_public_note,
        "next_update_due": moment(ticket.next_update_due),
        "resolved_at": moment(ticket.resolved_at),
        "resolution": ticket.resolution,
        "closed_at": moment(ticket.closed_at),
        "merged_into": ticket.merged_into,
        "tracker_url": ticket.tracker_url,
        "outcome": None if ticket.outcome is None else ticket.outcome.value,
        "private": ticket.private,
        "language": ticket.language,
    }


async def write_export(
    reports: TicketReports,
    out: TextIO,
    fmt: str,
    *,
    since: datetime | None = None,
    community: str | None = None,
    progress: Progress | None = None,
) -> int:
    """Write every matching ticket to `out`; returns how many were written."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}")
    writer = csv.DictWriter(out, fieldnames=COLUMNS) if fmt == "csv" else None
    if writer is not None:
        writer.writeheader()
    else:
        out.write("[")
    count = 0
    async for ticket in reports.export(since, community):
        row = ticket_row(ticket)
        if writer is not None:
            writer.writerow({key: _inert_cell(value) for key, value in row.items()})
        else:
            out.write(("\n" if count == 0 else ",\n") + json.dumps(row, ensure_ascii=False))
        count += 1
        if progress is not None:
            progress(count)
    if writer is None:
        out.write("\n]\n" if count else "]\n")
    return count


def _inert_cell(value: str | int | bool | None) -> str | int | bool | None:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value
