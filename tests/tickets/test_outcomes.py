"""Closing a ticket that will not be done: declined or duplicate, in public, with a reason,
and never counted as "you asked, we did"."""

from __future__ import annotations

import json
from pathlib import Path

from storage.database import Database
from storage.tickets import Outcome, Status, TicketRepository
from tests.migrating import apply_migrations_before
from tests.tickets.desk import Desk
from tests.tickets.test_digest import at, digests
from tests.tickets.test_export import export

SPAM_REASON = "This is an advert, not a request for the app."
THEN = "2026-01-05T09:00:00.000000Z"


async def thread_id(desk: Desk, number: int) -> str:
    ticket = await desk.ticket(number)
    assert ticket.thread_id is not None
    return ticket.thread_id


async def test_declining_closes_in_public_with_the_reason_and_tells_everyone(
    desk: Desk,
) -> None:
    await desk.open("Ben", "Ads in the app")
    await desk.run("Cy", "/ticket vote #1")
    await desk.run("Dee", "/ticket vote #1")
    link = (await desk.ticket(1)).tracker_url

    reply = await desk.run("Amy", f"/ticket resolve #1 {SPAM_REASON} outcome:declined")

    assert reply == (
        "Ticket #1 is closed as declined; its opener and voters are being told, with your"
        f" reason. {link}"
    )
    ticket = await desk.ticket(1)
    assert (ticket.status, ticket.outcome, ticket.resolution) == (
        Status.RESOLVED,
        Outcome.DECLINED,
        SPAM_REASON,
    )
    tracker = (await desk.tracker(1)).text
    assert "Status: 🚫 declined" in tracker and f"Resolution: {SPAM_REASON}" in tracker
    assert (await desk.thread(1))[-1].text == (
        f"🚫 **Ticket #1 closed by @Amy: it will not be done.** The reason:\n{SPAM_REASON}"
    )
    assert desk.c.channels[await thread_id(desk, 1)].archived
    told = (
        "🚫 Ticket #1 “Ads in the app” is closed: it will not be done. The reason:"
        f" {SPAM_REASON} Thank you for raising it. {link}"
    )
    assert desk.dms("Ben") == [told] and desk.dms("Cy") == [told]
    assert desk.dms("Dee") == [
        "🚫 Ticket #1 „Ads in the app“ ist geschlossen: Es wird nicht umgesetzt. Der Grund:"
        f" {SPAM_REASON} Danke, dass du es angesprochen hast. {link}"
    ]
    shown = await desk.run("Ben", "/ticket show #1")
    assert f"Amy declined it (🟢 open → 🚫 declined): {SPAM_REASON}" in shown
    assert "Status: 🚫 declined" in shown
    assert await desk.run("Amy", "/ticket resolve #1 Done") == "Ticket #1 is already 🚫 declined."


async def test_declining_needs_a_reason_in_a_sentence(desk: Desk) -> None:
    await desk.open("Ben", "Ads in the app")
    tracker_before = (await desk.tracker(1)).text
    reply = await desk.run("Amy", "/ticket resolve #1 No. outcome:declined")
    assert reply == (
        "Please give the reason in a sentence or two, for everyone to read: whoever opened"
        " ticket #1 and those who backed it deserve to know why it will not be done."
    )
    assert "Please write the resolution" in await desk.run(
        "Amy", "/ticket resolve #1 outcome:declined"
    )
    assert "<outcome> must be one of: done, declined, duplicate." in await desk.run(
        "Amy", f"/ticket resolve #1 {SPAM_REASON} outcome:spam"
    )
    assert (await desk.ticket(1)).status is Status.OPEN
    assert await desk.history(1) == ["opened"]
    assert (await desk.tracker(1)).text == tracker_before
    assert desk.dms("Ben") == []


async def test_a_duplicate_of_a_closed_ticket_is_closed_as_a_duplicate(desk: Desk) -> None:
    await desk.open("Ben", "Dark mode")
    await desk.run("Amy", "/ticket resolve #1 Shipped in 2.4")
    await desk.open("Cy", "Night theme")
    refusal = await desk.run("Amy", "/ticket merge #2 into #1")
    assert refusal.startswith("Ticket #1 is ✅ resolved.")  # merging needs an open target

    await desk.run(
        "Amy",
        "/ticket resolve Same as #1, shipped in 2.4 outcome:duplicate",
        await thread_id(desk, 2),
    )

    ticket = await desk.ticket(2)
    assert (ticket.status, ticket.outcome) == (Status.RESOLVED, Outcome.DUPLICATE)
    assert "Status: 🔁 duplicate" in (await desk.tracker(2)).text
    assert (await desk.thread(2))[-1].text == (
        "🔁 **Ticket #2 closed by @Amy as a duplicate:**\nSame as #1, shipped in 2.4"
    )
    assert desk.dms("Cy")[-1].startswith(
        "🔁 Ticket #2 “Night theme” is closed as a duplicate: Same as #1, shipped in 2.4"
    )


async def test_reopening_a_declined_ticket_clears_its_outcome(desk: Desk) -> None:
    await desk.open("Ben", "Ads in the app")
    await desk.run("Amy", f"/ticket resolve #1 {SPAM_REASON} outcome:declined")
    await desk.run("Ben", "/ticket reopen #1 It is a real request, see details")
    ticket = await desk.ticket(1)
    assert (ticket.status, ticket.outcome) == (Status.CLAIMED, None)  # Amy owns it now
    assert "Status: 🔵 claimed" in (await desk.tracker(1)).text
    await desk.run("Amy", "/ticket resolve #1 Ads are gone in 2.5")
    assert (await desk.ticket(1)).outcome is Outcome.DONE
    shown = await desk.run("Ben", "/ticket show #1")
    assert "Ben reopened it (🚫 declined → 🔵 claimed): It is a real request" in shown
    assert "Amy resolved it (🔵 claimed → ✅ resolved): Ads are gone in 2.5" in shown


async def test_the_checkmark_prompt_offers_to_decline(desk: Desk) -> None:
    await desk.open("Ben", "Ads in the app")
    await desk.c.react(desk.c.member("Amy"), (await desk.tracker(1)).number, "✅")
    prompt = desk.c.direct_messages(desk.c.member("Amy"))[-1]
    assert [b.label for b in prompt.buttons] == ["Write resolution", "Decline", "Duplicate"]
    await desk.c.press(desk.c.member("Amy"), prompt.number, "Decline")
    form = desk.c.open_forms["amy"]
    assert form.title == "Decline ticket #1"
    assert [f.label for f in form.fields] == ["Why it will not be done, for everyone"]
    await desk.c.submit(desk.c.member("Amy"), {"resolution": "Too short"})
    assert "Please give the reason" in desk.c.last_private(desk.c.member("Amy"))
    assert (await desk.ticket(1)).status is Status.OPEN

    await desk.c.press(desk.c.member("Amy"), prompt.number, "Decline")
    await desk.c.submit(desk.c.member("Amy"), {"resolution": SPAM_REASON})
    ticket = await desk.ticket(1)
    assert (ticket.outcome, ticket.resolution) == (Outcome.DECLINED, SPAM_REASON)
    assert desk.c.last_private(desk.c.member("Amy")).startswith("Ticket #1 is closed as declined")


async def test_a_prompt_button_from_before_outcomes_still_resolves_as_done(desk: Desk) -> None:
    await desk.open("Ben", "Dark mode")
    await desk.c.react(desk.c.member("Amy"), (await desk.tracker(1)).number, "✅")
    prompt = desk.c.direct_messages(desk.c.member("Amy"))[-1]
    await desk.c.press(desk.c.member("Amy"), prompt.number, "ticket:resolve:1")
    assert desk.c.open_forms["amy"].form_id == "ticket:resolve:1"
    await desk.c.submit(desk.c.member("Amy"), {"resolution": "Shipped"})
    assert (await desk.ticket(1)).outcome is Outcome.DONE


async def test_the_digest_counts_declined_and_duplicates_but_lists_only_what_was_done(
    desk: Desk,
) -> None:
    await desk.open("Ben", "Dark mode")
    await desk.open("Cy", "Ads in the app")
    await desk.open("Dee", "Night theme")
    await at(desk, 1, 0)
    await desk.run("Amy", "/ticket resolve #1 Shipped in 2.4")
    await desk.run("Amy", f"/ticket resolve #2 {SPAM_REASON} outcome:declined")
    await at(desk, 3, 0)
    await desk.run("Amy", "/ticket resolve #3 Same as #1 outcome:duplicate")
    await at(desk, 7, 0)
    digest = digests(desk)[-1]
    lines = digest.splitlines()
    assert lines[1] == ("Opened: **3** · Resolved: **3** (1 done, 1 declined, 1 duplicate)")
    # Time to resolution is the wait for a final answer, whatever it was: 1d, 1d and 3d.
    assert (
        lines[2]
        == "**Backlog**: 0 open · 0 unclaimed · 0 overdue promise(s) · oldest waiting: none"
    )
    assert lines[3].endswith("to resolution: **1d**")
    done = lines[lines.index("**You asked, we did**") + 1 :]
    assert done == ["• #1 Dark mode: Shipped in 2.4"]


async def test_a_week_without_anything_done_says_so_in_you_asked_we_did(desk: Desk) -> None:
    await desk.open("Cy", "Ads in the app")
    await desk.open("Ben", "Night theme")
    await desk.open("Dee", "Dark theme")
    await desk.run("Amy", f"/ticket resolve #1 {SPAM_REASON} outcome:declined")
    await desk.run("Amy", "/ticket resolve #2 Same as #3 outcome:duplicate")
    preview = (await desk.run("Amy", "/ticket digest")).splitlines()
    assert preview[1] == "Opened: **3** · Resolved: **2** (1 declined, 1 duplicate)"
    assert preview[-2:] == ["**You asked, we did**", "• none"]


async def test_the_export_carries_the_outcome(desk: Desk) -> None:
    await desk.open("Ben", "Dark mode")
    await desk.open("Cy", "Ads in the app")
    await desk.open("Dee", "Night theme")
    await desk.run("Amy", "/ticket resolve #1 Shipped in 2.4")
    await desk.run("Amy", f"/ticket resolve #2 {SPAM_REASON} outcome:declined")
    rows = json.loads(await export(desk, "json"))
    assert [(row["status"], row["outcome"]) for row in rows] == [
        ("resolved", "done"),
        ("resolved", "declined"),
        ("open", None),
    ]
    # Appended after the first columns, so imports by column position still work.
    assert list(rows[0])[-3:] == ["outcome", "private", "language"]


async def test_migration_6_marks_tickets_resolved_before_it_as_done(
    empty_database_target: str | Path,
) -> None:
    """A database that already applied 0004 and 0005 gets the outcome column without
    losing anything; what was resolved before reads as done everywhere."""
    db = await Database.open(empty_database_target, migrate=False)
    await apply_migrations_before(db, 6)
    async with db.transaction() as tx:
        for number, status in ((1, "resolved"), (2, "open")):
            await tx.execute(
                "INSERT INTO tickets (community, number, title, status, active, opener_id,"
                " opener_name, opened_at, updated_at, resolution) VALUES ('local:demo', ?,"
                " 'Old', ?, ?, 'ben', 'Ben', ?, ?, ?)",
                (number, status, int(status == "open"), THEN, THEN, "Done" if number == 1 else ""),
            )
            await tx.execute(
                "INSERT INTO ticket_history (community, number, at, actor_id, action,"
                " from_status, to_status) VALUES ('local:demo', ?, ?, 'amy', ?, 'open', ?)",
                (
                    number,
                    THEN,
                    "resolved" if number == 1 else "claimed",
                    status if number == 1 else "claimed",
                ),
            )
    assert (await db.migrate())[0] == "0006_ticket_outcome"  # later migrations follow it

    tickets = TicketRepository(db)
    old, still_open = await tickets.get("local:demo", 1), await tickets.get("local:demo", 2)
    assert old is not None and still_open is not None
    assert (old.outcome, still_open.outcome) == (Outcome.DONE, None)
    assert [e.outcome for e in await tickets.history("local:demo", 1)] == [Outcome.DONE]
    assert [e.outcome for e in await tickets.history("local:demo", 2)] == [None]
    await db.close()
