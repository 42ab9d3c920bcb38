"""Moderators' direct actions on Discord, through real discord.py and the simulated server:
/timeout and /untimeout, /ban by two moderators (the quorum) and /unban, the member told by
DM, and a member refused."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from simcord.backend.errors import SetupError

from cogs.moderation import ModerationCog

CONFIG = """
[moderation.quorum]
ban = 2
"""


@pytest.fixture
async def world(make_world: Any, write_config: Callable[[str], Path]) -> Any:
    write_config(CONFIG)
    async with make_world(cog_types=[ModerationCog]) as opened:
        opened.join("Max", "Moderators")
        await opened.env.settle()
        yield opened


def member_state(world: Any, name: str) -> Any:
    return world.env.backend.get_member(world.guild.id, world.people[name].id)


async def test_timeout_and_untimeout_act_on_discord(world: Any) -> None:
    mods, ben = world.channels["moderators"], world.people["Ben"]
    done = await world.people["Mo"].slash(
        mods, "timeout", member=ben, duration="2h", reason="flooding"
    )
    assert done.ephemeral and "Ben is timed out for 2h" in world.text_of(done.response)
    assert member_state(world, "Ben").timed_out_until is not None
    lifted = await world.people["Mo"].slash(mods, "untimeout", member="Ben", reason="sorry")
    assert "Ben's timeout has ended" in world.text_of(lifted.response)
    assert member_state(world, "Ben").timed_out_until is None


async def test_a_ban_takes_two_moderators_and_so_does_the_unban(world: Any) -> None:
    mods, ben = world.channels["moderators"], world.people["Ben"]
    first = await world.people["Mo"].slash(mods, "ban", member=ben, reason="scam links")
    assert "1 of 2 moderators agree" in world.text_of(first.response)
    assert world.guild.get_ban(ben) is None
    second = await world.people["Max"].slash(mods, "ban", member=ben, reason="confirmed")
    assert "Ben is banned" in world.text_of(second.response)
    assert world.guild.get_ban(ben) is not None
    asked = await world.people["Mo"].slash(mods, "unban", member="Ben", reason="appeal ok")
    assert "1 of 2 moderators agree" in world.text_of(asked.response)
    assert world.guild.get_ban(ben) is not None
    lifted = await world.people["Max"].slash(mods, "unban", member="Ben", reason="appeal ok")
    assert "Ben is unbanned" in world.text_of(lifted.response)
    assert world.guild.get_ban(ben) is None


async def test_a_member_cannot_even_see_warn_on_discord(world: Any) -> None:
    """Discord hides moderator commands from members (default member permissions); the
    server-side check behind it is tested on the local and Slack platforms."""
    with pytest.raises(SetupError, match="not visible to this user"):
        await world.people["Ben"].slash(
            world.channels["general"], "warn", member=world.people["Mo"], reason="payback"
        )
    assert world.channels["moderators"].history() == []
