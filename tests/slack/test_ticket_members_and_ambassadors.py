"""Issue 13 on Slack: a private ticket lives in the ambassadors' channel and its opener
follows it by DM; the opener edits an unclaimed ticket; assign takes ambassadors only."""

from __future__ import annotations

from slack_fake_api import shown
from slack_harness import SlackRig
from slack_harness_users import AMBASSADORS, AMY, BEN, GENERAL, MO, TICKETS


async def test_a_private_ticket_goes_to_the_ambassadors_and_its_opener_by_dm(
    rig: SlackRig,
) -> None:
    await rig.command(BEN, '/ticket open "Refund for my invoice" private:yes', channel=GENERAL)
    assert [m for m in rig.fake.posts_in(TICKETS)] == []  # never on the public tracker
    [tracker] = [m for m in rig.fake.posts_in(AMBASSADORS) if m.thread_ts is None]
    assert "Refund for my invoice" in shown(tracker.text)
    assert "private ticket" in rig.fake.private_to(BEN)[-1]

    await rig.command(MO, "/ticket show 1", channel=GENERAL)
    assert "There is no ticket #1 here" in rig.fake.private_to(MO)[-1]

    await rig.command(AMY, "/ticket update #1 Billing refunded the invoice", channel=GENERAL)
    in_thread = [m for m in rig.fake.posts_in(AMBASSADORS) if m.thread_ts == tracker.ts]
    assert any("Billing refunded the invoice" in shown(m.text) for m in in_thread)
    to_ben = rig.fake.posts_in("D" + BEN)
    assert any("Billing refunded the invoice" in shown(m.text) for m in to_ben)


async def test_the_opener_edits_and_only_ambassadors_are_assigned(rig: SlackRig) -> None:
    await rig.command(BEN, "/ticket open Printer is on fire", channel=GENERAL)
    [tracker] = [m for m in rig.fake.posts_in(TICKETS) if m.thread_ts is None]
    await rig.command(BEN, '/ticket edit 1 title:"Printer on floor 2 is on fire"')
    assert "Printer on floor 2 is on fire" in shown(rig.fake.message(TICKETS, tracker.ts).text)
    assert rig.fake.called("chat.update")  # the tracker is edited in place

    await rig.command(MO, "/ticket assign 1 <@U0AMY>")
    assert "ambassador" in rig.fake.private_to(MO)[-1].casefold()
    await rig.command(AMY, "/ticket assign 1 <@U0BEN>")
    assert shown(rig.fake.private_to(AMY)[-1]) == (  # Amy reads German
        "Ben ist kein Botschafter; Tickets werden nur Botschaftern zugewiesen."
    )
    await rig.command(MO, '/ticket edit 1 title:"Mine"')
    assert "Printer on floor 2 is on fire" in shown(rig.fake.message(TICKETS, tracker.ts).text)


async def test_a_new_title_on_slack_leaves_the_unnamed_thread_as_it_is(rig: SlackRig) -> None:
    """Slack threads have no name: a new title edits the tracker, says so in the thread,
    and its rename is done at once with nothing to call."""
    await rig.command(BEN, "/ticket open Printer is on fire", channel=GENERAL)
    [tracker] = [m for m in rig.fake.posts_in(TICKETS) if m.thread_ts is None]
    calls = len(rig.fake.calls)
    await rig.command(BEN, '/ticket edit 1 title:"Printer on floor 2 is on fire"')
    assert "is changed" in shown(rig.fake.private_to(BEN)[-1])
    said = [m for m in rig.fake.posts_in(TICKETS) if m.thread_ts == tracker.ts]
    assert "edited ticket #1: title" in shown(said[-1].text)
    methods = {call.method for call in rig.fake.calls[calls:]}
    assert methods <= {"chat.postMessage", "chat.update", "chat.postEphemeral", "users.info"}
    rows = await rig.app.services.db.fetch_all(
        "SELECT status FROM outbox WHERE kind = ?", ("rename_thread",)
    )
    assert [row["status"] for row in rows] == ["delivered"]
