"""Gateway events as neutral events: what the cogs receive from a real discord.py client."""

from __future__ import annotations

from typing import Any

import pytest

from bot.cog import Cog, listen
from bot.events import (
    Event,
    MemberJoined,
    MessageEdited,
    MessagePosted,
    ReactionAdded,
    ReactionRemoved,
)
from bot.outgoing import OutgoingMessage
from cogs.meta import MetaCog


class RecorderCog(Cog):
    """Keeps every event it hears, for the test to look at."""

    name = "recorder"

    def __init__(self, services: Any) -> None:
        super().__init__(services)
        self.events: list[Event] = []

    @listen(MemberJoined)
    async def joined(self, event: MemberJoined) -> None:
        self.events.append(event)

    @listen(MessagePosted)
    async def posted(self, event: MessagePosted) -> None:
        self.events.append(event)

    @listen(MessageEdited)
    async def edited(self, event: MessageEdited) -> None:
        self.events.append(event)

    @listen(ReactionAdded)
    async def reacted(self, event: ReactionAdded) -> None:
        self.events.append(event)

    @listen(ReactionRemoved)
    async def unreacted(self, event: ReactionRemoved) -> None:
        self.events.append(event)


GUILD_ID = 1_300_000_000_000_000_001  # the test server's id (tests/discord/conftest.py)


@pytest.fixture
async def world(make_world: Any) -> Any:
    async with make_world(cog_types=[RecorderCog]) as opened:
        yield opened


def heard(world: Any, kind: type[Event]) -> list[Any]:
    return [e for e in world.cog(RecorderCog).events if isinstance(e, kind)]


async def test_a_joining_member_arrives_with_account_age_and_roles(world: Any) -> None:
    zoe = world.join("Zoe", "Ambassadors")
    await world.env.settle()
    (event,) = heard(world, MemberJoined)
    member = event.member
    assert member.id == str(zoe.id) and member.community == world.community
    assert member.display_name == "Zoe" and not member.is_bot
    assert [r.name for r in member.roles] == ["Ambassadors"]
    assert member.created_at is not None and member.joined_at is not None


async def test_messages_arrive_with_content_author_roles_and_channel(world: Any) -> None:
    await world.people["Mo"].send(world.channels["general"], "hello <@1234567890123456789>")
    (event,) = heard(world, MessagePosted)
    message = event.message
    assert message.text == "hello <@1234567890123456789>"
    assert message.mentioned_user_ids == ("1234567890123456789",)
    assert message.author.id == str(world.people["Mo"].id)
    assert [r.name for r in message.author.roles] == ["Moderators"]
    assert message.ref.channel.name == "general" and not message.ref.channel.is_thread


async def test_edits_arrive_with_the_text_before_and_also_for_uncached_messages(
    world: Any,
) -> None:
    ben = world.people["Ben"]
    sent = await ben.send(world.channels["general"], "first")
    await ben.edit(sent, "second")
    (edit,) = heard(world, MessageEdited)
    assert (edit.before_text, edit.message.text) == ("first", "second")
    await world.env.restart_bot()  # the message cache is gone, as after a real restart
    await world.env.advance_time(5)  # a later edit has a later edited_timestamp
    await ben.edit(sent, "third")
    latest = heard(world, MessageEdited)[-1]
    assert (latest.before_text, latest.message.text) == (None, "third")
    assert latest.message.ref.id == str(sent.id)


async def test_reactions_on_old_uncached_messages_count(world: Any) -> None:
    old = await world.adapter.send(world.channel_ref("moderators"), OutgoingMessage.of("flag"))
    await world.env.restart_bot()
    message = world.channels["moderators"].history()[-1]
    mo = world.people["Mo"]
    await mo.react(message, "🗑️")
    await mo.unreact(message, "🗑️")
    (added,) = heard(world, ReactionAdded)
    (removed,) = heard(world, ReactionRemoved)
    for event in (added, removed):
        assert event.message.id == old.id and event.emoji == "🗑️"
        assert event.member.id == str(mo.id)
    assert [r.name for r in removed.member.roles] == ["Moderators"]


async def test_the_bots_own_messages_and_reactions_are_not_echoed(world: Any) -> None:
    ref = await world.adapter.send(world.channel_ref("general"), OutgoingMessage.of("hi"))
    await world.adapter.add_reaction(ref, "✅")
    await world.env.settle()
    assert world.cog(RecorderCog).events == []


async def test_servers_outside_discord_guild_ids_are_ignored(make_world: Any) -> None:
    async with make_world(
        cog_types=[RecorderCog], options={"guild_ids": frozenset({GUILD_ID})}
    ) as world:
        other = world.env.create_guild("Elsewhere")
        elsewhere = other.create_text_channel("general")
        stranger = other.add_member(world.env.create_user("stranger"))
        await world.env.settle()
        await stranger.send(elsewhere, "not for us")
        await world.people["Ben"].send(world.channels["general"], "for us")
        assert [e.message.text for e in heard(world, MessagePosted)] == ["for us"]
        assert [e.member.name for e in heard(world, MemberJoined)] == []
        assert stranger.available_commands(elsewhere) == (), "no commands registered there"


async def test_a_sharded_client_serves_servers_on_every_shard(make_world: Any) -> None:
    async with make_world(cog_types=[RecorderCog, MetaCog], options={"shard_count": 2}) as world:
        assert world.adapter.client.shard_count == 2
        second = world.env.create_guild(
            "Second", shard_id=1 - world.adapter.client.get_guild(world.guild.id).shard_id
        )
        channel = second.create_text_channel("general")
        zed = second.add_member(world.env.create_user("zed"))
        await world.env.settle()
        await zed.send(channel, "from the other shard")
        await world.people["Ben"].send(world.channels["general"], "from the first")
        texts = sorted(e.message.text for e in heard(world, MessagePosted))
        assert texts == ["from the first", "from the other shard"]
        assert "help" in zed.available_commands(channel), "commands registered there too"
