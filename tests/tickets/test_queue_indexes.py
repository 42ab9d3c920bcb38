"""The queue's first pages are index walks: no sort step, whatever the number of tickets."""

from __future__ import annotations

from pathlib import Path

import pytest

from storage.database import Database
from storage.ticket_queue import Sort, TicketQuery, count_plan, query_plan
from storage.tickets import Status

ONE = ("local:demo",)
TEAM = ("local:demo", "slack:T1")


@pytest.mark.parametrize(
    "query",
    [
        TicketQuery(ONE),
        TicketQuery(ONE, sort=Sort.AGE),
        TicketQuery(ONE, sort=Sort.NEWEST),
        TicketQuery(ONE, status=Status.RESOLVED),
        TicketQuery(ONE, status=Status.CLAIMED, sort=Sort.AGE),
        TicketQuery(ONE, category="app"),
        TicketQuery(ONE, any_status=True),
        TicketQuery(ONE, any_status=True, sort=Sort.NEWEST),
        TicketQuery(TEAM),
        TicketQuery(TEAM, sort=Sort.AGE),
    ],
)
async def test_a_first_page_needs_no_sort(tmp_path: Path, query: TicketQuery) -> None:
    db = await Database.open(tmp_path / "plan.db")
    try:
        plan = await query_plan(db, query)
    finally:
        await db.close()
    assert any("USING INDEX tickets_" in step for step in plan), plan
    assert not any("TEMP B-TREE" in step for step in plan), plan


@pytest.mark.parametrize(
    "query",
    [TicketQuery(ONE), TicketQuery(ONE, viewer_id="U1"), TicketQuery(ONE, status=Status.OPEN)],
    ids=["ambassador", "member", "status"],
)
async def test_the_total_is_counted_from_an_index_alone(tmp_path: Path, query: TicketQuery) -> None:
    """A member's list counts public tickets and their own private ones; visiting every
    ticket's row for that made the first page grow with the queue (16 ms at 100k)."""
    db = await Database.open(tmp_path / "plan.db")
    try:
        plan = await count_plan(db, query)
    finally:
        await db.close()
    assert any("COVERING INDEX" in step for step in plan), plan
