"""Rules acceptance: the button, the member role, idempotency and the one reminder."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.app.local_session import LocalSession
from bot.errors import MissingPermission
from bot.platform import Capability
from cogs.welcome import WelcomeCog
from storage.jobs import JobRepository

RULES = {"welcome.rules.enabled": True, "community.roles.member": "Members"}


def _role_names(session: LocalSession, name: str) -> list[str]:
    return [r.name for r in session.community.member(name).roles]


async def _acceptances(session: LocalSession) -> list[str]:
    entries = await session.app.services.audit.recent(session.community.community.key)
    return [e.actor_id for e in entries if e.action == "welcome.rules_accepted"]


async def test_welcome_carries_the_accept_button_only_when_enabled(
    session: LocalSession, cog: WelcomeCog, configure
):
    c = session.community
    await c.join("Sam")
    assert c.read("#welcome")[0].buttons == ()
    await configure(RULES)
    await session.advance(timedelta(minutes=5))
    await c.join("Zoe")
    assert [b.action_id for b in c.read("#welcome")[1].buttons] == ["welcome:accept:zoe"]


async def test_pressing_accept_grants_the_member_role_and_records_it(
    session: LocalSession, cog: WelcomeCog, configure
):
    await configure(RULES)
    c = session.community
    zoe = await c.join("Zoe")
    await c.press(zoe, c.read("#welcome")[0].number, "I accept the rules")
    assert "Members" in _role_names(session, "Zoe")
    assert "You now have the **Members** role" in c.last_private(zoe)
    assert await _acceptances(session) == ["zoe"]
    newcomer = await cog.newcomers.get(c.community.key, "zoe")
    assert newcomer is not None and newcomer.accepted_at == session.clock.now()


async def test_pressing_twice_is_harmless(session: LocalSession, cog: WelcomeCog, configure):
    await configure(RULES)
    c = session.community
    zoe = await c.join("Zoe")
    number = c.read("#welcome")[0].number
    await c.press(zoe, number, "I accept the rules")
    await session.advance(timedelta(minutes=1))
    await c.press(c.member("Zoe"), number, "I accept the rules")
    assert _role_names(session, "Zoe").count("Members") == 1
    assert await _acceptances(session) == ["zoe"]
    assert "already accepted" in c.last_private(zoe)
    newcomer = await cog.newcomers.get(c.community.key, "zoe")
    assert newcomer is not None
    assert newcomer.accepted_at == session.clock.now() - timedelta(minutes=1)
    assert len(c.read("#welcome")) == 1


async def test_a_lost_member_role_is_granted_again_on_a_second_press(
    session: LocalSession, cog: WelcomeCog, configure
):
    await configure({"welcome.rules.enabled": True})
    c = session.community
    zoe = await c.join("Zoe")
    number = c.read("#welcome")[0].number
    await c.press(zoe, number, "I accept the rules")
    assert "Members" not in _role_names(session, "Zoe")
    await configure({"community.roles.member": "Members"})
    await c.press(c.member("Zoe"), number, "I accept the rules")
    assert "Members" in _role_names(session, "Zoe")
    assert "role you were missing" in c.last_private(zoe)
    assert await _acceptances(session) == ["zoe"]


async def test_role_failure_still_records_acceptance_and_says_what_to_do(
    session: LocalSession, cog: WelcomeCog, configure, monkeypatch: pytest.MonkeyPatch
):
    await configure(RULES)
    platform = session.app.services.platform(session.community.community)

    async def refuse(*args: object) -> None:
        raise MissingPermission("the bot's role is below Members")

    monkeypatch.setattr(platform, "grant_role", refuse)
    c = session.community
    zoe = await c.join("Zoe")
    await c.press(zoe, c.read("#welcome")[0].number, "I accept the rules")
    assert "please ask a moderator" in c.last_private(zoe)
    assert await _acceptances(session) == ["zoe"]


async def test_accept_command_works_where_the_button_is_gone(
    session: LocalSession, cog: WelcomeCog, configure
):
    await configure(RULES)
    c = session.community
    ben = c.member("Ben")
    await c.run(ben, "/welcome accept")
    assert "Members" in _role_names(session, "Ben")
    assert await _acceptances(session) == ["ben"]


async def test_accepting_when_rules_are_off_is_a_polite_no(session: LocalSession, cog: WelcomeCog):
    c = session.community
    ben = c.member("Ben")
    await c.run(ben, "/welcome accept")
    assert "nothing to do" in c.last_private(ben)
    assert await _acceptances(session) == []


async def test_button_in_a_direct_message_works(session: LocalSession, cog: WelcomeCog, configure):
    await configure({**RULES, "welcome.dm": True, "welcome.public": False})
    c = session.community
    zoe = await c.join("Zoe")
    await c.press(zoe, c.direct_messages(zoe)[0].number, "I accept the rules")
    assert "Members" in _role_names(session, "Zoe")


async def test_one_reminder_after_the_configured_hours(
    session: LocalSession, cog: WelcomeCog, configure
):
    await configure({**RULES, "welcome.rules.reminder_hours": 24})
    c = session.community
    zoe = await c.join("Zoe")
    await session.advance(timedelta(hours=23, minutes=59))
    assert c.direct_messages(zoe) == []
    await session.advance(timedelta(minutes=1))
    reminders = c.direct_messages(zoe)
    assert len(reminders) == 1
    assert "friendly reminder" in reminders[0].text
    assert reminders[0].buttons[0].action_id == "welcome:accept:zoe"
    await session.advance(timedelta(days=30))
    assert len(c.direct_messages(zoe)) == 1
    await c.press(c.member("Zoe"), reminders[0].number, "I accept the rules")
    assert "Members" in _role_names(session, "Zoe")


async def test_no_reminder_after_acceptance(session: LocalSession, cog: WelcomeCog, configure):
    await configure({**RULES, "welcome.rules.reminder_hours": 24})
    c = session.community
    zoe = await c.join("Zoe")
    await session.advance(timedelta(hours=3))
    await c.press(zoe, c.read("#welcome")[0].number, "I accept the rules")
    assert await JobRepository(session.app.services.db).pending() == []
    await session.advance(timedelta(days=2))
    assert c.direct_messages(zoe) == []


async def test_reminder_is_silent_when_accepted_by_a_path_that_left_the_job(
    session: LocalSession, cog: WelcomeCog, configure
):
    """Even if the job survives (say, it was already running), the record silences it."""
    await configure({**RULES, "welcome.rules.reminder_hours": 24})
    c = session.community
    zoe = await c.join("Zoe")
    async with session.app.services.db.transaction() as tx:
        await cog.newcomers.accept(tx, c.community.key, "zoe", "Zoe", session.clock.now())
    await session.advance(timedelta(days=2))
    assert c.direct_messages(zoe) == []


async def test_reminder_with_closed_dms_goes_to_the_welcome_channel(
    session: LocalSession, cog: WelcomeCog, configure
):
    await configure({**RULES, "welcome.rules.reminder_hours": 6})
    c = session.community
    c.dms_closed.add("zoe")
    await c.join("Zoe")
    await session.advance(timedelta(hours=6))
    welcome_channel = c.read("#welcome")
    assert len(welcome_channel) == 2
    assert welcome_channel[1].text.startswith("@Zoe, a friendly reminder")


async def test_no_reminder_for_members_who_left(session: LocalSession, cog: WelcomeCog, configure):
    await configure({**RULES, "welcome.rules.reminder_hours": 6})
    c = session.community
    zoe = await c.join("Zoe")
    await session.app.services.platform(c.community).kick(zoe.ref, "test")
    await session.advance(timedelta(hours=7))
    assert len(c.read("#welcome")) == 1
    assert [m for m in c.messages if m.channel_id == "dm-zoe"] == []


async def test_without_buttons_the_welcome_points_to_the_accept_command(
    session: LocalSession, cog: WelcomeCog, configure, monkeypatch: pytest.MonkeyPatch
):
    await configure(RULES)
    platform = session.app.services.platform(session.community.community)
    monkeypatch.setattr(platform, "capabilities", platform.capabilities - {Capability.BUTTONS})
    c = session.community
    await c.join("Zoe")
    welcome = c.read("#welcome")[0]
    assert welcome.buttons == ()
    assert welcome.text.endswith("then type `/welcome accept` to accept them.")


async def test_a_replayed_reminder_job_does_not_remind_twice(
    session: LocalSession, cog: WelcomeCog, configure
):
    """A job interrupted by a crash runs again after the restart; it must not repeat."""
    await configure({**RULES, "welcome.rules.reminder_hours": 1})
    c = session.community
    zoe = await c.join("Zoe")
    [reminder] = await JobRepository(session.app.services.db).pending()
    await session.advance(timedelta(hours=1))
    await cog.on_reminder(reminder)
    assert len(c.direct_messages(zoe)) == 1


async def test_a_member_who_already_holds_the_role_just_gets_thanked(
    session: LocalSession, cog: WelcomeCog, configure
):
    await configure(RULES)
    c = session.community
    zoe = await c.join("Zoe", roles=("Members",))
    await c.press(zoe, c.read("#welcome")[0].number, "I accept the rules")
    assert c.last_private(zoe) == "Thank you for accepting the rules. Have fun!"
    assert not any("the role Members" in line for line in c.transcript)
    assert await _acceptances(session) == ["zoe"]


async def test_no_reminder_for_members_who_hold_the_role_already(
    session: LocalSession, cog: WelcomeCog, configure
):
    await configure({**RULES, "welcome.rules.reminder_hours": 1})
    c = session.community
    zoe = await c.join("Zoe")
    await session.app.services.platform(c.community).grant_role(zoe.ref, "Members", "by hand")
    await session.advance(timedelta(hours=2))
    assert c.direct_messages(zoe) == []


async def test_someone_elses_welcome_button_accepts_nothing(
    session: LocalSession, cog: WelcomeCog, configure
):
    await configure(RULES)
    c = session.community
    await c.join("Zoe")
    ben = c.member("Ben")
    await c.press(ben, c.read("#welcome")[0].number, "I accept the rules")
    assert "belongs to someone else's welcome" in c.last_private(ben)
    assert "`/welcome accept`" in c.last_private(ben)
    assert "Members" not in _role_names(session, "Ben")
    assert await _acceptances(session) == []


async def test_the_shared_wave_welcome_button_works_for_the_waves_newcomers_only(
    session: LocalSession, cog: WelcomeCog, configure
):
    await configure(RULES)
    c = session.community
    for number in range(1, 7):
        await c.join(f"Raider{number}")
    await session.advance(timedelta(minutes=2))
    batch = c.read("#welcome")[-1]
    assert batch.text.startswith("👋 A warm welcome to our 2 new members")
    assert [b.action_id for b in batch.buttons] == ["welcome:accept:wave:1"]
    await c.press(c.member("Raider6"), batch.number, "I accept the rules")
    assert "Members" in _role_names(session, "Raider6")
    await c.press(c.member("Ben"), batch.number, "I accept the rules")
    assert "belongs to someone else's welcome" in c.last_private(c.member("Ben"))
    assert await _acceptances(session) == ["raider6"]


async def test_a_reminder_the_platform_will_not_dm_goes_to_the_welcome_channel(
    session: LocalSession, cog: WelcomeCog, configure, monkeypatch: pytest.MonkeyPatch
):
    await configure({**RULES, "welcome.rules.reminder_hours": 1})
    c = session.community
    await c.join("Zoe")
    platform = session.app.services.platform(c.community)

    async def refused(*args: object, **kwargs: object) -> None:
        raise MissingPermission("the bot may not open a DM with this member")

    monkeypatch.setattr(platform, "send_direct", refused)
    await session.advance(timedelta(hours=1))
    assert "friendly reminder" in c.read("#welcome")[-1].text
