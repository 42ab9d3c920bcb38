"""Join waves: one alert for moderators, edited while the wave lasts, one shared welcome."""

from __future__ import annotations

from datetime import timedelta

import pytest

from adapters.local import LocalCommunity
from bot.app.local_session import LocalSession
from bot.clock import VirtualClock
from bot.errors import MissingPermission, NotFound
from bot.settings import Settings
from cogs.welcome import WelcomeCog

YOUNG = timedelta(hours=2)


async def _join_many(session: LocalSession, names: list[str], every: timedelta, **details):
    for index, name in enumerate(names):
        if index:
            await session.advance(every)
        await session.community.join(name, **details)


def _names(count: int, start: int = 1) -> list[str]:
    return [f"Raider{n}" for n in range(start, start + count)]


async def test_one_join_short_of_the_threshold_raises_no_alert(
    session: LocalSession, cog: WelcomeCog
):
    await _join_many(session, _names(4), timedelta(seconds=10))
    c = session.community
    assert c.read("#moderators") == []
    assert len(c.read("#welcome")) == 4


async def test_reaching_the_threshold_raises_one_alert(session: LocalSession, cog: WelcomeCog):
    await _join_many(session, _names(5), timedelta(seconds=10))
    c = session.community
    alerts = c.read("#moderators")
    assert len(alerts) == 1
    alert = alerts[0].text
    assert "Join wave" in alert and "5 joins" in alert
    for name in _names(5):
        assert f"@{name}: account 365d old" in alert
    assert "Suggested actions" in alert
    assert alerts[0].pinged == ()
    # The first four were welcomed one by one; the fifth waits for the shared welcome.
    assert len(c.read("#welcome")) == 4


async def test_the_window_is_inclusive_at_exactly_the_configured_seconds(
    session: LocalSession, cog: WelcomeCog, configure
):
    await configure({"welcome.waves.joins": 3, "welcome.waves.window_seconds": 60})
    await _join_many(session, _names(3), timedelta(seconds=30))
    assert len(session.community.read("#moderators")) == 1


async def test_joins_spread_wider_than_the_window_raise_no_alert(
    session: LocalSession, cog: WelcomeCog, configure
):
    await configure({"welcome.waves.joins": 3, "welcome.waves.window_seconds": 60})
    await _join_many(session, _names(3), timedelta(seconds=30, milliseconds=1))
    assert session.community.read("#moderators") == []
    assert len(session.community.read("#welcome")) == 3


async def test_a_continuing_wave_edits_the_alert_instead_of_posting_again(
    session: LocalSession, cog: WelcomeCog
):
    await _join_many(session, _names(5), timedelta(seconds=5))
    c = session.community
    first = c.read("#moderators")[0]
    await session.advance(timedelta(seconds=5))
    await _join_many(session, _names(3, start=6), timedelta(seconds=5))
    alerts = c.read("#moderators")
    assert [a.number for a in alerts] == [first.number]
    assert alerts[0].edited
    assert "8 joins" in alerts[0].text
    assert "@Raider8" in alerts[0].text
    assert len(c.read("#welcome")) == 4


async def test_welcomes_during_a_wave_are_batched_into_one_message(
    session: LocalSession, cog: WelcomeCog
):
    await _join_many(session, _names(8), timedelta(seconds=5))
    c = session.community
    assert len(c.read("#welcome")) == 4
    await session.advance(timedelta(seconds=59))
    assert len(c.read("#welcome")) == 4
    await session.advance(timedelta(seconds=1))
    welcomes = c.read("#welcome")
    assert len(welcomes) == 5
    batch = welcomes[-1].text
    assert batch.startswith("👋 A warm welcome to our 4 new members")
    assert "@Raider5, @Raider6, @Raider7, @Raider8" in batch
    assert "@Raider1" not in batch
    alert = c.read("#moderators")[0]
    assert alert.text.startswith("Join wave over: 8 joins between 09:00:00 UTC and 09:00:35 UTC")
    assert len(c.read("#moderators")) == 1


async def test_raiders_removed_during_the_wave_are_not_welcomed(
    session: LocalSession, cog: WelcomeCog
):
    await _join_many(session, _names(7), timedelta(seconds=1))
    platform = session.app.services.platform(session.community.community)
    await platform.ban(session.community.member("Raider6").ref, "raid")
    await session.advance(timedelta(minutes=2))
    batch = session.community.read("#welcome")[-1].text
    assert "@Raider5" in batch and "@Raider7" in batch
    assert "Raider6" not in batch
    assert "our 2 new members" in batch


async def test_young_accounts_are_marked_in_the_alert(session: LocalSession, cog: WelcomeCog):
    c = session.community
    await c.join("Old1")
    await c.join("Old2")
    await c.join("Fresh1", account_age=YOUNG)
    await c.join("Old3")
    await c.join("Fresh2", account_age=timedelta(minutes=3))
    alert = c.read("#moderators")[0].text
    lines = {line.split(":")[0].strip("• @"): line for line in alert.splitlines()[1:6]}
    assert "new account" in lines["Fresh1"] and "2h old" in lines["Fresh1"]
    assert "new account" in lines["Fresh2"] and "3m old" in lines["Fresh2"]
    assert "new account" not in lines["Old1"]
    assert "(2 new accounts)" in alert


async def test_a_quiet_period_ends_the_wave_and_a_later_wave_gets_its_own_alert(
    session: LocalSession, cog: WelcomeCog
):
    await _join_many(session, _names(5), timedelta(seconds=1))
    await session.advance(timedelta(minutes=10))
    await _join_many(session, _names(5, start=10), timedelta(seconds=1))
    alerts = session.community.read("#moderators")
    assert len(alerts) == 2
    assert alerts[0].text.startswith("Join wave over: 5 joins")
    assert "@Raider10" in alerts[1].text and "@Raider1:" not in alerts[1].text


async def test_a_deleted_alert_is_posted_again(
    session: LocalSession, cog: WelcomeCog, monkeypatch: pytest.MonkeyPatch
):
    await _join_many(session, _names(5), timedelta(seconds=1))
    platform = session.app.services.platform(session.community.community)

    async def gone(*args: object) -> None:
        raise NotFound("message")

    monkeypatch.setattr(platform, "edit", gone)
    await session.community.join("Raider6")
    alerts = session.community.read("#moderators")
    assert len(alerts) == 2
    assert "6 joins" in alerts[1].text
    monkeypatch.undo()
    await session.community.join("Raider7")
    assert len(session.community.read("#moderators")) == 2
    assert "7 joins" in session.community.read("#moderators")[1].text


async def test_bots_do_not_count_towards_a_wave(session: LocalSession, cog: WelcomeCog):
    c = session.community
    for number in range(6):
        await c.join(f"Bot{number}", is_bot=True)
    assert c.read("#moderators") == []


async def test_waves_can_be_switched_off(session: LocalSession, cog: WelcomeCog, configure):
    await configure({"welcome.waves.enabled": False})
    await _join_many(session, _names(8), timedelta(seconds=1))
    assert session.community.read("#moderators") == []
    assert len(session.community.read("#welcome")) == 8


async def test_join_log_lists_each_join_and_marks_young_accounts(
    session: LocalSession, cog: WelcomeCog, configure
):
    await configure({"welcome.waves.join_log": "moderators"})
    c = session.community
    await c.join("Zoe")
    await session.advance(timedelta(minutes=5))
    await c.join("Fresh", account_age=timedelta(days=2))
    log = [m.text for m in c.read("#moderators")]
    assert log == [
        "📥 @Zoe joined: account 365d old",
        "📥 @Fresh joined: account 2d old 🆕 **new account**",
    ]


async def test_restart_in_the_middle_of_a_wave_edits_the_same_alert(settings: Settings):
    clock = VirtualClock()
    community = LocalCommunity()
    community.now = clock.now
    first = await LocalSession.open(settings, clock=clock, community=community)
    for number in range(1, 6):
        await community.join(f"Raider{number}")
    await first.app.close()
    alert_number = community.read("#moderators")[0].number

    clock.advance(timedelta(seconds=20))
    second = await LocalSession.open(settings, clock=clock, community=community)
    try:
        await community.join("Raider6")
        alerts = community.read("#moderators")
        assert [a.number for a in alerts] == [alert_number]
        assert "6 joins" in alerts[0].text
        await second.advance(timedelta(minutes=2))
        assert community.read("#welcome")[-1].text.startswith("👋 A warm welcome to our 2")
        assert community.read("#moderators")[0].text.startswith("Join wave over: 6 joins")
    finally:
        await second.app.close()


async def test_a_wave_of_exactly_the_threshold_welcomes_its_one_held_back_newcomer_in_the_singular(
    session: LocalSession, cog: WelcomeCog
):
    c = session.community
    await _join_many(session, _names(4), timedelta(seconds=1))
    await c.join("Raider5", account_age=YOUNG)
    assert "(1 new account)" in c.read("#moderators")[0].text
    await session.advance(timedelta(minutes=2))
    batch = c.read("#welcome")[-1].text
    assert batch == (
        "👋 A warm welcome to our new member in **Botschafter Demo**:\n@Raider5\n"
        "Please start with #rules."
    )


async def test_a_german_community_gets_the_shared_welcome_of_one_in_the_singular(
    session: LocalSession, cog: WelcomeCog, configure
):
    await configure({"community.locale": "de"})
    await _join_many(session, _names(5), timedelta(seconds=1))
    await session.advance(timedelta(minutes=2))
    c = session.community
    assert c.read("#welcome")[-1].text == (
        "👋 Ein herzliches Willkommen an unser neues Mitglied bei **Botschafter Demo**:\n"
        "@Raider5\nFang bitte mit #rules an."
    )
    assert "(0 neue Konten)" in c.read("#moderators")[0].text


async def test_an_alert_the_bot_may_no_longer_edit_does_not_stop_the_shared_welcome(
    session: LocalSession, cog: WelcomeCog, monkeypatch: pytest.MonkeyPatch
):
    await _join_many(session, _names(6), timedelta(seconds=1))
    platform = session.app.services.platform(session.community.community)

    async def refused(*args: object) -> None:
        raise MissingPermission("the moderators' channel was locked")

    monkeypatch.setattr(platform, "edit", refused)
    await _join_many(session, _names(1, start=7), timedelta(seconds=1))  # still counted
    await session.advance(timedelta(minutes=2))
    batch = session.community.read("#welcome")[-1].text
    assert batch.startswith("👋 A warm welcome to our 3 new members")
    assert "@Raider7" in batch
