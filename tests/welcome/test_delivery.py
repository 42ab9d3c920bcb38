"""Nothing lost, nothing twice: welcomes, role grants, reminders, wave alerts and kudos
survive an outage and a crash between the commit and the platform call."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from adapters.local import LocalPlatform
from bot.app.local_session import LocalSession
from bot.errors import PlatformUnavailable
from cogs.welcome import WelcomeCog
from storage.jobs import JobRepository

RULES = {"welcome.rules.enabled": True, "community.roles.member": "Members"}


class Crash(BaseException):
    """The process dying at this point: nothing after it runs, nothing catches it."""


def break_once(
    monkeypatch: pytest.MonkeyPatch, method: str, error: Callable[[], BaseException]
) -> None:
    """Make the local platform's next call of `method` raise `error()` instead."""
    original = getattr(LocalPlatform, method)
    armed = [True]

    async def broken(self: LocalPlatform, *args: Any, **kwargs: Any) -> Any:
        if armed[0]:
            armed[0] = False
            raise error()
        return await original(self, *args, **kwargs)

    monkeypatch.setattr(LocalPlatform, method, broken)


async def restart_delivery(session: LocalSession) -> None:
    """What a restart does: cut-off jobs and outbox entries go back to the queue. Alone on
    SQLite a start clears the old leases; on PostgreSQL a restarted process waits until the
    dead one's leases run out, which giving them back here stands for."""
    services = session.app.services
    await services.scheduler.release()
    await services.outbox.release()
    await services.scheduler.start()
    await services.outbox.start()
    await session.run_due_jobs()


async def test_a_welcome_during_an_outage_goes_out_once_the_platform_is_back(
    session: LocalSession, cog: WelcomeCog, monkeypatch: pytest.MonkeyPatch
):
    break_once(monkeypatch, "send", lambda: PlatformUnavailable("the platform is down"))
    c = session.community
    zoe = await c.join("Zoe")
    assert c.read("#welcome") == []

    await session.advance(timedelta(minutes=1))
    welcomes = c.read("#welcome")
    assert len(welcomes) == 1 and zoe.id in welcomes[0].pinged
    await session.advance(timedelta(days=2))
    assert len(c.read("#welcome")) == 1


async def test_a_crash_between_commit_and_welcome_still_welcomes_once(
    session: LocalSession, cog: WelcomeCog, monkeypatch: pytest.MonkeyPatch
):
    break_once(monkeypatch, "send", Crash)
    c = session.community
    with pytest.raises(Crash):
        await c.join("Zoe")
    assert c.read("#welcome") == []

    await restart_delivery(session)
    assert len(c.read("#welcome")) == 1
    await session.advance(timedelta(days=2))
    assert len(c.read("#welcome")) == 1


async def test_a_dm_welcome_cut_off_by_a_crash_is_sent_once_and_falls_back_once(
    session: LocalSession, cog: WelcomeCog, configure, monkeypatch: pytest.MonkeyPatch
):
    await configure({"welcome.dm": True, "welcome.public": False})
    c = session.community
    c.dms_closed.add("zoe")
    break_once(monkeypatch, "send_direct", Crash)
    with pytest.raises(Crash):
        await c.join("Zoe")

    await restart_delivery(session)
    await restart_delivery(session)
    assert len(c.read("#welcome")) == 1


async def test_the_role_waits_for_an_outage_and_the_member_hears_so(
    session: LocalSession, cog: WelcomeCog, configure, monkeypatch: pytest.MonkeyPatch
):
    await configure(RULES)
    c = session.community
    zoe = await c.join("Zoe")
    break_once(monkeypatch, "grant_role", lambda: PlatformUnavailable("the platform is down"))
    await c.run(zoe, "/welcome accept")
    assert "Members" not in [r.name for r in c.member("Zoe").roles]
    assert "will follow as soon as it can" in c.last_private(zoe)

    await session.advance(timedelta(minutes=1))
    assert "Members" in [r.name for r in c.member("Zoe").roles]


async def test_a_reminder_job_rerun_after_a_crash_reminds_exactly_once(
    session: LocalSession, cog: WelcomeCog, configure, monkeypatch: pytest.MonkeyPatch
):
    await configure({**RULES, "welcome.rules.reminder_hours": 1})
    c = session.community
    zoe = await c.join("Zoe")
    break_once(monkeypatch, "send_direct", Crash)
    with pytest.raises(Crash):
        await session.advance(timedelta(hours=1))

    await restart_delivery(session)
    await session.advance(timedelta(days=2))
    reminders = [m for m in c.direct_messages(zoe) if "friendly reminder" in m.text]
    assert len(reminders) == 1


async def test_the_wave_alert_is_posted_once_and_edited_in_place_across_a_crash(
    session: LocalSession, cog: WelcomeCog, monkeypatch: pytest.MonkeyPatch
):
    """The crash falls between posting the alert and storing its message id."""
    original = type(cog.newcomers).set_alert
    armed = [True]

    async def crash_on_storing_the_id(self: Any, *args: Any) -> None:
        message_id = args[-1]
        if armed[0] and message_id is not None and not message_id.startswith("⟪"):
            armed[0] = False
            raise Crash
        await original(self, *args)

    monkeypatch.setattr(type(cog.newcomers), "set_alert", crash_on_storing_the_id)
    c = session.community
    for number in range(1, 5):
        await c.join(f"Raider{number}")
    with pytest.raises(Crash):
        await c.join("Raider5")
    [alert] = c.read("#moderators")

    await restart_delivery(session)
    await c.join("Raider6")
    await session.run_due_jobs()
    alerts = c.read("#moderators")
    assert [a.number for a in alerts] == [alert.number]
    assert alerts[0].edited and "6 joins" in alerts[0].text
    await session.advance(timedelta(minutes=2))
    alerts = c.read("#moderators")
    assert len(alerts) == 1 and alerts[0].text.startswith("Join wave over: 6 joins")


async def test_kudos_during_an_outage_are_posted_once_later_and_the_giver_hears_so(
    session: LocalSession, cog: WelcomeCog, configure, monkeypatch: pytest.MonkeyPatch
):
    await configure({"welcome.kudos.channel": "ambassadors"})
    c = session.community
    ben = c.member("Ben")
    break_once(monkeypatch, "send", lambda: PlatformUnavailable("the platform is down"))
    await c.run(ben, "/kudos give @Amy great talk")
    assert c.read("#ambassadors") == []
    assert "as soon as the platform can be reached again" in c.last_private(ben)

    await session.advance(timedelta(minutes=1))
    assert len(c.read("#ambassadors")) == 1
    await session.advance(timedelta(days=1))
    assert len(c.read("#ambassadors")) == 1


async def test_a_crash_right_after_a_join_keeps_both_the_join_and_its_reminder_or_neither(
    session: LocalSession, cog: WelcomeCog, configure, monkeypatch: pytest.MonkeyPatch
):
    await configure({**RULES, "welcome.rules.reminder_hours": 1})
    scheduler = session.app.services.scheduler
    original = type(scheduler).schedule

    async def dying(self: Any, *args: Any, **kwargs: Any) -> Any:
        raise Crash  # the process dies where the reminder is armed

    monkeypatch.setattr(type(scheduler), "schedule", dying)
    with pytest.raises(Crash):
        await session.community.join("Zoe")
    monkeypatch.setattr(type(scheduler), "schedule", original)

    zoe = session.community.member("Zoe")
    recorded = await cog.newcomers.get(zoe.community.key, zoe.id)
    jobs = await JobRepository(session.app.services.db).pending(zoe.community.key)
    reminders = [j for j in jobs if j.kind == "welcome.rules_reminder"]
    assert (recorded is None) == (not reminders)
