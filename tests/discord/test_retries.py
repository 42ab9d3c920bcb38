"""Discord actions the outbox may repeat after a crash, and outages on every call.

A recovering entry repeats an action the platform may already have carried out, so each
action must be harmless the second time; and every failure must reach the outbox as a
typed error, an outage as `PlatformUnavailable` (retried), never as a discord.py or
network exception that would leave a decision stuck half way.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import discord
import pytest

from adapters.discord.sync import sync_guild
from bot.errors import PlatformUnavailable
from bot.outgoing import OutgoingMessage

# Discord's "A thread has already been created for this message".
THREAD_ALREADY_CREATED = 160004


@pytest.fixture
async def world(make_world: Any) -> Any:
    async with make_world(cog_types=[]) as opened:
        yield opened


async def left(world: Any, name: str) -> None:
    world.guild.remove_member(world.people[name])
    await world.env.settle()


async def test_a_member_who_left_is_none(world: Any) -> None:
    await left(world, "Ben")
    assert await world.adapter.fetch_member(world.user_ref("Ben")) is None


async def test_a_member_lookup_during_an_outage_is_an_outage_not_none(world: Any) -> None:
    """A None here would make a recovering kick count as done although nobody was kicked."""
    await left(world, "Ben")  # not in the cache: the adapter must ask Discord
    world.env.inject_error("GET", "/guilds/*/members/*", status=500, times=None)
    ben = world.user_ref("Ben")
    for action in (
        lambda: world.adapter.fetch_member(ben),
        lambda: world.adapter.kick(ben, "spam"),
        lambda: world.adapter.ban(ben, "spam"),
        lambda: world.adapter.grant_role(ben, "Ambassadors", "welcome"),
    ):
        with pytest.raises(PlatformUnavailable, match="answered 500"):
            await action()
    assert world.guild.get_ban(world.people["Ben"]) is None


async def test_a_timed_out_member_lookup_is_an_outage(
    world: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    await left(world, "Ben")

    async def no_answer(*args: Any, **kwargs: Any) -> Any:
        raise TimeoutError

    monkeypatch.setattr(world.adapter.client.http, "get_member", no_answer)
    with pytest.raises(PlatformUnavailable, match="could not be reached"):
        await world.adapter.fetch_member(world.user_ref("Ben"))


async def test_a_repeated_ban_is_harmless(world: Any) -> None:
    ben = world.user_ref("Ben")
    await world.adapter.ban(ben, "scam")
    await world.env.settle()
    await world.adapter.ban(ben, "scam")  # a recovering entry after a crash
    assert world.guild.get_ban(world.people["Ben"])["reason"] == "scam"


async def test_a_recovering_ban_already_in_place_is_not_placed_again(
    world: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    ben = world.user_ref("Ben")
    await world.adapter.ban(ben, "scam")  # the attempt a crash cut off
    await world.env.settle()
    placed = []
    original = world.adapter.client.http.ban

    async def counting(*args: Any, **kwargs: Any) -> Any:
        placed.append(args)
        return await original(*args, **kwargs)

    monkeypatch.setattr(world.adapter.client.http, "ban", counting)

    await world.adapter.ban(ben, "scam", recovering=True)

    assert placed == []


async def test_a_repeated_role_grant_is_harmless(world: Any) -> None:
    ben = world.user_ref("Ben")
    await world.adapter.grant_role(ben, "Ambassadors", "welcome")
    await world.env.settle()
    await world.adapter.grant_role(ben, "Ambassadors", "welcome")
    member = world.env.backend.get_member(world.guild.id, world.people["Ben"].id)
    assert member.role_ids.count(world.roles["Ambassadors"].id) == 1


async def test_reopening_a_thread_a_crash_cut_off_returns_the_thread_it_opened(
    world: Any,
) -> None:
    """simcord lets a second create replace the thread; Discord refuses it with 160004,
    which is what the injected error plays here (tests/discord/test_wire.py has a fake
    that refuses on its own)."""
    tracker = await world.adapter.send(world.channel_ref("tickets"), OutgoingMessage.of("#7"))
    first = await world.adapter.open_thread(tracker, "Ticket #7")
    await world.adapter.send(first, OutgoingMessage.of("first update"))
    world.env.inject_error(
        "POST",
        f"/channels/*/messages/{tracker.id}/threads",
        status=400,
        code=THREAD_ALREADY_CREATED,
        message="A thread has already been created for this message",
    )

    again = await world.adapter.open_thread(tracker, "Ticket #7")

    assert again == first
    history = world.env.backend.messages[int(first.id)]
    assert [m.content for m in history.values()] == ["first update"]


async def test_a_command_sync_that_times_out_is_logged_and_tried_again_later(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def no_answer(*args: Any) -> None:
        raise TimeoutError

    client = SimpleNamespace(
        application_id=1, http=SimpleNamespace(bulk_upsert_guild_commands=no_answer)
    )
    synced = await sync_guild(client, discord.Object(7), [])  # type: ignore[arg-type]
    assert synced is False  # the adapter forgets the server, so it syncs again later
    assert "Could not register commands on server 7" in caplog.text


async def test_an_event_author_lookup_that_times_out_falls_back_to_the_payload(
    world: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    await left(world, "Ben")  # not in the cache: the adapter must ask Discord

    async def no_answer(*args: Any, **kwargs: Any) -> Any:
        raise TimeoutError

    monkeypatch.setattr(world.adapter.client.http, "get_member", no_answer)
    ben = world.user_ref("Ben")
    author = await world.adapter.author_of({"id": ben.id, "username": "ben"}, world.community)

    assert author.id == ben.id and author.roles == ()
