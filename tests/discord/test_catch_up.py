"""Reactions made while the gateway was down are acted on once the session resumes, once.

The gateway connection is cut the way a network drop cuts it (simcord stops delivering
events to the closed socket); members keep reacting on Discord; then the session resumes
(RESUMED, discord.py's ``on_resumed``) and the bot reads what it missed over REST.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import discord
import pytest
import simcord.backend.errors

CONFIG = """
[[moderation.rules]]
name = "scam"
type = "keywords"
keywords = ["cheap pills"]

[tickets]
cooldown = "off"
"""


@pytest.fixture
async def world(make_world: Any, write_config: Callable[[str], Path]) -> Any:
    write_config(CONFIG)
    async with make_world() as opened:
        yield opened


async def disconnect(world: Any) -> None:
    await world.adapter.client.ws.close()


async def resume(world: Any) -> None:
    world.adapter.client.ws.open = True
    world.env.backend.emit("RESUMED", {})  # what the gateway sends on a resumed session
    await world.env.settle()


def exists(world: Any, message: discord.Message) -> bool:
    try:
        world.env.backend.get_message(message.channel.id, message.id)
    except simcord.backend.errors.BackendError:
        return False
    return True


async def test_a_decision_made_while_the_gateway_was_down_is_carried_out_once(
    world: Any,
) -> None:
    spam = await world.people["Ben"].send(world.channels["general"], "buy cheap pills now")
    (flag,) = world.channels["moderators"].history()
    await disconnect(world)
    await world.people["Mo"].react(flag, "🗑️")
    await world.people["Ben"].react(flag, "✅")  # no moderator
    assert exists(world, spam), "nothing was heard while the gateway was down"

    await resume(world)
    assert not exists(world, spam)
    flag = world.channels["moderators"].history()[0]
    assert "Message deleted" in world.text_of(flag)
    stored = world.env.backend.get_message(flag.channel.id, flag.id)
    assert world.people["Ben"].id not in stored.reaction_for("✅").user_ids  # taken off, as live

    said = len(world.channels["moderators"].history())
    requests = len(world.env.http_requests)
    await resume(world)  # a second resume acts on nothing
    assert len(world.channels["moderators"].history()) == said
    written = [r for r in world.env.http_requests[requests:] if r.method != "GET"]
    assert written == []


async def test_votes_made_while_the_gateway_was_down_count_once(world: Any) -> None:
    await world.people["Ben"].slash(
        world.channels["general"], "ticket open", title="Dark mode", details="Too bright"
    )
    tracker = world.channels["tickets"].history()[0]
    await world.people["Amy"].react(tracker, "👍")  # heard live
    await disconnect(world)
    await world.people["Mo"].react(tracker, "👍")
    await resume(world)
    await resume(world)
    tracker = world.channels["tickets"].history()[0]
    assert "👍 2" in world.text_of(tracker)


async def test_an_appeal_decided_while_the_gateway_was_down_is_carried_out_once(
    world: Any,
) -> None:
    mods, ben = world.channels["moderators"], world.people["Ben"]
    world.join("Max", "Moderators")
    await world.env.settle()
    await world.people["Mo"].slash(mods, "warn", member=ben, reason="rude to newcomers")
    await ben.slash(world.channels["general"], "appeal", number=1, text="I was quoting")
    await world.env.settle()
    (appeal,) = appeal_posts(world)
    await disconnect(world)
    await world.people["Max"].react(appeal, "↩️")

    await resume(world)
    (appeal,) = appeal_posts(world)
    assert "Lifted**, by Max" in world.text_of(appeal)
    told = [m for m in ben.user.dm_channel.history() if "was accepted" in world.text_of(m)]
    assert len(told) == 1
    requests = len(world.env.http_requests)
    await resume(world)  # a second resume acts on nothing
    written = [r for r in world.env.http_requests[requests:] if r.method != "GET"]
    assert written == []


def appeal_posts(world: Any) -> list[discord.Message]:
    return [m for m in world.channels["moderators"].history() if "Appeal #1" in world.text_of(m)]
