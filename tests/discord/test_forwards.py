"""Forwarded messages: their own text is empty, what counts is the snapshot they carry.

A forward of a rule-breaking message is checked like the message itself, and its flag or
report shows the forwarded text and where it was forwarded from.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bot.events import MessagePosted
from tests.discord.test_events import RecorderCog
from tests.discord.test_flows import CONFIG


@pytest.fixture
async def world(make_world: Any, write_config: Callable[[str], Path]) -> Any:
    write_config(CONFIG)
    async with make_world() as opened:  # every shipped cog
        yield opened


async def original(world: Any, channel: str, text: str) -> Any:
    """A message nobody is flagged for (another bot's; bots are not moderated), to forward."""
    newsbot = world.guild.add_member(world.env.create_user("newsbot", bot=True))
    return await newsbot.send(world.channels[channel], text)


async def test_a_forward_of_a_rule_breaking_message_raises_one_flag(world: Any) -> None:
    source = await original(world, "rules", "buy cheap pills now")
    assert world.channels["moderators"].history() == []
    forward = await world.people["Ben"].forward(source, world.channels["general"])
    assert forward.content == "", "Discord sends a forward with empty content"
    (flag,) = world.channels["moderators"].history()
    shown = world.text_of(flag)
    assert "buy cheap pills now" in shown and "ben" in shown.lower()
    assert "forwarded from" in shown and f"<#{world.channels['rules'].id}>" in shown


async def test_a_forward_arrives_with_its_text_attachments_and_origin(make_world: Any) -> None:
    async with make_world(cog_types=[RecorderCog]) as world:
        ben = world.people["Ben"]
        source = await ben.send(world.channels["rules"], "look", attachments=[("a.txt", b"hi")])
        await ben.forward(source, world.channels["general"])
        posted = [e for e in world.cog(RecorderCog).events if isinstance(e, MessagePosted)]
        forwarded = posted[-1].message
        assert forwarded.text == "" and forwarded.forwarded is not None
        assert forwarded.full_text == "look"
        assert [a.filename for a in forwarded.all_attachments] == ["a.txt"]
        origin = forwarded.forwarded.origin
        assert origin is not None and origin.id == str(world.channels["rules"].id)
        assert origin.name == "rules" and origin.community == world.community
        assert posted[0].message.forwarded is None, "a message written here is no forward"


async def test_a_report_on_a_forward_shows_the_moderators_the_forwarded_text(world: Any) -> None:
    source = await original(world, "rules", "meet me behind the shed")
    forward = await world.people["Ben"].forward(source, world.channels["general"])
    amy = world.people["Amy"]
    shown = await amy.context_menu(world.channels["general"], "Report message", forward)
    assert shown.modal is not None
    await amy.submit_modal(shown, {"reason": "creepy"})
    (flag,) = world.channels["moderators"].history()
    text = world.text_of(flag)
    assert "meet me behind the shed" in text and "creepy" in text
    assert "forwarded from" in text
