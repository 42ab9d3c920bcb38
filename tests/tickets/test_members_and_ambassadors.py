"""Issue 13, ambassadors and members: edit, assign, private tickets, unvote and watching,
reopen after a ✅, and the lists of what one owns or opened."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from bot.errors import PlatformUnavailable
from storage.ticket_votes import TicketVoteRepository
from tests.tickets.desk import Desk


async def test_the_opener_edits_an_unclaimed_ticket_and_the_tracker_shows_it(desk: Desk) -> None:
    await desk.open("Ben", "Dark mode")
    tracker_before = (await desk.tracker(1)).number
    reply = await desk.run("Ben", '/ticket edit #1 title:"Dark mode for the app" category:app')
    assert reply.startswith("Ticket #1 is changed; its tracker shows the new text.")
    ticket = await desk.ticket(1)
    assert (ticket.title, ticket.category) == ("Dark mode for the app", "app")
    tracker = await desk.tracker(1)
    assert tracker.number == tracker_before and tracker.edited  # edited in place
    assert "Ticket #1:** Dark mode for the app" in tracker.text
    assert "Category" in tracker.text
    assert "✏️ @Ben edited ticket #1: title, category." in [m.text for m in await desk.thread(1)]
    entries = await desk.repo.history(desk.c.community.key, 1)
    assert entries[-1].action == "edited"
    assert entries[-1].note == "title: Dark mode for the app; category: app"
    assert "Ben edited it: title: Dark mode for the app" in await desk.run("Cy", "/ticket show #1")


async def test_a_new_title_renames_the_tickets_thread_and_other_edits_leave_it(
    desk: Desk,
) -> None:
    await desk.open("Ben", "Dark mode")
    assert await desk.thread_name(1) == "Ticket #1: Dark mode"
    await desk.run("Ben", '/ticket edit #1 details:"Also the web"')
    assert not any("renamed" in line for line in desk.c.transcript)
    await desk.run("Amy", '/ticket edit #1 title:"Dark mode for the app"')
    assert await desk.thread_name(1) == "Ticket #1: Dark mode for the app"
    thread = [m.text for m in await desk.thread(1)]
    assert thread[-1] == "✏️ @Amy edited ticket #1: title."  # said, then renamed


async def test_a_thread_renamed_after_a_pinging_title_pings_nobody(desk: Desk) -> None:
    await desk.open("Ben", "Dark mode")
    await desk.run("Ben", '/ticket edit #1 title:"@everyone look @here"')
    name = await desk.thread_name(1)
    assert name == "Ticket #1: @\u200beveryone look @\u200bhere"
    assert all(p not in ("everyone", "here") for m in desk.c.messages for p in m.pinged)


async def test_a_rename_the_platform_could_not_make_is_made_when_it_can(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    await desk.open("Ben", "Dark mode")
    platform = desk.session.app.services.platform(desk.c.community)
    real = platform.rename_thread

    async def down(*args: Any) -> None:
        raise PlatformUnavailable("Discord is down")

    monkeypatch.setattr(platform, "rename_thread", down)
    reply = await desk.run("Ben", '/ticket edit #1 title:"Dark mode for the app"')
    assert reply.startswith("Ticket #1 is changed")
    assert await desk.thread_name(1) == "Ticket #1: Dark mode"
    monkeypatch.setattr(platform, "rename_thread", real)
    await desk.advance(timedelta(minutes=10))
    assert await desk.thread_name(1) == "Ticket #1: Dark mode for the app"


async def test_a_title_edited_before_the_thread_could_open_names_the_thread_once_it_opens(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An outage while the ticket is opened: its thread waits in the outbox under the old
    title; the rename waits behind it, and the thread ends up with the new one."""
    platform = desk.session.app.services.platform(desk.c.community)
    real = platform.open_thread

    async def down(*args: Any) -> Any:
        raise PlatformUnavailable("Discord is down")

    monkeypatch.setattr(platform, "open_thread", down)
    await desk.open("Ben", "Dark mode")
    assert (await desk.ticket(1)).thread_id is not None  # the placeholder
    await desk.run("Ben", '/ticket edit #1 title:"Dark mode for the app"')
    monkeypatch.setattr(platform, "open_thread", real)
    await desk.advance(timedelta(minutes=10))
    assert await desk.thread_name(1) == "Ticket #1: Dark mode for the app"
    assert [m.text for m in await desk.thread(1)][-1] == "✏️ @Ben edited ticket #1: title."


async def test_only_the_opener_while_unclaimed_or_an_ambassador_may_edit(desk: Desk) -> None:
    await desk.open("Ben", "Dark mode")
    assert await desk.run("Cy", '/ticket edit #1 title:"Mine now"') == (
        "Only the member who opened ticket #1, or an ambassador, may edit it."
    )
    await desk.run("Amy", "/ticket claim #1")
    assert await desk.run("Ben", '/ticket edit #1 details:"Also the web"') == (
        "@Amy already works on ticket #1, so only an ambassador may change it now. Add what is"
        " new with a note to @Amy, or ask an ambassador."
    ).replace("@Amy", "Amy")
    assert "is changed" in await desk.run("Bo", '/ticket edit #1 details:"Also the web"')
    assert (await desk.ticket(1)).details == "Also the web"
    assert "nothing changed" in await desk.run("Bo", '/ticket edit #1 details:"Also the web"')
    assert "title:…, details:…" in await desk.run("Bo", "/ticket edit #1")
    assert "not a category here" in await desk.run("Bo", "/ticket edit #1 category:games")
    ticket = await desk.ticket(1)
    assert (ticket.title, ticket.category) == ("Dark mode", "")
    assert (await desk.history(1)).count("edited") == 1


async def test_assign_makes_an_ambassador_the_owner_and_tells_them(desk: Desk) -> None:
    await desk.open("Ben", "Dark mode")
    reply = await desk.run("Amy", "/ticket assign #1 @Bo")
    assert reply.startswith("Ticket #1 is now Bo's; they are being told.")
    ticket = await desk.ticket(1)
    assert (ticket.owner_id, ticket.status) == ("bo", "claimed")
    assert desk.dms("Bo")[-1].startswith("Amy assigned ticket #1 “Dark mode” to you.")
    assert "@Amy assigned ticket #1 to @Bo." in [m.text for m in await desk.thread(1)]
    assert "Owner\n@Bo" in (await desk.tracker(1)).text or "@Bo" in (await desk.tracker(1)).text
    assert "assigned" in await desk.history(1)


async def test_assign_is_for_ambassadors_and_only_to_ambassadors(desk: Desk) -> None:
    await desk.open("Ben", "Dark mode")
    refused = await desk.run("Cy", "/ticket assign #1 @Bo")
    assert "ambassador" in refused and "Bo's" not in refused
    assert await desk.run("Amy", "/ticket assign #1 @Cy") == (
        "Cy is not an ambassador; tickets are assigned to ambassadors only."
    )
    await desk.run("Amy", "/ticket assign #1 @Bo")
    assert await desk.run("Amy", "/ticket assign #1 @Bo") == "Bo already owns ticket #1."
    assert (await desk.ticket(1)).owner_id == "bo"
    assert desk.dms("Cy") == []


async def test_a_private_ticket_is_seen_only_by_its_opener_and_the_ambassadors(
    desk: Desk,
) -> None:
    reply = await desk.run("Ben", '/ticket open "Refund for my invoice" private:yes')
    assert reply.startswith("Thanks! Your private ticket **#1** is open.")
    ticket = await desk.ticket(1)
    assert ticket.private and not ticket.is_public
    assert desk.channel("tickets") == []  # never on the public tracker channel
    tracker = await desk.tracker(1)
    assert desk.c.channels[tracker.channel_id].name == "ambassadors"
    assert tracker.text.startswith("🔒 **Ticket #1:** Refund for my invoice")

    assert await desk.run("Cy", "/ticket show #1") == (
        "There is no ticket #1 here. /ticket list shows the open ones."
    )
    assert "There is no ticket #1" in await desk.run("Cy", "/ticket vote #1")
    assert "No tickets match." in await desk.run("Cy", "/ticket list")
    assert "🔒 **#1** Refund for my invoice" in await desk.run("Ben", "/ticket list")
    assert "🔒 **#1** Refund for my invoice" in await desk.run("Amy", "/ticket list")
    assert "takes no votes" in await desk.run("Amy", "/ticket vote #1")

    await desk.run("Amy", "/ticket update #1 Billing refunded the invoice today")
    thread = [m.text for m in await desk.thread(1)]
    assert any("Billing refunded the invoice today" in m for m in thread)
    assert any("Billing refunded the invoice today" in m for m in desk.dms("Ben"))
    await desk.run("Amy", "/ticket resolve #1 Refunded")
    assert [m for m in desk.dms("Ben") if "Refunded" in m] != []
    assert len([m for m in desk.dms("Ben") if "Refunded" in m]) == 1  # not told twice


async def test_private_tickets_are_counted_but_never_named_in_the_digest(desk: Desk) -> None:
    await desk.run("Ben", '/ticket open "Refund for my invoice" private:yes')
    await desk.open("Cy", "Dark mode")
    await desk.run("Ben", "/ticket vote #2")
    digest = await desk.run("Amy", "/ticket digest")
    assert "**Backlog**: 2 open (1 private) · 2 unclaimed · 0 overdue promise(s)" in digest
    assert "oldest waiting: a private ticket" in digest
    assert "Refund" not in digest


async def test_a_private_ticket_is_not_merged(desk: Desk) -> None:
    await desk.run("Ben", '/ticket open "Refund for my invoice" private:yes')
    await desk.open("Cy", "Refund")
    assert "is private, so it is not merged" in await desk.run("Amy", "/ticket merge #1 into #2")
    assert (await desk.ticket(1)).status == "open"


async def test_unvote_by_command_takes_the_thumbs_up_off_and_asks_about_watching(
    desk: Desk,
) -> None:
    await desk.open("Ben")
    tracker = await desk.tracker(1)
    await desk.c.react(desk.c.member("Cy"), tracker.number, "👍")
    assert (await desk.ticket(1)).vote_count == 1
    reply = await desk.run("Cy", "/ticket unvote #1")
    assert reply.startswith("Vote taken back: ticket #1 has 0 vote(s). You still hear when")
    assert (await desk.tracker(1)).reactions.get("👍", []) == []  # one state
    assert "Votes: 👍 0" in (await desk.tracker(1)).text
    question = desk.c.private_replies(desk.c.member("Cy"))[-1]
    await desk.c.press(desk.c.member("Cy"), question.number, "Stop watching")
    assert "will not hear about ticket #1" in desk.c.last_private(desk.c.member("Cy"))
    votes = TicketVoteRepository(desk.session.app.services.db)
    assert [w.member_id for w in await votes.recipients(desk.c.community.key, 1)] == ["ben"]


async def test_unvote_with_watch_no_stops_watching_at_once(desk: Desk) -> None:
    await desk.open("Ben")
    await desk.run("Cy", "/ticket vote #1")
    reply = await desk.run("Cy", "/ticket unvote #1 watch:no")
    assert reply.startswith("Vote taken back: ticket #1 has 0 vote(s). You will not hear")
    await desk.run("Dee", "/ticket vote #1")
    assert "nicht mehr verfolgen" not in await desk.run("Dee", "/ticket unvote #1 watch:yes")
    await desk.run("Amy", "/ticket resolve #1 Done")
    assert desk.dms("Cy") == []
    assert [m for m in desk.dms("Dee") if "Done" in m] != []


async def test_after_a_reopen_a_new_checkmark_asks_again_and_the_owner_hears(
    desk: Desk,
) -> None:
    await desk.open("Ben")
    await desk.run("Amy", "/ticket claim #1")
    tracker = await desk.tracker(1)
    await desk.c.react(desk.c.member("Amy"), tracker.number, "✅")
    prompts = [m for m in desk.dms("Amy") if "as done" in m]
    assert len(prompts) == 1
    await desk.run("Amy", "/ticket resolve #1 Shipped")
    await desk.run("Ben", "/ticket reopen #1 Still dark on Android")
    assert desk.dms("Amy")[-1].startswith(
        "↩️ The opener reopened your ticket #1 “Dark mode”: Still dark on Android"
    )
    assert (await desk.tracker(1)).reactions.get("✅", []) == []  # the stale ✅ is gone
    await desk.c.react(desk.c.member("Amy"), tracker.number, "✅")
    assert len([m for m in desk.dms("Amy") if "as done" in m]) == 2


async def test_an_ambassador_reopening_is_not_told_about_it(desk: Desk) -> None:
    await desk.open("Ben")
    await desk.run("Amy", "/ticket resolve #1 Shipped")
    before = len(desk.dms("Amy"))
    await desk.run("Amy", "/ticket reopen #1")
    assert len(desk.dms("Amy")) == before


async def test_mine_lists_what_an_ambassador_owns_and_opened_what_they_opened(
    desk: Desk,
) -> None:
    await desk.open("Ben", "Dark mode")
    await desk.open("Amy", "Ambassador wish")
    await desk.open("Cy", "Offline mode")
    await desk.run("Amy", "/ticket claim #1")
    await desk.run("Bo", "/ticket claim #3")
    mine = await desk.run("Amy", "/ticket list mine:yes")
    assert "**#1** Dark mode" in mine and "#2" not in mine and "#3" not in mine
    opened = await desk.run("Amy", "/ticket list opened:yes")
    assert "**#2** Ambassador wish" in opened and "#1" not in opened
    member = await desk.run("Ben", "/ticket list mine:yes")
    assert "**#1** Dark mode" in member and "#3" not in member
    assert "leave out owner:" in await desk.run("Amy", "/ticket list mine:yes owner:@Bo")


async def test_a_rename_the_platform_holds_back_does_not_hold_up_the_threads_posts(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Discord allows a thread two renames in ten minutes and makes a third wait (a 429
    for up to ten minutes): the thread's conversation goes on meanwhile, and the thread
    takes the newest title once it can."""
    await desk.open("Ben", "Dark mode")
    platform = desk.session.app.services.platform(desk.c.community)
    real = platform.rename_thread
    calls: list[str] = []

    async def rate_limited(thread: Any, name: str) -> None:
        calls.append(name)
        raise PlatformUnavailable("Discord asks to wait 582 s")

    monkeypatch.setattr(platform, "rename_thread", rate_limited)
    await desk.run("Ben", '/ticket edit #1 title:"Dark mode for the app"')
    await desk.run("Ben", '/ticket edit #1 title:"Dark mode in the app"')
    await desk.run("Amy", "/ticket assign #1 @Amy")
    assert [m.text for m in await desk.thread(1)][-1] == "@Amy assigned ticket #1 to @Amy."
    monkeypatch.setattr(platform, "rename_thread", real)
    await desk.advance(timedelta(minutes=10))
    assert await desk.thread_name(1) == "Ticket #1: Dark mode in the app"
    # The older rename, superseded while it waited, was not tried again.
    assert calls == ["Ticket #1: Dark mode for the app", "Ticket #1: Dark mode in the app"]
