"""Discord shards split across processes: this process connects its share and acts only
on servers that Discord assigns to those shards (docs/scaling.md)."""

from __future__ import annotations

from typing import Any

import discord
from pydantic import SecretStr

from adapters.discord import DiscordAdapter, DiscordOptions
from bot.events import MemberJoined, MessagePosted
from bot.serving import shard_of
from cogs.meta import MetaCog
from tests.discord.conftest import GUILD_ID
from tests.discord.test_events import RecorderCog, heard


def test_shard_ids_make_a_client_that_connects_only_those_shards() -> None:
    options = DiscordOptions(token=SecretStr("t"), shard_count=4, shard_ids=frozenset({3, 1}))
    client = DiscordAdapter(options).client
    assert isinstance(client, discord.AutoShardedClient)
    assert client.shard_count == 4
    assert client.shard_ids == [1, 3]


def test_a_process_acts_only_on_servers_of_its_own_shards() -> None:
    mine, theirs = _guild_on_shard(1, of=3), _guild_on_shard(2, of=3)
    options = DiscordOptions(token=SecretStr("t"), shard_count=3, shard_ids=frozenset({0, 1}))
    adapter = DiscordAdapter(options)
    assert adapter.serves(mine) and adapter.serves(_guild_on_shard(0, of=3))
    assert not adapter.serves(theirs)
    narrowed = DiscordAdapter(
        DiscordOptions(
            token=SecretStr("t"),
            shard_count=3,
            shard_ids=frozenset({1}),
            guild_ids=frozenset({theirs, mine + (3 << 22)}),
        )
    )
    assert not narrowed.serves(mine), "DISCORD_GUILD_IDS still narrows the share"
    assert narrowed.serves(mine + (3 << 22))


async def test_a_process_with_one_shard_of_two_hears_only_that_shards_servers(
    make_world: Any,
) -> None:
    own = shard_of(GUILD_ID, 2)
    options = {"shard_count": 2, "shard_ids": frozenset({own})}
    async with make_world(cog_types=[RecorderCog, MetaCog], options=options) as world:
        client = world.adapter.client
        assert client.shard_ids == [own]
        other = world.env.create_guild("Other shard", id=_guild_on_shard(1 - own, of=2))
        elsewhere = other.create_text_channel("general")
        stranger = other.add_member(world.env.create_user("stranger"))
        await world.env.settle()
        await stranger.send(elsewhere, "for the other process")
        await world.people["Ben"].send(world.channels["general"], "for this one")
        assert [e.message.text for e in heard(world, MessagePosted)] == ["for this one"]
        assert [e.member.name for e in heard(world, MemberJoined)] == []
        assert [g.id for g in client.guilds] == [GUILD_ID]
        assert stranger.available_commands(elsewhere) == (), "the other process registers there"
        assert "help" in world.people["Ben"].available_commands(world.channels["general"])


def _guild_on_shard(shard: int, *, of: int) -> int:
    """A server id that Discord assigns to `shard` of `of` shards."""
    base = 1_400_000_000_000_000_000
    return next(g for g in range(base, base + (of << 22) + 1, 1 << 22) if shard_of(g, of) == shard)
