"""Membership Screening: a member who joins pending is welcomed once they pass, not before.

Discord sends GUILD_MEMBER_ADD with ``pending: true`` and, when the member accepts the
server's rules screen, GUILD_MEMBER_UPDATE with ``pending: false``. A restart in between
(the member is then unknown to discord.py's cache) must neither lose nor repeat the welcome.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from simcord.backend import serializers

from tests.discord.test_flows import CONFIG


@pytest.fixture
async def world(make_world: Any, write_config: Callable[[str], Path]) -> Any:
    write_config(CONFIG)
    async with make_world() as opened:  # every shipped cog
        yield opened


async def join_pending(world: Any, name: str) -> int:
    """`name` joins a server with Membership Screening on; returns their user id."""
    backend = world.env.backend
    user = world.env.create_user(name.lower(), global_name=name)
    member = backend.add_member(world.guild.id, user.id)
    member.pending = True
    await announce(world, "GUILD_MEMBER_ADD", user.id)
    return int(user.id)


async def announce(world: Any, event: str, user_id: int) -> None:
    backend = world.env.backend
    guild = backend.get_guild(world.guild.id)
    payload = dict(serializers.member_payload(backend, guild, guild.members[user_id]))
    payload["guild_id"] = str(world.guild.id)
    backend.emit(event, payload)
    await world.env.settle()


async def pass_screening(world: Any, user_id: int) -> None:
    world.env.backend.get_guild(world.guild.id).members[user_id].pending = False
    await announce(world, "GUILD_MEMBER_UPDATE", user_id)


def welcomes(world: Any, user_id: int) -> list[Any]:
    return [m for m in world.channels["welcome"].history() if f"<@{user_id}>" in m.content]


async def test_a_pending_member_is_welcomed_once_they_pass_screening(world: Any) -> None:
    zoe = await join_pending(world, "Zoe")
    assert welcomes(world, zoe) == [], "not before they pass the screening"
    await pass_screening(world, zoe)
    assert len(welcomes(world, zoe)) == 1
    await announce(world, "GUILD_MEMBER_UPDATE", zoe)  # a later change: a nickname, a role
    assert len(welcomes(world, zoe)) == 1, "exactly once"


async def test_a_restart_before_screening_ends_neither_loses_nor_repeats_the_welcome(
    world: Any,
) -> None:
    zoe = await join_pending(world, "Zoe")
    await world.env.restart_bot()  # discord.py's member cache is empty again
    assert world.adapter.client.get_guild(world.guild.id).get_member(zoe) is None
    assert welcomes(world, zoe) == []
    await pass_screening(world, zoe)
    assert len(welcomes(world, zoe)) == 1
    await world.env.restart_bot()
    await announce(world, "GUILD_MEMBER_UPDATE", zoe)
    assert len(welcomes(world, zoe)) == 1, "a later update after another restart"


async def test_an_update_of_a_long_standing_member_after_a_restart_welcomes_nobody(
    world: Any,
) -> None:
    await world.env.restart_bot()
    ben = world.people["Ben"].id
    await announce(world, "GUILD_MEMBER_UPDATE", ben)
    assert welcomes(world, ben) == []
