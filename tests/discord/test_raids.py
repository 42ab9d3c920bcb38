"""Raid measures on Discord (simcord): slow mode and time-outs placed by the real adapter,
shown on the alert, taken back by a moderator's reaction and by nothing else.

Pausing invites is a guild feature simcord does not model (its guild edit refuses the
`features` field); tests/discord/test_raid_wire.py covers it against the wire-level fake.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.model import UserRef
from cogs.welcome import WelcomeCog

MEASURES = {
    "welcome.waves.joins": 3,
    "welcome.raids.slow_mode_channels": ["general"],
    "welcome.raids.slow_mode_seconds": 45,
    # simcord's accounts are a few days old by their snowflakes: a week catches them.
    "welcome.raids.timeout_younger_than_hours": 24 * 7,
}


@pytest.fixture
async def world(make_world: Any) -> Any:
    async with make_world(cog_types=[WelcomeCog]) as prepared:
        services = prepared.app.services
        for key, value in MEASURES.items():
            await services.config.set_override(
                prepared.community, key, value, "test", services.clock.now()
            )
        yield prepared


def slow_mode(world: Any) -> int:
    return world.env.backend.get_channel(world.channels["general"].id).rate_limit_per_user


def timed_out(world: Any) -> set[str]:
    guild = world.env.backend.get_guild(world.guild.id)
    return {
        name
        for name in ("Raider1", "Raider2", "Raider3")
        if guild.members[world.people[name].id].timed_out_until
    }


async def raid(world: Any) -> Any:
    for n in (1, 2, 3):
        world.join(f"Raider{n}")
        await world.env.settle()
        world.clock.advance(timedelta(seconds=5))
    await world.env.settle()
    (alert,) = world.channels["moderators"].history()
    return alert


async def test_a_wave_slows_the_channel_times_out_new_accounts_and_lists_both(world: Any):
    alert = await raid(world)
    assert slow_mode(world) == 45
    text = world.text_of(world.channels["moderators"].history()[0])
    assert timed_out(world) == {"Raider1", "Raider2", "Raider3"}
    assert f"Slow mode 45s in <#{world.channels['general'].id}>: ✅ done" in text
    assert "Timed out for 24h (3 new accounts)" in text and "✅ done" in text
    assert "React ↩️ to undo all of this" in text
    stored = world.env.backend.get_message(alert.channel.id, alert.id)
    assert {r.emoji for r in stored.reactions} >= {"↩️", "⏹️"}


async def test_a_members_undo_does_nothing_and_a_moderators_takes_everything_back(world: Any):
    alert = await raid(world)
    await world.people["Ben"].react(alert, "↩️")
    await world.env.settle()
    assert slow_mode(world) == 45 and len(timed_out(world)) == 3
    await world.people["Mo"].react(alert, "↩️")
    await world.env.settle()
    assert slow_mode(world) == 0
    assert timed_out(world) == set()
    text = world.text_of(world.channels["moderators"].history()[0])
    assert "**Raid measures undone** by" in text and text.count("↩️ taken back") == 2


async def test_the_raid_state_ends_by_itself_and_brings_the_channel_back(world: Any):
    await raid(world)
    world.clock.advance(timedelta(minutes=31))
    await world.app.services.scheduler.run_due()
    await world.app.services.outbox.run_due()
    await world.env.settle()
    assert slow_mode(world) == 0
    assert len(timed_out(world)) == 3  # time-outs run their course


def alert_text(world: Any) -> str:
    return world.text_of(world.channels["moderators"].history()[0])


async def test_undo_leaves_a_time_out_a_moderator_changed_without_asking_discord(world: Any):
    """Mo gives Raider1 a week in Discord's own menu after the raid: ↩️ lifts the other
    two and leaves that one, knowing it from the member Discord sent (no extra request)."""
    alert = await raid(world)
    raider = world.people["Raider1"]
    week = (datetime.now(UTC) + timedelta(days=7)).isoformat()
    world.env.backend.edit_member(world.guild.id, raider.id, {"timed_out_until": week})
    await world.env.settle()
    before = len(world.env.http_requests)
    await world.people["Mo"].react(alert, "↩️")
    await world.env.settle()
    assert timed_out(world) == {"Raider1"}
    asked = [r.path for r in world.env.http_requests[before:]]
    assert not any(f"/members/{raider.id}" in path for path in asked)
    text = alert_text(world)
    assert "(1 new account)" in text and "✋ not lifted: a moderator changed" in text
    assert "**Raid measures undone** by" in text


async def test_a_take_back_discord_refused_is_retried_by_the_next_undo(world: Any):
    alert = await raid(world)
    general = world.channels["general"].id
    world.env.inject_error(
        "PATCH", f"/channels/{general}", status=403, code=50013, message="Missing Permissions"
    )
    mo = world.people["Mo"]
    await mo.react(alert, "↩️")
    await world.env.settle()
    assert slow_mode(world) == 45 and timed_out(world) == set()
    text = alert_text(world)
    assert "❌ could not be taken back" in text and "**Raid measures undone**" not in text
    assert "react ↩️ again" in text
    # The admins fixed the bot's role; Mo takes the reaction off and adds it again.
    await mo.unreact(alert, "↩️")
    await mo.react(alert, "↩️")
    await world.env.settle()
    assert slow_mode(world) == 0
    text = alert_text(world)
    assert "**Raid measures undone** by" in text and text.count("↩️ taken back") == 2


async def run_due(world: Any) -> None:
    await world.app.services.scheduler.run_due()
    await world.app.services.outbox.run_due()
    await world.env.settle()


async def test_a_second_raid_during_an_outage_restores_the_channels_own_slow_mode(world: Any):
    """Raid 1's end waits out an outage when raid 2 reads #general: Discord still shows
    raid 1's 45 s, yet raid 2's end brings the channel back to its own 0."""
    first = await raid(world)
    general = world.channels["general"].id
    world.env.inject_error("PATCH", f"/channels/{general}", status=500, times=None)
    await world.people["Mo"].react(first, "⏹️")
    await world.env.settle()
    assert slow_mode(world) == 45
    world.clock.advance(timedelta(minutes=5))
    await run_due(world)
    for n in (4, 5, 6):
        world.join(f"Raider{n}")
        await world.env.settle()
        world.clock.advance(timedelta(seconds=5))
    await run_due(world)
    _, second = world.channels["moderators"].history()  # oldest first
    world.env.backend.faults.clear()  # Discord is back
    world.clock.advance(timedelta(minutes=15))
    await run_due(world)
    assert slow_mode(world) == 45  # raid 2's, after raid 1's end went through
    await world.people["Mo"].react(second, "⏹️")
    await world.env.settle()
    assert slow_mode(world) == 0
    text = world.text_of(world.channels["moderators"].history()[1])
    assert "**Raid state ended** by" in text and "Slow mode 45s in" in text
    assert "↩️ taken back" in text


async def test_an_undo_right_behind_the_time_outs_lifts_them_before_discord_echoes_them(
    world: Any,
):
    """Discord tells the cached member about a time-out by a gateway event a moment after
    the request: an undo carried out right behind the time-out (both waited in the
    member's lane, say through a rate limit) must not take the member for not timed out
    and claim a take-back that never happened."""
    parsers = world.adapter.client._connection.parsers
    held: list[Any] = []
    real = parsers["GUILD_MEMBER_UPDATE"]
    parsers["GUILD_MEMBER_UPDATE"] = held.append  # the echo is still on its way
    try:
        alert = await raid(world)
        assert timed_out(world) == {"Raider1", "Raider2", "Raider3"}
        await world.people["Mo"].react(alert, "↩️")
        await world.env.settle()
    finally:
        parsers["GUILD_MEMBER_UPDATE"] = real
        for data in held:
            real(data)
    assert timed_out(world) == set()
    assert "**Raid measures undone** by" in alert_text(world)


async def test_a_time_out_another_process_placed_is_lifted_before_its_echo_arrives(
    world: Any,
):
    """With several processes, the one lifting a time-out may not be the one that placed
    it, and its cached member hears of it only from the gateway's echo: "not timed out"
    in the cache is checked with Discord before nothing is done."""
    world.join("Raider1")  # a member the bot's cache knows, from the gateway
    await world.env.settle()
    ben = world.people["Raider1"]
    parsers = world.adapter.client._connection.parsers
    held: list[Any] = []
    real = parsers["GUILD_MEMBER_UPDATE"]
    parsers["GUILD_MEMBER_UPDATE"] = held.append
    try:
        until = datetime.now(UTC) + timedelta(hours=12)
        world.env.backend.edit_member(
            world.guild.id, ben.id, {"timed_out_until": until.isoformat()}
        )
        platform = world.app.services.platform(world.community)
        user = UserRef(world.community, str(ben.id))
        lifted = await platform.lift_timeout(user, "undo", ending_in=timedelta(hours=12))
    finally:
        parsers["GUILD_MEMBER_UPDATE"] = real
        for data in held:
            real(data)
    assert lifted is True
    guild = world.env.backend.get_guild(world.guild.id)
    assert guild.members[ben.id].timed_out_until is None


async def test_undo_of_a_raider_who_left_says_so_and_offers_no_retry(world: Any):
    alert = await raid(world)
    world.env.backend.remove_member(world.guild.id, world.people["Raider1"].id)
    await world.env.settle()
    await world.people["Mo"].react(alert, "↩️")
    await world.env.settle()
    text = alert_text(world)
    assert "👋 not lifted: no longer a member (the time-out ends by itself)" in text
    assert "**Raid measures undone** by" in text
    assert "could not be taken back" not in text and "again" not in text
