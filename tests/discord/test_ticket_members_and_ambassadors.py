"""Issue 13 on Discord: private tickets, votes and 👍 as one state, assign and edit."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bot.model import ChannelRef

CONFIG = """
[tickets]
categories = ["app", "billing"]
cooldown = "off"
"""


@pytest.fixture
async def world(make_world: Any, write_config: Callable[[str], Path]) -> Any:
    write_config(CONFIG)
    async with make_world() as opened:
        yield opened


def reactors(world: Any, message: Any, emoji: str) -> list[int]:
    stored = world.env.backend.get_message(message.channel.id, message.id)
    reaction = stored.reaction_for(emoji)
    return [] if reaction is None else list(reaction.user_ids)


async def test_a_private_ticket_lives_with_the_ambassadors_and_its_opener_hears_by_dm(
    world: Any,
) -> None:
    ben, mo, amy = world.people["Ben"], world.people["Mo"], world.people["Amy"]
    opened = await ben.slash(
        world.channels["general"], "ticket open", title="Refund for my invoice", private=True
    )
    assert "private ticket" in world.text_of(opened.response)
    assert world.channels["tickets"].history() == []
    tracker, *_ = world.channels["ambassadors"].history()
    assert "Refund for my invoice" in world.text_of(tracker)
    (thread,) = world.channels["ambassadors"].threads
    hidden = await mo.slash(world.channels["general"], "ticket show", ticket=1)
    assert "There is no ticket \\#1 here" in world.text_of(hidden.response)  # escaped #
    await amy.slash(thread, "ticket update", note="Billing refunded the invoice")
    assert any("Billing refunded the invoice" in world.text_of(m) for m in thread.history())
    dms = ben.user.dm_channel.history()
    assert any("Billing refunded the invoice" in world.text_of(m) for m in dms)


async def test_unvote_takes_the_thumbs_up_off_the_tracker(world: Any) -> None:
    ben, mo = world.people["Ben"], world.people["Mo"]
    await ben.slash(world.channels["general"], "ticket open", title="Dark mode")
    tracker, *_ = world.channels["tickets"].history()
    await mo.react(tracker, "👍")
    await world.env.settle()
    assert reactors(world, tracker, "👍") == [mo.id]
    answer = await mo.slash(world.channels["general"], "ticket unvote", ticket=1)
    await world.env.settle()
    assert "Vote taken back: ticket #1 has 0 vote(s)" in world.text_of(answer.response)
    assert reactors(world, tracker, "👍") == []
    assert "👍 0" in world.text_of(world.channels["tickets"].history()[0])


async def test_assign_and_edit_are_checked_on_the_server(world: Any) -> None:
    ben, mo, amy = world.people["Ben"], world.people["Mo"], world.people["Amy"]
    await ben.slash(world.channels["general"], "ticket open", title="Dark mode")
    denied = await mo.slash(world.channels["general"], "ticket assign", ticket=1, ambassador=amy)
    assert "only members with the ambassador role" in world.text_of(denied.response)
    refused = await amy.slash(world.channels["general"], "ticket assign", ticket=1, ambassador=ben)
    assert "Ben is not an ambassador" in world.text_of(refused.response)
    edited = await ben.slash(
        world.channels["general"], "ticket edit", ticket=1, title="Dark mode for the app"
    )
    assert "is changed" in world.text_of(edited.response)
    assert "Dark mode for the app" in world.text_of(world.channels["tickets"].history()[0])
    await amy.slash(world.channels["general"], "ticket assign", ticket=1, ambassador=amy)
    late = await ben.slash(world.channels["general"], "ticket edit", ticket=1, title="Mine")
    assert "only an ambassador may change it now" in world.text_of(late.response)


async def test_a_new_title_renames_the_tickets_thread_on_discord(world: Any) -> None:
    ben, general = world.people["Ben"], world.channels["general"]
    await ben.slash(general, "ticket open", title="Dark mode")
    await world.env.settle()
    (thread,) = world.channels["tickets"].threads
    assert world.env.backend.get_channel(thread.id).name == "Ticket #1: Dark mode"
    await ben.slash(general, "ticket edit", ticket=1, title="Dark mode for the app @everyone")
    await world.env.settle()
    renamed = world.env.backend.get_channel(thread.id).name
    assert renamed == "Ticket #1: Dark mode for the app @\u200beveryone"
    assert "edited ticket #1: title" in world.text_of(thread.history()[-1])
    requests = len(world.env.http_requests)
    await ben.slash(general, "ticket edit", ticket=1, details="Too bright at night")
    await world.env.settle()
    renames = [
        r
        for r in world.env.http_requests[requests:]
        if r.method == "PATCH" and r.path.endswith(f"/channels/{thread.id}")
    ]
    assert renames == []  # other edits leave the name


async def test_a_rename_that_comes_after_the_ticket_closed_leaves_the_thread_as_it_is(
    world: Any,
) -> None:
    """A rename waits in a lane of its own (Discord may hold a third one back ten minutes)
    and can come after the close archived and locked the thread: it is moot then, and
    neither a refusal for the archived thread nor a reopened one."""
    ben, amy, general = world.people["Ben"], world.people["Amy"], world.channels["general"]
    await ben.slash(general, "ticket open", title="Dark mode")
    await world.env.settle()
    (thread,) = world.channels["tickets"].threads
    await amy.slash(thread, "ticket resolve", resolution="Shipped in 2.0")
    await world.env.settle()
    late = ChannelRef(world.community, str(thread.id))
    await world.adapter.rename_thread(late, "Ticket #1: Dark mode for the app")
    await world.env.settle()
    stored = world.env.backend.get_channel(thread.id)
    assert stored.name == "Ticket #1: Dark mode"
    assert stored.thread_metadata.archived and stored.thread_metadata.locked
