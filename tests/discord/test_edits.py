"""Edits are edits: a pin, a thread, an embed or a link preview is a MESSAGE_UPDATE too.

Discord sends the whole message again for each of them; only a changed text or a new
``edited_timestamp`` reaches the cogs as `MessageEdited`, on cached and uncached messages.
"""

from __future__ import annotations

from typing import Any

import discord
import pytest
from simcord.backend import serializers

from bot.events import MessageEdited
from tests.discord.test_events import RecorderCog, heard

HOUR = 3600.0


@pytest.fixture
async def world(make_world: Any) -> Any:
    async with make_world(cog_types=[RecorderCog]) as opened:
        yield opened


async def send_update(world: Any, message: discord.Message, **changes: Any) -> None:
    """What Discord sends after a change to `message`: the whole message, changed."""
    backend = world.env.backend
    stored = backend.messages[message.channel.id][message.id]
    payload = dict(serializers.message_payload(backend, stored))
    payload.update(changes)
    backend.emit("MESSAGE_UPDATE", payload)
    await world.env.settle()


def thread_of(message: discord.Message, owner_id: int) -> dict[str, Any]:
    """The ``thread`` a MESSAGE_UPDATE carries when a thread is started from the message."""
    return {
        "id": str(message.id),  # a thread started from a message takes the message's id
        "type": 11,
        "guild_id": str(message.guild.id if message.guild else 0),
        "parent_id": str(message.channel.id),
        "owner_id": str(owner_id),
        "name": "about this",
        "message_count": 0,
        "member_count": 1,
        "thread_metadata": {
            "archived": False,
            "auto_archive_duration": 1440,
            "archive_timestamp": message.created_at.isoformat(),
            "locked": False,
        },
    }


def edits(world: Any) -> list[MessageEdited]:
    return heard(world, MessageEdited)


async def test_a_pin_of_a_cached_message_is_not_an_edit(world: Any) -> None:
    sent = await world.people["Ben"].send(world.channels["general"], "pin me")
    await world.people["Mo"].set_pinned(sent, True)
    await send_update(world, sent)  # Discord's MESSAGE_UPDATE for the pin: pinned is true
    assert edits(world) == []


async def test_a_link_preview_or_a_thread_on_a_cached_message_is_not_an_edit(world: Any) -> None:
    sent = await world.people["Ben"].send(world.channels["general"], "see https://example.org")
    preview = {"type": "link", "url": "https://example.org", "title": "Example"}
    await send_update(world, sent, embeds=[preview])
    await send_update(world, sent, thread=thread_of(sent, world.people["Mo"].id), flags=32)
    assert edits(world) == []


async def test_updates_of_uncached_messages_edited_long_ago_are_not_edits(world: Any) -> None:
    ben = world.people["Ben"]
    sent = await ben.send(world.channels["general"], "first")
    await ben.edit(sent, "second")
    await world.env.advance_time(3 * HOUR)
    await world.env.restart_bot()  # the cache and the memory of checked edits are gone
    before = len(edits(world))
    await send_update(world, sent, pinned=True)  # carries the old edited_timestamp
    await send_update(world, sent, embeds=[{"type": "link", "url": "https://example.org"}])
    assert len(edits(world)) == before


async def test_a_new_edit_of_an_uncached_message_is_an_edit_once(world: Any) -> None:
    ben = world.people["Ben"]
    sent = await ben.send(world.channels["general"], "first")
    await world.env.restart_bot()
    await ben.edit(sent, "second")
    (edit,) = edits(world)
    assert (edit.before_text, edit.message.text) == (None, "second")
    await send_update(world, sent, pinned=True)  # the same edited_timestamp again
    await world.env.advance_time(5)
    await ben.edit(sent, "third")
    assert [e.message.text for e in edits(world)] == ["second", "third"]


async def test_an_edit_that_only_removes_an_attachment_is_an_edit(world: Any) -> None:
    sent = await world.people["Ben"].send(world.channels["general"], "same words")
    await world.env.advance_time(60)
    now = world.env.now().isoformat()
    await send_update(world, sent, attachments=[], edited_timestamp=now)
    (edit,) = edits(world)
    assert edit.message.text == edit.before_text == "same words"
