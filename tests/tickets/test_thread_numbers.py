"""Which ticket a command in a ticket's thread acts on: never another one by accident."""

from __future__ import annotations

from storage.tickets import Status
from tests.tickets.desk import Desk


async def thread_of(desk: Desk, number: int) -> str:
    ticket = await desk.ticket(number)
    assert ticket.thread_id is not None
    return ticket.thread_id


async def test_a_note_starting_with_another_tickets_number_is_refused_in_a_thread(
    desk: Desk,
) -> None:
    await desk.open("Ben", "Login fails")
    await desk.open("Cy", "Password reset mail missing")
    thread = await thread_of(desk, 1)
    before = [(await desk.history(n), (await desk.tracker(n)).text) for n in (1, 2)]

    reply = await desk.run("Amy", "/ticket resolve #2 was the cause", channel=thread)

    assert reply == (
        "This is the thread of ticket #1, but your text starts with #2, so it is unclear which"
        " ticket you mean. To act on #2, run the command in the tickets channel or in #2's"
        " thread. To act on #1, start the text with a word, e.g. “Caused by #2”."
    )
    assert [(await desk.ticket(n)).status for n in (1, 2)] == [Status.OPEN, Status.OPEN]
    assert [(await desk.history(n), (await desk.tracker(n)).text) for n in (1, 2)] == before
    for command in ("update #2 Looking into it", "escalate #2 Please check", "withdraw #2"):
        assert "This is the thread of ticket #1" in await desk.run(
            "Ben" if command.startswith("withdraw") else "Amy", f"/ticket {command}", thread
        )
    assert (await desk.ticket(2)).status is Status.OPEN


async def test_in_a_thread_its_own_number_or_a_worded_note_acts_on_that_ticket(
    desk: Desk,
) -> None:
    await desk.open("Ben", "Login fails")
    await desk.open("Cy", "Password reset mail missing")
    thread = await thread_of(desk, 1)
    await desk.run("Amy", "/ticket update #1 Checking the logs", channel=thread)
    assert (await desk.ticket(1)).last_public_note == "Checking the logs"
    await desk.run("Amy", "/ticket resolve Caused by #2, fixed there", channel=thread)
    first, second = await desk.ticket(1), await desk.ticket(2)
    assert (first.status, first.resolution) == (Status.RESOLVED, "Caused by #2, fixed there")
    assert second.status is Status.OPEN
    await desk.run("Amy", "/ticket update ticket:2 Mail provider is slow", channel=thread)
    assert (await desk.ticket(2)).last_public_note == "Mail provider is slow"


async def test_in_the_channel_or_the_other_thread_the_number_still_counts(desk: Desk) -> None:
    await desk.open("Ben", "Login fails")
    await desk.open("Cy", "Password reset mail missing")
    await desk.run("Amy", "/ticket update #2 Mail provider is slow")
    assert (await desk.ticket(2)).last_public_note == "Mail provider is slow"
    await desk.run("Amy", "/ticket resolve #2 Switched provider", channel=await thread_of(desk, 2))
    assert (await desk.ticket(2)).status is Status.RESOLVED
    assert (await desk.ticket(1)).status is Status.OPEN


async def test_refused_in_german_for_a_german_member(desk: Desk) -> None:
    await desk.open("Ben", "Login fails")
    await desk.open("Cy", "Password reset mail missing")
    reply = await desk.run("Dee", "/ticket withdraw #2 doppelt", channel=await thread_of(desk, 1))
    assert reply.startswith("Das ist der Thread von Ticket #1, aber dein Text beginnt mit #2")
