"""Export round trip: what the departments read is what the bot stored."""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.app.cli import main
from bot.settings import Settings
from cogs.tickets import cli as ticket_cli
from cogs.tickets.cli import export_tickets
from cogs.tickets.export import COLUMNS, write_export
from storage.database import Database
from storage.ticket_reports import TicketReports
from storage.tickets import Status, Ticket, TicketRepository
from storage.timestamps import optional_from_db
from tests.tickets.desk import Desk

TRICKY_DETAILS = 'Commas, "quotes", a newline\nand ünïcödé — all intact'


async def varied_tickets(desk: Desk) -> None:
    await submitted(desk, "Ben", {"title": "Dark mode, please", "details": TRICKY_DETAILS})
    await submitted(desk, "Cy", {"title": '=HYPERLINK("http://evil")', "category": "billing"})
    await desk.open("Dee", "Offline mode")
    await desk.run("Amy", "/ticket update #1 Talked to the team next:3d")
    await desk.run("Mo", "/ticket vote #1")
    await desk.advance(timedelta(days=2))
    await desk.run("Amy", "/ticket resolve #2 Fixed in 2.4")
    await desk.run("Amy", "/ticket merge #3 into #1")


async def submitted(desk: Desk, who: str, values: dict[str, str]) -> None:
    """Open through the form: its values arrive verbatim, as a modal delivers them."""
    await desk.run(who, "/ticket open")
    await desk.c.submit(desk.c.member(who), values)


def parse_json_rows(text: str) -> list[dict[str, object]]:
    rows = json.loads(text)
    assert all(list(row) == list(COLUMNS) for row in rows)
    return rows


def restored(row: dict[str, object], stored: Ticket) -> Ticket:
    """Rebuild the exported fields onto the stored ticket: equal iff nothing was lost."""
    return replace(
        stored,
        title=row["title"],
        details=row["details"],
        category=row["category"],
        status=Status(row["status"]),
        opener_id=row["opener_id"],
        owner_id=row["owner_id"],
        vote_count=row["votes"],
        opened_at=optional_from_db(row["opened_at"]),  # type: ignore[arg-type]
        first_response_at=optional_from_db(row["first_response_at"]),  # type: ignore[arg-type]
        next_update_due=optional_from_db(row["next_update_due"]),  # type: ignore[arg-type]
        resolved_at=optional_from_db(row["resolved_at"]),  # type: ignore[arg-type]
        resolution=row["resolution"],
        merged_into=row["merged_into"],
        tracker_url=row["tracker_url"],
    )


async def export(desk: Desk, fmt: str, since: datetime | None = None) -> str:
    out = io.StringIO()
    reports = TicketReports(desk.session.app.services.db)
    await write_export(reports, out, fmt, since=since)
    return out.getvalue()


async def test_json_export_round_trips_every_ticket(desk: Desk) -> None:
    await varied_tickets(desk)
    rows = parse_json_rows(await export(desk, "json"))
    assert [row["number"] for row in rows] == [1, 2, 3]
    for row in rows:
        stored = await desk.ticket(int(row["number"]))  # type: ignore[call-overload]
        assert restored(row, stored) == stored
    assert rows[0]["details"] == TRICKY_DETAILS and rows[0]["platform"] == "local"
    assert rows[2]["status"] == "merged" and rows[2]["merged_into"] == 1


async def test_csv_export_carries_the_same_rows_and_defuses_formulas(desk: Desk) -> None:
    await varied_tickets(desk)
    as_json = parse_json_rows(await export(desk, "json"))
    as_csv = list(csv.DictReader(io.StringIO(await export(desk, "csv"), newline="")))
    assert as_csv[1]["title"] == '\'=HYPERLINK("http://evil")'
    as_csv[1]["title"] = as_csv[1]["title"][1:]
    expected = [
        {key: "" if value is None else str(value) for key, value in row.items()} for row in as_json
    ]
    assert as_csv == expected


async def test_since_limits_the_export_to_recent_changes(desk: Desk) -> None:
    await varied_tickets(desk)
    await desk.advance(timedelta(days=1))
    await desk.run("Amy", "/ticket update #1 Still going")
    rows = parse_json_rows(await export(desk, "json", since=desk.clock.now()))
    assert [row["number"] for row in rows] == [1]
    assert await export(desk, "json", since=desk.clock.now() + timedelta(seconds=1)) == "[]\n"


async def test_since_includes_tickets_whose_votes_changed(desk: Desk) -> None:
    await desk.open("Ben", "Dark mode")
    await desk.open("Cy", "Export")
    await desk.advance(timedelta(days=3))
    since = desk.clock.now()
    await desk.run("Dee", "/ticket vote #2")
    rows = parse_json_rows(await export(desk, "json", since=since))
    assert [(row["number"], row["votes"]) for row in rows] == [(2, 1)]
    await desk.advance(timedelta(days=1))
    since = desk.clock.now()
    await desk.run("Dee", "/ticket unvote #2")
    rows = parse_json_rows(await export(desk, "json", since=since))
    assert [(row["number"], row["votes"]) for row in rows] == [(2, 0)]


async def test_the_cli_handler_writes_a_file_and_reports_on_stderr(
    desk: Desk, settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    await varied_tickets(desk)
    target = tmp_path / "tickets.json"
    args = argparse.Namespace(format="json", since=None, community="local:demo", output=target)
    assert await export_tickets(args, settings) == 0
    assert [row["number"] for row in parse_json_rows(target.read_text("utf-8"))] == [1, 2, 3]
    assert "Exported 3 ticket(s) as json" in capsys.readouterr().err


def test_python_m_bot_export_tickets_streams_a_big_export_with_progress(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ticket_cli, "PROGRESS_THRESHOLD", 100)
    monkeypatch.setattr(ticket_cli, "PROGRESS_EVERY", 50)
    database = tmp_path / "bot.db"
    asyncio.run(seed_many(database, 300))
    assert main(["--database", str(database), "export", "tickets", "--since", "2026-01-02"]) == 0
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert lines[0] == ",".join(COLUMNS) and len(lines) == 1 + 200
    assert lines[1].startswith("local:demo,local,101,Ticket 101,")
    progress = [line for line in captured.err.splitlines() if line.startswith("…")]
    assert progress == [f"… {n}/200 tickets" for n in (50, 100, 150, 200)]
    assert "Exported 200 ticket(s) as csv to stdout." in captured.err
    with pytest.raises(SystemExit):
        main(["--database", str(database), "export", "tickets", "--since", "yesterday"])
    assert "is not a date" in capsys.readouterr().err


async def seed_many(path: Path, count: int) -> None:
    """`count` resolved tickets, the first hundred changed before 2026-01-02."""
    db = await Database.open(path)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    tickets = []
    for number in range(1, count + 1):
        moment = start + timedelta(days=0 if number <= 100 else 1, minutes=number)
        tickets.append(_ticket(number, moment))
    await TicketRepository(db).insert_many("local:demo", tickets)
    await db.close()


def _ticket(number: int, at: datetime) -> Ticket:
    return Ticket(
        community="local:demo",
        number=number,
        title=f"Ticket {number}",
        details="",
        category="",
        status=Status.RESOLVED,
        opener_id="ben",
        opener_name="Ben",
        opener_locale=None,
        owner_id="amy",
        owner_name="Amy",
        opened_at=at,
        updated_at=at,
        claimed_at=at,
        first_response_at=at,
        first_response_escalated_at=None,
        last_public_update_at=at,
        last_public_note="",
        next_update_due=None,
        promise_seq=0,
        reminded_seq=0,
        follow_up_seq=0,
        last_follow_up_at=None,
        resolved_at=at,
        resolved_by="amy",
        resolution="Done",
        closed_at=at,
        merged_into=None,
        vote_count=0,
        channel_id=None,
        tracker_message_id=None,
        thread_id=None,
        tracker_url="",
    )


async def test_a_private_ticket_is_exported_marked_private(desk: Desk) -> None:
    """The export is the admins' file: it holds private tickets too, each marked, so whoever
    passes it on can drop them before anything private reaches a public place."""
    await desk.open("Ben", "Dark mode")
    await desk.run("Ben", "/ticket open Refund for a double charge private:yes")
    rows = parse_json_rows(await export(desk, "json"))
    assert [(row["number"], row["private"]) for row in rows] == [(1, False), (2, True)]
    as_csv = list(csv.DictReader(io.StringIO(await export(desk, "csv"), newline="")))
    assert [row["private"] for row in as_csv] == ["False", "True"]
