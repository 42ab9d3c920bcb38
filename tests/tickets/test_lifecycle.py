"""The whole ticket lifecycle as members and ambassadors see it."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from storage.tickets import Actor, NewTicket, Status
from tests.tickets.desk import Desk


async def thread_id(desk: Desk, number: int) -> str:
    ticket = await desk.ticket(number)
    assert ticket.thread_id is not None
    return ticket.thread_id


async def test_opening_stores_the_ticket_posts_a_tracker_and_thread_and_confirms(
    desk: Desk,
) -> None:
    reply = await desk.run(
        "Ben", '/ticket open "Dark mode" details:"Too bright at night" category:App'
    )
    ticket = await desk.ticket(1)
    assert (ticket.title, ticket.details, ticket.category) == (
        "Dark mode",
        "Too bright at night",
        "app",
    )
    assert ticket.status is Status.OPEN and ticket.opener_id == "ben"
    tracker = await desk.tracker(1)
    assert tracker.channel_id == "tickets"
    for shown in (
        "**Ticket #1:** Dark mode",
        "Status: 🟢 open",
        "Category: app",
        "Opened by: @Ben",
        "Owner: —",
        "Age: 0m (opened 2026-01-05 09:00 UTC)",
        "Votes: 👍 0",
        "Last public update: none yet",
        "Next update promised by: no date promised",
    ):
        assert shown in tracker.text
    assert tracker.pinged == ()
    assert await desk.thread_name(1) == "Ticket #1: Dark mode"
    opening = (await desk.thread(1))[0]
    assert "@Ben opened ticket #1" in opening.text and "Too bright at night" in opening.text
    assert ticket.tracker_url == f"local:/tickets/{tracker.number}"
    assert "**#1**" in reply and ticket.tracker_url in reply


async def test_without_a_title_a_form_opens_and_its_submission_opens_the_ticket(
    desk: Desk,
) -> None:
    await desk.run("Ben", "/ticket open")
    form = desk.c.open_forms[desk.c.member("Ben").id]
    assert [f.field_id for f in form.fields] == ["title", "details", "category"]
    await desk.c.submit(
        desk.c.member("Ben"),
        {"title": "Export to CSV", "details": "For my accountant", "category": "billing"},
    )
    ticket = await desk.ticket(1)
    assert (ticket.title, ticket.category) == ("Export to CSV", "billing")
    assert "Thanks! Your ticket **#1** is open" in desk.c.last_private(desk.c.member("Ben"))


async def test_claim_update_escalate_resolve_reopen_and_withdraw(desk: Desk) -> None:
    await desk.open("Ben", "Dark mode")
    await desk.run("Cy", "/ticket vote #1")
    await desk.run("Dee", "/ticket vote #1 notify:no")

    await desk.advance(timedelta(hours=1))
    assert "You now own ticket #1" in await desk.run("Amy", "/ticket claim #1")
    assert "@Amy is now looking after ticket #1." in (await desk.thread(1))[-1].text
    tracker = (await desk.tracker(1)).text
    assert "Status: 🔵 claimed" in tracker and "Owner: @Amy" in tracker

    await desk.run("Amy", "/ticket update #1 Talked to the app team next:3d")
    update = (await desk.thread(1))[-1].text
    assert "**Update on #1 from @Amy:**\nTalked to the app team" in update
    assert "Next update promised by **2026-01-08 10:00 UTC**." in update
    tracker = (await desk.tracker(1)).text
    assert "Next update promised by: 2026-01-08 10:00 UTC" in tracker
    assert "Last public update: 2026-01-05 10:00 UTC: Talked to the app team" in tracker

    reply = await desk.run("Amy", "/ticket escalate #1 Asked product for a date")
    assert "waiting on the company now" in reply
    assert "Status: 🟠 waiting on company" in (await desk.tracker(1)).text
    company = desk.channel("company")[-1]
    assert "**Ticket #1:** Dark mode (escalated by @Amy)" in company
    assert "Votes: 👍 2" in company and "Asked product for a date" in company

    thread = await thread_id(desk, 1)
    reply = await desk.run("Amy", "/ticket resolve Shipped in 2.4", channel=thread)
    assert "Ticket #1 is resolved" in reply
    ticket = await desk.ticket(1)
    assert ticket.status is Status.RESOLVED and ticket.resolution == "Shipped in 2.4"
    tracker = (await desk.tracker(1)).text
    assert "Status: ✅ resolved" in tracker and "Resolution: Shipped in 2.4" in tracker
    assert "Next update promised by" not in tracker
    assert desk.c.channels[thread].archived and desk.c.channels[thread].locked
    assert "✅ **Ticket #1 resolved by @Amy:**\nShipped in 2.4" in (await desk.thread(1))[-1].text
    assert any("Ticket #1 “Dark mode” is resolved: Shipped in 2.4" in m for m in desk.dms("Ben"))
    assert any("is resolved: Shipped in 2.4" in m for m in desk.dms("Cy"))
    assert desk.dms("Dee") == []

    assert "open again" in await desk.run("Ben", "/ticket reopen #1 Still broken on Android")
    ticket = await desk.ticket(1)
    assert ticket.status is Status.CLAIMED and ticket.resolution == ""
    assert "Ticket #1 was reopened by @Ben." in (await desk.thread(1))[-1].text

    assert "You withdrew ticket #1" in await desk.run("Ben", "/ticket withdraw #1 Found a fix")
    assert (await desk.ticket(1)).status is Status.WITHDRAWN
    assert "Status: ⚪ withdrawn" in (await desk.tracker(1)).text

    entries = await desk.repo.history(desk.c.community.key, 1)
    transitions = [(e.action, e.actor_id, e.from_status, e.to_status, e.note) for e in entries]
    assert transitions == [
        ("opened", "ben", None, Status.OPEN, ""),
        ("vote", "cy", None, None, ""),
        ("vote", "dee", None, None, ""),
        ("claimed", "amy", Status.OPEN, Status.CLAIMED, ""),
        ("updated", "amy", Status.CLAIMED, Status.CLAIMED, "Talked to the app team"),
        ("escalated", "amy", Status.CLAIMED, Status.WAITING, "Asked product for a date"),
        ("resolved", "amy", Status.WAITING, Status.RESOLVED, "Shipped in 2.4"),
        ("reopened", "ben", Status.RESOLVED, Status.CLAIMED, "Still broken on Android"),
        ("withdrawn", "ben", Status.CLAIMED, Status.WITHDRAWN, "Found a fix"),
    ]
    assert entries[3].at == entries[0].at + timedelta(hours=1)


async def test_voters_with_closed_direct_messages_are_mentioned_in_the_thread(
    desk: Desk,
) -> None:
    await desk.open("Ben")
    await desk.run("Cy", "/ticket vote #1")
    desk.c.dms_closed.update({"ben", "cy"})
    await desk.run("Amy", "/ticket resolve #1 Done in 2.4")
    notice = (await desk.thread(1))[-1]
    assert notice.text.startswith("@Ben, @Cy: ✅ Ticket #1 “Dark mode” is resolved: Done in 2.4")
    assert set(notice.pinged) == {"ben", "cy"}


async def test_withdrawing_tells_the_owner_and_the_voters_privately_in_their_language(
    desk: Desk,
) -> None:
    desk.c.add_member("Kai", roles=("Ambassadors",), locale="de")
    await desk.open("Ben", "Dark mode")
    await desk.run("Cy", "/ticket vote #1")
    await desk.run("Dee", "/ticket vote #1")
    await desk.run("Mo", "/ticket vote #1 notify:no")
    await desk.run("Kai", "/ticket claim #1")
    link = (await desk.ticket(1)).tracker_url

    await desk.run("Ben", "/ticket withdraw #1 Found a setting for it")

    assert desk.dms("Kai") == [
        f"⚪ Ben hat das eigene Ticket #1 „Dark mode“ zurückgezogen: Found a setting for it {link}"
    ]
    assert desk.dms("Cy") == [
        f"⚪ Ben withdrew their ticket #1 “Dark mode”: Found a setting for it {link}"
    ]
    assert desk.dms("Dee") == desk.dms("Kai")
    assert desk.dms("Mo") == [] and desk.dms("Ben") == []


async def test_withdrawing_mentions_those_with_closed_dms_in_the_thread(desk: Desk) -> None:
    await desk.open("Ben", "Dark mode")
    await desk.run("Cy", "/ticket vote #1")
    await desk.run("Amy", "/ticket claim #1")
    desk.c.dms_closed.update({"amy", "cy"})
    await desk.run("Ben", "/ticket withdraw #1")
    notice = (await desk.thread(1))[-1]
    assert notice.text.startswith("@Amy, @Cy: ⚪ Ben withdrew their ticket #1 “Dark mode”.")
    assert set(notice.pinged) == {"amy", "cy"}
    assert desk.c.channels[await thread_id(desk, 1)].archived


async def test_an_unclaimed_ticket_without_voters_is_withdrawn_quietly(desk: Desk) -> None:
    await desk.open("Ben", "Dark mode")
    await desk.run("Ben", "/ticket withdraw #1")
    assert [m.text for m in await desk.thread(1)][-1] == "Ticket #1 was withdrawn by @Ben."
    assert desk.dms("Ben") == []


async def test_a_voter_who_unwatches_is_not_told(desk: Desk) -> None:
    await desk.open("Ben")
    await desk.run("Cy", "/ticket vote #1")
    assert "will not hear about ticket #1" in await desk.run("Cy", "/ticket unwatch #1")
    await desk.run("Amy", "/ticket resolve #1 Done")
    assert desk.dms("Cy") == []
    assert (await desk.ticket(1)).vote_count == 1


async def test_a_checkmark_by_an_ambassador_asks_for_the_resolution(desk: Desk) -> None:
    await desk.open("Ben")
    tracker = await desk.tracker(1)
    await desk.c.react(desk.c.member("Amy"), tracker.number, "✅")
    prompt = desk.c.direct_messages(desk.c.member("Amy"))[-1]
    assert "You marked ticket #1 “Dark mode” as done" in prompt.text
    await desk.c.press(desk.c.member("Amy"), prompt.number, "Write resolution")
    assert desk.c.open_forms["amy"].title == "Resolve ticket #1"
    await desk.c.submit(desk.c.member("Amy"), {"resolution": "Shipped in 2.4"})
    ticket = await desk.ticket(1)
    assert ticket.status is Status.RESOLVED and ticket.resolution == "Shipped in 2.4"
    assert ticket.resolved_by == "amy"


async def test_the_checkmark_prompt_goes_to_the_thread_when_dms_are_closed(desk: Desk) -> None:
    await desk.open("Ben")
    desk.c.dms_closed.add("amy")
    await desk.c.react(desk.c.member("Amy"), (await desk.tracker(1)).number, "✅")
    prompt = (await desk.thread(1))[-1]
    assert prompt.text.startswith("@Amy: You marked ticket #1")
    await desk.c.press(desk.c.member("Amy"), prompt.number, "Write resolution")
    await desk.c.submit(desk.c.member("Amy"), {"resolution": "Fixed"})
    assert (await desk.ticket(1)).status is Status.RESOLVED


async def test_members_may_have_a_limited_number_of_open_tickets(desk: Desk) -> None:
    for title in ("One", "Two", "Three"):
        await desk.open("Ben", title)
    reply = await desk.run("Ben", "/ticket open Four")
    assert "You already have 3 open ticket(s)" in reply
    assert (await desk.latest()) == await desk.ticket(3)
    await desk.run("Ben", "/ticket withdraw #1")
    await desk.open("Ben", "Four")
    for title in ("A", "B", "C", "D"):
        await desk.open("Amy", title)  # ambassadors open on behalf of others: no limit


async def test_an_opener_cannot_reopen_past_the_open_ticket_limit(desk: Desk) -> None:
    await desk.open("Ben", "One")
    await desk.run("Amy", "/ticket resolve #1 Done")
    for title in ("Two", "Three", "Four"):
        await desk.open("Ben", title)
    history_before = await desk.history(1)

    reply = await desk.run("Ben", "/ticket reopen #1 Still broken")

    assert reply == (
        "You already have 3 open ticket(s), so ticket #1 cannot be reopened now. Withdraw one"
        " with /ticket withdraw #N first, or ask an ambassador to reopen it."
    )
    assert (await desk.ticket(1)).status is Status.RESOLVED
    assert await desk.history(1) == history_before
    assert "Status: ✅ resolved" in (await desk.tracker(1)).text
    await desk.run("Ben", "/ticket withdraw #4")
    assert "open again" in await desk.run("Ben", "/ticket reopen #1 Still broken")


async def test_an_ambassador_may_reopen_whatever_the_openers_count(desk: Desk) -> None:
    await desk.open("Ben", "One")
    await desk.run("Amy", "/ticket resolve #1 Done")
    for title in ("Two", "Three", "Four"):
        await desk.open("Ben", title)
    assert "open again" in await desk.run("Bo", "/ticket reopen #1 Not done after all")
    assert (await desk.ticket(1)).status is Status.CLAIMED
    for title in ("A", "B", "C"):
        await desk.open("Amy", title)
    await desk.run("Amy", "/ticket withdraw #5")
    assert "open again" in await desk.run("Amy", "/ticket reopen #5")  # their own, unlimited


async def test_a_member_who_is_not_the_opener_is_told_so_before_any_limit(desk: Desk) -> None:
    await desk.open("Ben", "One")
    await desk.run("Amy", "/ticket resolve #1 Done")
    for title in ("Two", "Three", "Four"):
        await desk.open("Ben", title)
    reply = await desk.run("Cy", "/ticket reopen #1")
    assert reply.startswith("Only the member who opened ticket #1, or an ambassador")


async def test_a_cooldown_spaces_out_a_members_tickets(desk: Desk) -> None:
    await desk.run("Alice", "/config set tickets.cooldown 10m")
    await desk.open("Ben", "One")
    reply = await desk.run("Ben", "/ticket open Two")
    assert "Please wait another 10m before opening the next one." in reply
    await desk.advance(timedelta(minutes=4))
    assert "Please wait another 6m" in await desk.run("Ben", "/ticket open Two")
    await desk.advance(timedelta(minutes=6, seconds=1))
    await desk.open("Ben", "Two")
    assert (await desk.latest()) == await desk.ticket(2)


async def test_bad_input_is_refused_politely_and_changes_nothing(desk: Desk) -> None:
    long_title = "x" * 91
    assert "keep it to 90" in await desk.run("Ben", f"/ticket open {long_title}")
    assert "“food” is not a category here. Choose one of: app, billing." in await desk.run(
        "Ben", "/ticket open Pizza category:food"
    )
    assert await desk.latest() is None
    await desk.open("Ben")
    tracker_before = (await desk.tracker(1)).text
    history_before = await desk.history(1)
    assert "Please write a note" in await desk.run("Amy", "/ticket update #1")
    assert "Which ticket?" in await desk.run("Amy", "/ticket resolve Fixed it")
    assert "There is no ticket #7 here" in await desk.run("Amy", "/ticket claim #7")
    assert "“soon” is not a duration" in await desk.run("Amy", "/ticket update #1 Hi next:soon")
    assert "Write it like /ticket merge #12 into #7" in await desk.run(
        "Amy", "/ticket merge #1 onto 2"
    )
    assert "cannot be merged into itself" in await desk.run("Amy", "/ticket merge #1 into #1")
    assert (await desk.tracker(1)).text == tracker_before
    assert await desk.history(1) == history_before


async def test_closed_tickets_refuse_changes_until_reopened(desk: Desk) -> None:
    await desk.open("Ben")
    await desk.run("Amy", "/ticket resolve #1 Done")
    reply = await desk.run("Amy", "/ticket update #1 More news")
    assert "Ticket #1 is ✅ resolved. Reopen it first with /ticket reopen #1." in reply
    assert "open again" in await desk.run("Ben", "/ticket reopen #1")
    assert (await desk.ticket(1)).status is Status.CLAIMED
    reply = await desk.run("Ben", "/ticket reopen #1")
    assert "Ticket #1 is still 🔵 claimed, so there is nothing to reopen." in reply


async def test_numbers_count_per_community_and_are_never_reused(desk: Desk) -> None:
    for title in ("One", "Two", "Three"):
        await desk.open("Cy", title)
    await desk.run("Cy", "/ticket withdraw #2")
    await desk.run("Amy", "/ticket merge #3 into #1")
    assert (await desk.open("Ben", "Four")).number == 4
    elsewhere = NewTicket("Elsewhere", "", "", Actor("U1", "Una"), None)
    assert (await desk.repo.open("slack:T1", elsewhere, desk.clock.now())).number == 1
    assert (await desk.repo.open("slack:T1", elsewhere, desk.clock.now())).number == 2
    assert (await desk.open("Ben", "Five")).number == 5


async def test_reopening_unarchives_and_unlocks_the_thread_so_members_can_talk_again(
    desk: Desk,
) -> None:
    await desk.open("Ben")
    await desk.run("Amy", "/ticket resolve #1 Done")
    thread = desk.c.channels[await thread_id(desk, 1)]
    assert thread.archived and thread.locked
    await desk.run("Ben", "/ticket reopen #1 Still broken")
    assert not thread.archived and not thread.locked
    await desk.run("Ben", "/ticket withdraw #1")
    assert thread.archived and thread.locked


async def test_of_two_ambassadors_claiming_at_once_the_second_is_told_not_taken_over(
    desk: Desk,
) -> None:
    await desk.open("Ben")
    await asyncio.gather(desk.run("Amy", "/ticket claim #1"), desk.run("Bo", "/ticket claim #1"))
    ticket = await desk.ticket(1)
    assert ticket.owner_id == "amy"
    assert await desk.history(1) == ["opened", "claimed"]
    refusal = desk.c.last_private(desk.c.member("Bo"))
    assert refusal == (
        "Amy already looks after ticket #1. To take it over, run /ticket claim #1 takeover:yes."
    )
    assert [m.text for m in await desk.thread(1)][-1] == "@Amy is now looking after ticket #1."


async def test_an_ambassador_takes_a_claimed_ticket_over_only_when_asking_to(desk: Desk) -> None:
    await desk.open("Ben")
    await desk.run("Amy", "/ticket claim #1")
    assert "To take it over" in await desk.run("Bo", "/ticket claim #1")
    assert (await desk.ticket(1)).owner_id == "amy"
    assert "You now own ticket #1" in await desk.run("Bo", "/ticket claim #1 takeover:yes")
    assert (await desk.ticket(1)).owner_id == "bo"
    assert (await desk.thread(1))[-1].text == "@Bo took over ticket #1 from @Amy."
    assert await desk.history(1) == ["opened", "claimed", "claimed"]


async def test_two_checkmarks_at_once_resolve_once_and_tell_the_second_it_is_done(
    desk: Desk,
) -> None:
    await desk.open("Ben")
    tracker = await desk.tracker(1)
    for name in ("Amy", "Bo"):
        await desk.c.react(desk.c.member(name), tracker.number, "✅")
        prompt = desk.c.direct_messages(desk.c.member(name))[-1]
        await desk.c.press(desk.c.member(name), prompt.number, "Write resolution")
    await desk.c.submit(desk.c.member("Amy"), {"resolution": "Shipped in 2.4"})
    await desk.c.submit(desk.c.member("Bo"), {"resolution": "Fixed it"})
    assert desk.c.last_private(desk.c.member("Bo")) == "Ticket #1 is already ✅ resolved."
    ticket = await desk.ticket(1)
    assert (ticket.resolution, ticket.resolved_by) == ("Shipped in 2.4", "amy")
    assert await desk.history(1) == ["opened", "resolved"]
    assert len(desk.dms("Ben")) == 1


async def test_resolving_or_withdrawing_twice_says_it_is_already_so(desk: Desk) -> None:
    await desk.open("Ben")
    await desk.open("Ben", "Export")
    await desk.run("Amy", "/ticket resolve #1 Done")
    assert await desk.run("Amy", "/ticket resolve #1 Done") == "Ticket #1 is already ✅ resolved."
    await desk.run("Ben", "/ticket withdraw #2")
    assert await desk.run("Ben", "/ticket withdraw #2") == "Ticket #2 is already ⚪ withdrawn."
    reply = await desk.run("Dee", "/ticket withdraw #2")
    assert reply == "Ticket #2 ist schon ⚪ zurückgezogen."
    reply = await desk.run("Amy", "/ticket resolve #2 Done")
    assert reply == "Ticket #2 is ⚪ withdrawn. Reopen it first with /ticket reopen #2."
