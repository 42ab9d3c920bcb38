"""Every refused action says why, privately, and leaves the ticket exactly as it was."""

from __future__ import annotations

import pytest

from bot.outgoing import Form, FormField
from storage.tickets import Status
from tests.tickets.desk import Desk

DENIED = "Sorry, only members with the ambassador role may do that."


async def snapshot(desk: Desk, number: int) -> tuple[object, ...]:
    ticket = await desk.ticket(number)
    return ticket, await desk.history(number), (await desk.tracker(number)).text


@pytest.mark.parametrize(
    "line",
    [
        "/ticket claim #1",
        "/ticket update #1 I fixed it myself next:1d",
        "/ticket escalate #1 Please hurry",
        "/ticket resolve #1 Done, trust me",
        "/ticket merge #1 into #2",
        "/ticket digest",
    ],
)
async def test_members_cannot_run_ambassador_commands(desk: Desk, line: str) -> None:
    await desk.open("Ben", "One")
    await desk.open("Ben", "Two")
    before = await snapshot(desk, 1), await snapshot(desk, 2)
    company_before = desk.channel("company")
    for who in ("Ben", "Cy", "Mo"):
        assert DENIED in await desk.run(who, line)
    assert (await snapshot(desk, 1), await snapshot(desk, 2)) == before
    assert desk.channel("company") == company_before


async def test_only_the_opener_may_withdraw(desk: Desk) -> None:
    await desk.open("Ben")
    before = await snapshot(desk, 1)
    for who in ("Cy", "Amy", "Alice"):
        reply = await desk.run(who, "/ticket withdraw #1 Not needed")
        assert "Only the member who opened ticket #1 may withdraw it." in reply
    assert await snapshot(desk, 1) == before


async def test_only_the_opener_or_an_ambassador_may_reopen(desk: Desk) -> None:
    await desk.open("Ben")
    await desk.run("Amy", "/ticket resolve #1 Done")
    before = await snapshot(desk, 1)
    reply = await desk.run("Cy", "/ticket reopen #1 Not done for me")
    assert "Only the member who opened ticket #1, or an ambassador, may reopen it." in reply
    assert await snapshot(desk, 1) == before
    assert "open again" in await desk.run("Bo", "/ticket reopen #1 Regressed in 2.5")
    assert (await desk.ticket(1)).status is Status.CLAIMED


async def test_nobody_votes_on_their_own_ticket(desk: Desk) -> None:
    await desk.open("Ben")
    before = await snapshot(desk, 1)
    assert "you cannot vote on it" in await desk.run("Ben", "/ticket vote #1")
    tracker = await desk.tracker(1)
    await desk.c.react(desk.c.member("Ben"), tracker.number, "👍")
    assert await snapshot(desk, 1) == before
    assert "ben" not in tracker.reactions["👍"]  # the reaction was taken back
    assert any("you cannot vote on it" in m for m in desk.dms("Ben"))


async def test_a_member_votes_once(desk: Desk) -> None:
    await desk.open("Ben")
    await desk.run("Cy", "/ticket vote #1")
    assert "You already voted on ticket #1." in await desk.run("Cy", "/ticket vote #1")
    await desk.c.react(desk.c.member("Cy"), (await desk.tracker(1)).number, "👍")
    assert (await desk.ticket(1)).vote_count == 1


async def test_a_checkmark_from_a_member_is_removed_and_asks_nothing(desk: Desk) -> None:
    await desk.open("Ben")
    tracker = await desk.tracker(1)
    await desk.c.react(desk.c.member("Cy"), tracker.number, "✅")
    assert "cy" not in tracker.reactions["✅"]
    assert any(DENIED in m for m in desk.dms("Cy"))
    assert (await desk.ticket(1)).status is Status.OPEN
    assert desk.c.open_forms == {}


async def test_the_resolution_button_and_form_refuse_members(desk: Desk) -> None:
    await desk.open("Ben")
    desk.c.dms_closed.add("amy")
    await desk.c.react(desk.c.member("Amy"), (await desk.tracker(1)).number, "✅")
    prompt = (await desk.thread(1))[-1]
    before = len(desk.c.private_replies(desk.c.member("Cy")))
    await desk.c.press(desk.c.member("Cy"), prompt.number, "Write resolution")
    assert "cy" not in desk.c.open_forms
    assert DENIED in desk.c.private_replies(desk.c.member("Cy"))[before].text
    # A forged submission of the resolution form, as a crafted client could send it.
    desk.c.open_forms["cy"] = Form("ticket:resolve:1", "x", (FormField("resolution", "x"),))
    await desk.c.submit(desk.c.member("Cy"), {"resolution": "Sneaky"})
    assert DENIED in desk.c.last_private(desk.c.member("Cy"))
    assert (await desk.ticket(1)).status is Status.OPEN


async def test_only_ambassadors_see_the_whole_teams_queue(desk: Desk) -> None:
    await desk.open("Ben")
    reply = await desk.run("Cy", "/ticket list everywhere:yes")
    assert "Only ambassadors may list the whole team's queue" in reply
    assert "#1" in await desk.run("Amy", "/ticket list everywhere:yes")
