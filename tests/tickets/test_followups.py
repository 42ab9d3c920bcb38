"""Follow-ups, reminders and first-response pings: exact counts over simulated weeks, and
durability across restarts (no duplicates, a missed one fires once).

The test configuration: quiet_after 3d, repeat_every 1d, remind_before 12h,
first_response_target 24h. The clock starts on Monday 2026-01-05 09:00 UTC.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from bot.errors import MissingPermission, PlatformError, PlatformUnavailable
from cogs.tickets import TicketsCog
from storage.jobs import JobRepository
from tests.tickets.desk import Desk

MONDAY = datetime.fromisoformat("2026-01-05T09:00:00+00:00")


async def follow_ups(desk: Desk, number: int = 1) -> list[str]:
    return [m.text for m in await desk.thread(number) if m.text.startswith("⏰")]


def reminders(desk: Desk, who: str = "Amy") -> list[str]:
    return [m for m in desk.dms(who) if m.startswith("Reminder:")]


def pings(desk: Desk) -> list[str]:
    return [m for m in desk.channel("ambassadors") if "without an ambassador" in m]


async def claimed_with_promise(desk: Desk, promise: str) -> None:
    await desk.open("Ben", "Dark mode")
    await desk.advance(timedelta(hours=1))
    await desk.run("Amy", "/ticket claim #1")
    await desk.advance(timedelta(hours=1))
    await desk.run("Amy", f"/ticket update #1 Asked the app team next:{promise}")


def lead_posts(desk: Desk) -> list[str]:
    return [m for m in desk.channel("ambassadors") if "📣" in m]


async def test_a_week_after_a_broken_promise(desk: Desk) -> None:
    await claimed_with_promise(desk, "2d")  # due Wednesday 11:00
    await desk.advance(timedelta(days=7) - timedelta(hours=2))  # Monday 09:00
    posted = await follow_ups(desk)
    # Wednesday, Thursday and Friday at 11:00: once a day, never more, each saying how long
    # the silence has lasted, so a repeat is not the same old line. Then (escalate_after
    # = 3 by default) Saturday's goes privately to the ambassadors' lead instead, once,
    # and nothing more is posted in public however long the silence lasts.
    assert posted == [
        f"⏰ Ticket #1: @Amy promised an update by 2026-01-07 11:00 UTC; the last one was {d}d"
        " ago. Still on it?"
        for d in (2, 3, 4)
    ]
    assert lead_posts(desk) == [
        "📣 Ticket #1 “Dark mode” got 3 public follow-ups and no ambassador answered (last"
        " public activity 5d ago). It gets no more public follow-ups until an ambassador acts:"
        " /ticket claim #1, /ticket assign #1 @someone or /ticket update #1 … "
        f"{(await desk.ticket(1)).tracker_url}"
    ]
    follow_up_messages = [m for m in await desk.thread(1) if m.text.startswith("⏰")]
    assert all(m.pinged == ("amy",) for m in follow_up_messages)
    assert reminders(desk) == [
        "Reminder: you promised an update on ticket #1 “Dark mode” by 2026-01-07 11:00 UTC. "
        f"Post it with /ticket update #1 … {(await desk.ticket(1)).tracker_url}"
    ]
    assert pings(desk) == []  # claimed within the first-response target
    shown = await desk.run("Cy", "/ticket show #1")
    assert "Botschafter posted a public follow-up: the promised update was overdue" in shown
    assert "Botschafter told the ambassadors' lead (follow-ups went unanswered)" in shown
    await desk.restart()  # the start-up check does not re-arm what waits for an ambassador
    await desk.advance(timedelta(days=7))
    assert len(await follow_ups(desk)) == 3
    assert len(lead_posts(desk)) == 1

    await desk.run("Amy", "/ticket update #1 Fix is scheduled for 2.5")
    await desk.advance(timedelta(days=3) - timedelta(seconds=1))
    assert len(await follow_ups(desk)) == 3  # an update resets the quiet clock
    await desk.advance(timedelta(seconds=1))
    posted = await follow_ups(desk)
    assert len(posted) == 4
    assert posted[-1] == "⏰ Ticket #1: @Amy's last update was 3d ago. Still on it?"
    assert (await desk.history(1)).count("follow-up") == 4
    assert (await desk.ticket(1)).quiet_follow_ups == 1


async def test_the_lead_role_is_pinged_and_zero_keeps_following_up(
    desk: Desk, tickets_config: Any
) -> None:
    config = desk.session.app.services.config
    await config.set_override(desk.c.community, "tickets.lead_role", "Leads", "alice", MONDAY)
    await claimed_with_promise(desk, "2d")
    await desk.advance(timedelta(days=4))
    assert len(lead_posts(desk)) == 0  # three follow-ups so far, the last just now
    await desk.advance(timedelta(days=2))
    assert len(lead_posts(desk)) == 1
    lead = next(m for m in desk.c.read("ambassadors") if "📣" in m.text)
    assert lead.text.startswith("@Leads 📣 Ticket #1")
    assert lead.pinged == ("Leads",)

    await config.set_override(desk.c.community, "tickets.escalate_after", 0, "alice", MONDAY)
    await desk.run("Amy", "/ticket update #1 Still waiting on the app team")
    await desk.advance(timedelta(days=10))
    assert len(await follow_ups(desk)) == 3 + 8  # days 3 to 10 after the update: no lead now
    assert len(lead_posts(desk)) == 1


async def test_regular_updates_before_each_promise_need_no_follow_up(desk: Desk) -> None:
    await claimed_with_promise(desk, "2d")
    for _ in range(5):
        await desk.advance(timedelta(days=1, hours=12))
        await desk.run("Amy", "/ticket update #1 Still working on it next:2d")
    await desk.advance(timedelta(days=1))
    assert await follow_ups(desk) == []
    # Each promise was kept 12h early: reminders were due exactly then and went out.
    assert len(reminders(desk)) == 5


async def test_an_unclaimed_ticket_pings_the_ambassadors_once_then_follows_up(
    desk: Desk,
) -> None:
    await desk.open("Ben", "Dark mode")
    await desk.advance(timedelta(days=5))
    assert pings(desk) == [
        "@Ambassadors Ticket #1 “Dark mode” has waited 1d without an ambassador. "
        f"Who takes it? /ticket claim #1 {(await desk.ticket(1)).tracker_url}"
    ]
    ping = next(m for m in desk.c.read("ambassadors") if "without an ambassador" in m.text)
    assert ping.pinged == ("Ambassadors",)
    # Quiet since Monday 09:00: Thursday, Friday and Saturday 09:00.
    assert await follow_ups(desk) == [
        "⏰ Ticket #1 has had no public update for 3d and still waits for an ambassador.",
        "⏰ Ticket #1 has had no public update for 4d and still waits for an ambassador.",
        "⏰ Ticket #1 has had no public update for 5d and still waits for an ambassador.",
    ]
    await desk.run("Amy", "/ticket claim #1")
    await desk.advance(timedelta(days=10))
    assert len(pings(desk)) == 1


async def test_resolved_and_withdrawn_tickets_get_no_follow_ups(desk: Desk) -> None:
    await claimed_with_promise(desk, "1d")
    await desk.open("Cy", "Second")
    await desk.run("Amy", "/ticket update #2 On it next:1d")
    await desk.run("Amy", "/ticket resolve #1 Done")
    await desk.run("Cy", "/ticket withdraw #2")
    await desk.advance(timedelta(days=14))
    assert await follow_ups(desk, 1) == [] and await follow_ups(desk, 2) == []
    assert reminders(desk) == [] and pings(desk) == []
    pending = await JobRepository(desk.session.app.services.db).pending()
    assert [job.kind for job in pending] == ["tickets.digest"]


async def test_a_restart_between_promise_and_due_date_loses_and_repeats_nothing(
    desk: Desk,
) -> None:
    await claimed_with_promise(desk, "2d")  # due Wednesday 11:00, reminder Tuesday 23:00
    await desk.advance(timedelta(days=1))
    await desk.restart()
    await desk.advance(timedelta(hours=12))
    assert len(reminders(desk)) == 1
    await desk.restart()
    await desk.advance(timedelta(hours=12) - timedelta(seconds=1))
    assert await follow_ups(desk) == []
    await desk.advance(timedelta(seconds=1))
    assert len(await follow_ups(desk)) == 1
    await desk.restart()
    assert await desk.session.run_due_jobs() == 0
    await desk.advance(timedelta(hours=23))
    assert len(await follow_ups(desk)) == 1 and len(reminders(desk)) == 1


async def test_follow_ups_missed_while_the_bot_was_down_fire_once(desk: Desk) -> None:
    await claimed_with_promise(desk, "1d")  # due Tuesday 11:00
    await desk.restart(downtime=timedelta(days=5))  # back on Saturday 11:00
    assert await desk.session.run_due_jobs() >= 1
    assert len(await follow_ups(desk)) == 1
    assert reminders(desk) == []  # the promise passed unseen: the public follow-up speaks
    await desk.advance(timedelta(hours=23, minutes=59))
    assert len(await follow_ups(desk)) == 1
    await desk.advance(timedelta(minutes=1))
    assert len(await follow_ups(desk)) == 2


async def test_a_follow_up_interrupted_by_a_crash_is_not_posted_twice(desk: Desk) -> None:
    await claimed_with_promise(desk, "1d")
    desk.clock.advance(timedelta(days=1))
    jobs = JobRepository(desk.session.app.services.db)
    taken = await jobs.claim_due(desk.clock.now(), 10)
    follow_up = next(job for job in taken if job.kind == "tickets.follow-up")
    cog = next(c for c in desk.session.app.dispatcher.cogs if c.name == "tickets")
    await cog.follow_up(follow_up)  # type: ignore[attr-defined]  # posted, then the bot dies
    await desk.restart()
    await desk.session.run_due_jobs()
    assert len(await follow_ups(desk)) == 1
    await desk.advance(timedelta(days=1))
    assert len(await follow_ups(desk)) == 2


async def test_a_lost_follow_up_job_is_re_armed_at_start_up(desk: Desk) -> None:
    await claimed_with_promise(desk, "1d")
    scheduler = desk.session.app.services.scheduler
    assert await scheduler.cancel("ticket:local:demo:1:follow-up:0")
    await desk.restart()
    await desk.advance(timedelta(days=1))
    assert len(await follow_ups(desk)) == 1


def fail_at(
    desk: Desk, monkeypatch: pytest.MonkeyPatch, method: str, moment: datetime, error: Exception
) -> None:
    """Make the platform's `method` raise `error` while the clock shows `moment`."""
    platform = desk.session.app.services.platform(desk.c.community)
    real = getattr(platform, method)

    async def flaky(*args: Any, **kwargs: Any) -> Any:
        if desk.clock.now() == moment:
            raise error
        return await real(*args, **kwargs)

    monkeypatch.setattr(platform, method, flaky)


async def test_a_first_response_ping_the_platform_refused_is_posted_by_the_retry(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    await desk.open("Ben", "Dark mode")
    due = MONDAY + timedelta(days=1)
    fail_at(desk, monkeypatch, "send", due, MissingPermission("no access to #ambassadors"))
    await desk.advance(timedelta(days=1))
    assert pings(desk) == []
    assert "first-response-escalated" not in await desk.history(1)
    await desk.advance(timedelta(minutes=1))  # the scheduler's first retry
    assert len(pings(desk)) == 1
    await desk.advance(timedelta(days=3))
    assert len(pings(desk)) == 1
    assert (await desk.history(1)).count("first-response-escalated") == 1


async def test_a_ping_lost_to_an_outage_is_retried_unless_someone_answered_meanwhile(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    await desk.open("Ben", "Dark mode")
    due = MONDAY + timedelta(days=1)
    fail_at(desk, monkeypatch, "send", due, ConnectionError("gateway unreachable"))
    await desk.advance(timedelta(days=1))
    await desk.run("Amy", "/ticket claim #1")
    await desk.advance(timedelta(days=3))
    assert pings(desk) == []
    shown = await desk.run("Ben", "/ticket show #1")
    assert "pinged the ambassadors" not in shown  # nobody was pinged: the record says so


async def test_a_reminder_the_platform_could_not_deliver_is_sent_by_the_retry_once(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    await claimed_with_promise(desk, "2d")  # due Wednesday 11:00, reminder Tuesday 23:00
    due = MONDAY + timedelta(days=1, hours=14)
    fail_at(desk, monkeypatch, "send_direct", due, PlatformUnavailable("Slack is having a moment"))
    await desk.advance(timedelta(days=1, hours=12))
    assert reminders(desk) == []
    await desk.advance(timedelta(minutes=1))
    assert len(reminders(desk)) == 1
    await desk.advance(timedelta(days=5))
    assert len(reminders(desk)) == 1


async def test_a_reminder_the_platform_refused_for_good_goes_to_the_ambassadors_channel(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    await claimed_with_promise(desk, "2d")
    due = MONDAY + timedelta(days=1, hours=14)
    fail_at(desk, monkeypatch, "send_direct", due, PlatformError("user_not_found"))
    await desk.advance(timedelta(days=1, hours=12))
    reminded = [m for m in desk.channel("ambassadors") if "Reminder:" in m]
    assert reminders(desk) == [] and len(reminded) == 1
    assert reminded[0].startswith("@Amy: Reminder: you promised")


async def test_a_reminder_for_closed_dms_is_retried_when_the_channel_post_fails(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    await claimed_with_promise(desk, "2d")
    desk.c.dms_closed.add("amy")
    due = MONDAY + timedelta(days=1, hours=14)
    fail_at(desk, monkeypatch, "send", due, MissingPermission("no access to #ambassadors"))
    await desk.advance(timedelta(days=1, hours=12))
    assert not any("Reminder:" in m for m in desk.channel("ambassadors"))
    await desk.advance(timedelta(minutes=3))
    reminded = [m for m in desk.channel("ambassadors") if "Reminder:" in m]
    assert len(reminded) == 1 and reminded[0].startswith("@Amy: Reminder: you promised")
    await desk.advance(timedelta(days=5))
    assert len([m for m in desk.channel("ambassadors") if "Reminder:" in m]) == 1


async def test_the_lead_post_lost_to_a_refusal_goes_out_once_by_the_retry(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    await claimed_with_promise(desk, "2d")  # follow-ups Wed, Thu, Fri 11:00; the lead Sat
    due = MONDAY + timedelta(days=5, hours=2)
    fail_at(desk, monkeypatch, "send", due, MissingPermission("no access to #ambassadors"))
    await desk.advance(due - desk.clock.now())
    assert lead_posts(desk) == []
    assert "lead-escalated" not in await desk.history(1)  # nobody was told yet
    await desk.restart()  # a crash now neither loses the retry nor posts in public
    await desk.advance(timedelta(minutes=1))
    assert len(lead_posts(desk)) == 1
    await desk.advance(timedelta(days=5))
    assert len(lead_posts(desk)) == 1
    assert len(await follow_ups(desk)) == 3
    assert (await desk.history(1)).count("lead-escalated") == 1


async def test_a_lead_job_run_again_after_a_crash_adds_nothing(desk: Desk) -> None:
    await claimed_with_promise(desk, "2d")
    jobs = JobRepository(desk.session.app.services.db)
    await desk.advance(timedelta(days=4))  # three follow-ups; the fourth job waits
    [pending] = [j for j in await jobs.pending() if j.kind == "tickets.follow-up"]
    await desk.advance(timedelta(days=1))
    assert len(lead_posts(desk)) == 1
    cog = next(c for c in desk.session.app.dispatcher.cogs if isinstance(c, TicketsCog))
    await cog.follow_up(pending)  # the scheduler re-runs a job a crash left unmarked
    await desk.advance(timedelta(minutes=5))
    assert len(lead_posts(desk)) == 1
    assert len(await follow_ups(desk)) == 3
