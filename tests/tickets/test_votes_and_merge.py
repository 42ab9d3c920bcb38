"""Votes by 👍 and by command, and merging duplicates with their votes and watchers."""

from __future__ import annotations

from storage.ticket_votes import TicketVoteRepository
from storage.tickets import Status
from tests.tickets.desk import Desk


def voters_repo(desk: Desk) -> TicketVoteRepository:
    return TicketVoteRepository(desk.session.app.services.db)


async def test_thumbs_up_on_the_tracker_votes_and_removing_it_takes_the_vote_back(
    desk: Desk,
) -> None:
    await desk.open("Ben")
    tracker = await desk.tracker(1)
    await desk.c.react(desk.c.member("Cy"), tracker.number, "👍")
    await desk.c.react(desk.c.member("Dee"), tracker.number, "👍🏽")
    await desk.c.react(desk.c.member("Amy"), tracker.number, "🎉")
    assert (await desk.ticket(1)).vote_count == 2
    assert "Votes: 👍 2" in (await desk.tracker(1)).text
    await desk.c.unreact(desk.c.member("Cy"), tracker.number, "👍")
    assert await voters_repo(desk).voters(desk.c.community.key, 1) == ["dee"]
    assert "Votes: 👍 1" in (await desk.tracker(1)).text
    assert "unvote" in await desk.history(1)


async def test_votes_by_command_count_once_and_can_be_taken_back(desk: Desk) -> None:
    await desk.open("Ben")
    assert "ticket #1 has 1 vote(s)" in await desk.run("Cy", "/ticket vote #1")
    assert "ticket #1 has 2 vote(s)" in await desk.run("Mo", "/ticket vote 1")
    assert "has 1 vote(s)" in await desk.run("Cy", "/ticket unvote #1")
    assert "You have not voted on ticket #1." in await desk.run("Cy", "/ticket unvote #1")
    assert (await desk.ticket(1)).vote_count == 1


async def test_voting_again_with_notify_changes_whether_the_voter_hears_of_it(
    desk: Desk,
) -> None:
    await desk.open("Ben")
    await desk.run("Cy", "/ticket vote #1")
    reply = await desk.run("Cy", "/ticket vote #1 notify:no")
    assert reply.startswith(
        "You already voted on ticket #1, and your vote still counts; you will no longer hear"
        " when it is resolved."
    )
    assert (await desk.ticket(1)).vote_count == 1
    assert await desk.history(1) == ["opened", "vote"]
    recipients = await voters_repo(desk).recipients(desk.c.community.key, 1)
    assert [w.member_id for w in recipients] == ["ben"]
    assert "You already voted on ticket #1." in await desk.run("Cy", "/ticket vote #1")

    await desk.run("Dee", "/ticket vote #1 notify:no")
    reply = await desk.run("Dee", "/ticket vote #1 notify:ja")
    assert reply.startswith("Du hast für Ticket #1 schon gestimmt; jetzt bekommst du privat")
    await desk.run("Amy", "/ticket resolve #1 Done in 2.4")
    assert desk.dms("Cy") == []
    assert [m for m in desk.dms("Dee") if "Done in 2.4" in m] != []


async def test_votes_are_refused_on_closed_tickets(desk: Desk) -> None:
    await desk.open("Ben")
    await desk.run("Amy", "/ticket resolve #1 Done")
    assert await desk.run("Cy", "/ticket vote #1") == (
        "Ticket #1 is ✅ resolved, so its votes no longer change. If it is not done for you,"
        " tell its opener or an ambassador: they can reopen it."
    )
    assert "seine Stimmen ändern sich nicht mehr" in await desk.run("Dee", "/ticket unvote #1")
    await desk.c.react(desk.c.member("Cy"), (await desk.tracker(1)).number, "👍")
    assert (await desk.ticket(1)).vote_count == 0


async def test_a_thumbs_up_on_a_closed_tracker_is_left_alone_as_applause(desk: Desk) -> None:
    await desk.open("Ben")
    await desk.run("Amy", "/ticket resolve #1 Shipped")
    tracker = await desk.tracker(1)
    await desk.c.react(desk.c.member("Cy"), tracker.number, "👍")
    assert "cy" in (await desk.tracker(1)).reactions["👍"]
    assert desk.dms("Cy") == []
    assert (await desk.ticket(1)).vote_count == 0


async def test_a_thumbs_up_on_a_merged_tracker_points_to_the_ticket_kept(desk: Desk) -> None:
    await desk.open("Ben")
    await desk.open("Cy", "Night theme")
    await desk.run("Amy", "/ticket merge #2 into #1")
    await desk.c.react(desk.c.member("Dee"), (await desk.tracker(2)).number, "👍")
    assert desk.dms("Dee") == ["Ticket #2 wurde in #1 zusammengeführt; bitte nutze #1."]
    assert "dee" not in (await desk.tracker(2)).reactions.get("👍", [])


async def test_voting_inside_the_thread_needs_no_number(desk: Desk) -> None:
    await desk.open("Ben")
    thread = (await desk.ticket(1)).thread_id
    assert thread is not None
    assert "has 1 vote(s)" in await desk.run("Cy", "/ticket vote", channel=thread)


async def test_merge_carries_votes_and_watchers_and_links_both_tickets(desk: Desk) -> None:
    await desk.open("Ben", "Dark mode")
    await desk.open("Cy", "Night theme please")
    await desk.run("Dee", "/ticket vote #2")
    await desk.run("Mo", "/ticket vote #2")
    await desk.run("Mo", "/ticket vote #1")
    await desk.run("Alice", "/ticket watch #2")

    reply = await desk.run("Amy", "/ticket merge #2 into #1")
    assert "Merged #2 into #1, which now has 3 vote(s)." in reply
    old, new = await desk.ticket(2), await desk.ticket(1)
    assert old.status is Status.MERGED and old.merged_into == 1 and not old.active
    assert new.vote_count == 3  # Mo once, Dee, and Cy who opened the duplicate
    assert sorted(await voters_repo(desk).voters(desk.c.community.key, 1)) == ["cy", "dee", "mo"]

    away = (await desk.thread(2))[-1].text
    assert "@Amy merged this ticket into #1" in away and new.tracker_url in away
    here = (await desk.thread(1))[-1].text
    assert "@Amy merged #2 “Night theme please” into this ticket" in here
    assert "now has 3 vote(s)" in here and old.tracker_url in here
    assert "Status: ↪️ merged into #1" in (await desk.tracker(2)).text
    assert "Votes: 👍 3" in (await desk.tracker(1)).text
    assert desk.c.channels[old.thread_id or ""].archived
    assert desk.dms("Cy") == [
        "↪️ Your ticket #2 “Night theme please” was merged into #1 “Dark mode”, which asks for"
        f" the same; the conversation goes on there. {new.tracker_url}"
    ]

    await desk.run("Amy", "/ticket resolve #1 Shipped in 2.4")
    for who in ("Ben", "Cy", "Mo", "Alice"):
        assert any("Ticket #1 “Dark mode” is resolved" in m for m in desk.dms(who)), who
    assert any("Ticket #1 „Dark mode“ ist gelöst: Shipped in 2.4" in m for m in desk.dms("Dee"))
    assert "merged into #1; please use #1" in await desk.run("Cy", "/ticket reopen #2")


async def test_merging_into_a_closed_ticket_is_refused(desk: Desk) -> None:
    await desk.open("Ben", "One")
    await desk.open("Cy", "Two")
    await desk.run("Amy", "/ticket resolve #1 Done")
    assert "Ticket #1 is ✅ resolved" in await desk.run("Amy", "/ticket merge #2 into #1")
    assert (await desk.ticket(2)).status is Status.OPEN
