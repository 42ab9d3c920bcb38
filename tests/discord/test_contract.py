"""The shared adapter contract (tests/contract), run against Discord on simcord.

The contract's tests are loaded from their file and collected here again, with a `rig`
fixture that puts the Discord adapter in front of them; the contract file stays the one
place that says what every adapter must do.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

import pytest

from bot.model import MessageRef, UserRef

CONTRACT = Path(__file__).resolve().parents[1] / "contract" / "test_platform_contract.py"
SIMCORD_IGNORES_NONCES = (
    "simcord accepts a message nonce but never de-duplicates on it; the same contract "
    "test runs against the wire fake in tests/discord/test_wire.py, which does, as Discord"
)

SIMCORD_HAS_NO_GUILD_FEATURES = (
    "simcord's guild edit refuses the features field (INVITES_DISABLED); the same contract "
    "test runs against the wire fake in tests/discord/test_raid_wire.py"
)


def _load_contract() -> Any:
    spec = importlib.util.spec_from_file_location("discord_platform_contract", CONTRACT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while defining
    spec.loader.exec_module(module)
    return module


contract = _load_contract()
globals().update(
    {name: getattr(contract, name) for name in dir(contract) if name.startswith("test_")}
)


@pytest.fixture
async def rig(make_world: Any) -> Any:
    async with make_world(cog_types=[]) as world:
        # Discord refuses direct messages to bot accounts with the same error (50007) as
        # to members who closed theirs.
        closed = world.env.create_user("ghost", bot=True)
        world.guild.add_member(closed)
        await world.env.settle()

        async def react(message: MessageRef, emoji: str) -> None:
            channel = next(c for c in world.channels.values() if str(c.id) == message.channel.id)
            found = next(m for m in channel.history() if str(m.id) == message.id)
            await world.people["Ben"].react(found, emoji)

        yield contract.Rig(
            world.adapter,
            world.channel_ref("general"),
            world.user_ref("Ben"),
            UserRef(world.community, str(closed.id)),
            lambda channel: [
                m.content
                for m in world.channels[channel.name].history()
                if m.author.id == world.adapter.client.user.id
            ],
            gaps={
                contract.NONCE: SIMCORD_IGNORES_NONCES,
                contract.INVITES: SIMCORD_HAS_NO_GUILD_FEATURES,
            },
            react=react,
        )
