"""Tickets on Slack, end to end: open by slash command, the tracker in #tickets with its
thread, ambassadors claim and report back in the thread, votes by 👍, retries counted once."""

from __future__ import annotations

from slack_fake_api import shown
from slack_harness import SlackRig
from slack_harness_users import AMY, BEN, GENERAL, MO, TICKETS

from storage.ticket_votes import TicketVoteRepository


async def opened(rig: SlackRig) -> str:
    """Ben opens ticket #1; returns the tracker message's ts."""
    await rig.command(BEN, "/ticket open Printer is on fire", channel=GENERAL)
    trackers = [m for m in rig.fake.posts_in(TICKETS) if m.thread_ts is None]
    assert len(trackers) == 1, [shown(m.text) for m in rig.fake.posts_in(TICKETS)]
    return trackers[0].ts


async def test_a_member_opens_a_ticket_and_it_is_tracked_in_public(rig: SlackRig) -> None:
    tracker = await opened(rig)
    stored = rig.fake.message(TICKETS, tracker)
    assert stored is not None and "Printer is on fire" in shown(stored.text)
    assert any("#1" in reply for reply in rig.fake.private_to(BEN))


async def test_ambassadors_claim_and_report_back_in_the_tickets_thread(rig: SlackRig) -> None:
    tracker = await opened(rig)
    await rig.command(BEN, "/ticket claim 1")
    assert "ambassador" in rig.fake.private_to(BEN)[-1].casefold()
    await rig.command(AMY, "/ticket claim 1")
    await rig.command(AMY, "/ticket update #1 Talked to the team, fix next week next:7d")
    in_thread = [m for m in rig.fake.posts_in(TICKETS) if m.thread_ts == tracker]
    assert any("Talked to the team" in shown(m.text) for m in in_thread)


async def test_a_vote_by_reaction_counts_once_however_often_slack_retries(
    rig: SlackRig,
) -> None:
    tracker = await opened(rig)
    await rig.react(MO, TICKETS, tracker, "+1", event_id="EvVote")
    await rig.react(MO, TICKETS, tracker, "+1", event_id="EvVote", retry=1)
    voters = await TicketVoteRepository(rig.app.services.db).voters(rig.adapter.community.key, 1)
    assert voters == [MO]


async def test_open_without_a_title_asks_with_a_modal(rig: SlackRig) -> None:
    await rig.command(BEN, "/ticket open", channel=GENERAL)
    [view] = rig.opened_views()
    fields = [block["block_id"] for block in view["blocks"]]
    assert "title" in fields
    await rig.submit(BEN, view, {"title": "Dark mode please", "details": ""})
    trackers = [m for m in rig.fake.posts_in(TICKETS) if m.thread_ts is None]
    assert len(trackers) == 1 and "Dark mode please" in shown(trackers[0].text)
