"""The shipped features end to end on Discord: welcome, moderation flags and tickets.

Every cog runs unchanged; the server, its members and their clicks are simulated by
simcord, and everything in between is the real discord.py client and this adapter.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import discord
import pytest

CONFIG = """
[[moderation.rules]]
name = "scam"
type = "keywords"
keywords = ["cheap pills"]

[tickets]
categories = ["app", "billing"]
cooldown = "off"
"""
# The moderation cog's default reactions, mildest first.
FLAG_REACTIONS = ["✅", "🗑️", "⚠️", "🔇", "👢", "🔨"]


@pytest.fixture
async def world(make_world: Any, write_config: Callable[[str], Path]) -> Any:
    write_config(CONFIG)
    async with make_world() as opened:  # every shipped cog
        yield opened


async def flagged(world: Any) -> tuple[discord.Message, discord.Message]:
    """Ben breaks the rule; returns his message and the flag in #moderators."""
    spam = await world.people["Ben"].send(world.channels["general"], "buy cheap pills now")
    flags = world.channels["moderators"].history()
    assert len(flags) == 1, "the breach should raise exactly one flag"
    return spam, flags[0]


def reactors(world: Any, message: discord.Message, emoji: str) -> list[int]:
    stored = world.env.backend.get_message(message.channel.id, message.id)
    reaction = stored.reaction_for(emoji)
    return [] if reaction is None else list(reaction.user_ids)


async def test_a_newcomer_is_welcomed_and_pinged(world: Any) -> None:
    zoe = world.join("Zoe")
    await world.env.settle()
    (welcome,) = world.channels["welcome"].history()
    assert zoe.mention in welcome.content and "Botschafter Test" in welcome.content
    stored = world.env.backend.get_message(welcome.channel.id, welcome.id)
    assert stored.ping_user_ids == [zoe.id]


async def test_ordinary_messages_cost_no_request_to_discord(world: Any) -> None:
    await world.people["Ben"].send(world.channels["general"], "warm-up")  # first-use caches
    before = len(world.env.http_requests)
    for text in ("hello everyone", "how is the new release?", "see you tomorrow"):
        await world.people["Ben"].send(world.channels["general"], text)
    assert world.env.http_requests[before:] == []


async def test_a_breach_becomes_a_flag_with_the_moderators_reactions(world: Any) -> None:
    _, flag = await flagged(world)
    assert "cheap pills" in world.text_of(flag)
    bot_id = world.guild.me.id
    for emoji in FLAG_REACTIONS:
        assert reactors(world, flag, emoji) == [bot_id], emoji


async def test_a_moderators_trash_deletes_and_a_members_reaction_is_removed(world: Any) -> None:
    spam, flag = await flagged(world)
    await world.people["Ben"].react(flag, "🗑️")
    assert world.people["Ben"].id not in reactors(world, flag, "🗑️"), "only moderators decide"
    assert spam.id in [m.id for m in world.channels["general"].history()]
    await world.people["Mo"].react(flag, "🗑️")
    assert spam.id not in [m.id for m in world.channels["general"].history()]


async def test_a_warning_reaches_the_author_by_direct_message(world: Any) -> None:
    _, flag = await flagged(world)
    await world.people["Mo"].react(flag, "⚠️")
    (warning,) = world.people["Ben"].user.dm_channel.history()
    text = world.text_of(warning)
    assert "warned you" in text and "“buy cheap pills now”" in text


async def test_a_ban_discord_forbids_is_explained_on_the_flag(world: Any) -> None:
    _, flag = await flagged(world)
    world.env.inject_error("PUT", "/guilds/*/bans/*", status=403, code=50013, message="Missing")
    await world.people["Mo"].react(flag, "🔨")
    await world.people["Alice"].react(flag, "🔨")  # a ban needs two moderators
    assert world.guild.get_ban(world.people["Ben"]) is None
    shown = world.text_of(world.channels["moderators"].history()[0])
    assert "could not be carried out: the bot lacks the permission" in shown
    assert "Open. React to decide" in shown, "the flag is open again for another decision"


async def test_a_ticket_is_opened_claimed_and_resolved_in_its_thread(world: Any) -> None:
    tickets = world.channels["tickets"]
    opened = await world.people["Ben"].slash(
        world.channels["general"], "ticket open", title="Dark mode", details="Too bright"
    )
    assert opened.ephemeral and "#1" in world.text_of(opened.response)
    tracker, *_ = tickets.history()
    assert "Dark mode" in world.text_of(tracker)
    (thread,) = tickets.threads
    assert "#1" in thread.name and "Dark mode" in thread.name
    claimed = await world.people["Amy"].slash(
        world.channels["ambassadors"], "ticket claim", ticket=1
    )
    assert "You now own ticket #1" in world.text_of(claimed.response)
    assert any("looking after ticket #1" in world.text_of(m) for m in thread.history())
    denied = await world.people["Ben"].slash(thread, "ticket resolve", resolution="done")
    assert "only members with the ambassador role" in world.text_of(denied.response)
    resolved = await world.people["Amy"].slash(
        thread, "ticket resolve", resolution="Shipped in 2.0"
    )
    assert resolved.ephemeral
    assert any("Shipped in 2.0" in world.text_of(m) for m in thread.history())
    metadata = world.env.backend.get_channel(thread.id).thread_metadata
    assert metadata.archived and metadata.locked
    tracker = tickets.history()[0]
    assert "resolved" in world.text_of(tracker).lower(), "the tracker shows it"
    assert tracker.content == "", "edits of the tracker card never add a ping line"


async def test_a_ticket_opened_without_a_title_asks_with_a_form(world: Any) -> None:
    ben = world.people["Ben"]
    shown = await ben.slash(world.channels["general"], "ticket open")
    assert shown.modal is not None
    submitted = await ben.submit_modal(
        shown, {"title": "Export to CSV", "details": "For my accountant", "category": "billing"}
    )
    assert submitted.ephemeral and "#1" in world.text_of(submitted.response)
    assert "Export to CSV" in world.text_of(world.channels["tickets"].history()[0])
