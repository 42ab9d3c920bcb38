"""Nothing lost, nothing twice (issue 14): a crash or an outage between a ticket's state
change and what members see of it.

A crash is simulated at the platform: the bot dies (`Killed`, which no handler catches)
at a chosen platform call, just before or just after the platform carried it out, and is
started again on the same database and community (`Desk.restart`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from bot.errors import PlatformUnavailable
from storage.tickets import Status
from tests.tickets.desk import Desk


class Killed(BaseException):
    """The process died here (not `SystemExit`, which asyncio re-raises out of the loop)."""


@dataclass
class Crash:
    """Kill the bot at the next call of `method` (before or after the platform did it)."""

    method: str
    after: bool
    armed: bool = False
    happened: bool = False


def crash_at(desk: Desk, monkeypatch: pytest.MonkeyPatch, method: str, *, after: bool) -> Crash:
    crash = Crash(method, after)
    platform = desk.session.app.services.platform(desk.c.community)
    real: Callable[..., Awaitable[Any]] = getattr(platform, method)

    async def dying(*args: Any, **kwargs: Any) -> Any:
        if not crash.armed:
            return await real(*args, **kwargs)
        crash.armed, crash.happened = False, True
        if crash.after:
            await real(*args, **kwargs)
        raise Killed(method)

    monkeypatch.setattr(platform, method, dying)
    return crash


async def run_and_crash(desk: Desk, crash: Crash, who: str, line: str) -> None:
    crash.armed = True
    with pytest.raises(Killed):
        await desk.run(who, line)
    assert crash.happened


def trackers(desk: Desk) -> list[str]:
    return [m.text for m in desk.c.read("tickets") if m.text.startswith("**Ticket #")]


def threads_of_tickets(desk: Desk) -> list[str]:
    tickets = desk.c.channel_named("tickets").id
    return [c.name for c in desk.c.channels.values() if c.parent_id == tickets]


def logged(desk: Desk, fragment: str) -> int:
    return sum(fragment in line for line in desk.c.transcript)


async def test_a_crash_after_the_resolve_committed_announces_it_once_after_the_restart(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    await desk.open("Ben", "Dark mode")
    await desk.run("Cy", "/ticket vote #1")
    await desk.run("Amy", "/ticket claim #1")
    crash = crash_at(desk, monkeypatch, "send", after=True)
    await run_and_crash(desk, crash, "Amy", "/ticket resolve #1 Shipped in 2.4")
    assert (await desk.ticket(1)).status is Status.RESOLVED
    monkeypatch.undo()  # the platform works as before after the restart
    await desk.restart()

    retry = await desk.run("Amy", "/ticket resolve #1 Shipped in 2.4")
    await desk.advance(timedelta(days=2))

    assert retry == "Ticket #1 is already ✅ resolved."
    resolved = [m for m in await desk.thread(1) if m.text.startswith("✅ **Ticket #1 resolved by")]
    assert len(resolved) == 1  # posted before the crash, found by its key after it
    assert len([m for m in desk.dms("Ben") if "Shipped in 2.4" in m]) == 1
    assert len([m for m in desk.dms("Cy") if "Shipped in 2.4" in m]) == 1
    assert logged(desk, "archived and locked") == 1
    assert desk.c.channels[(await desk.ticket(1)).thread_id or ""].archived


async def test_a_crash_between_posting_a_tracker_and_storing_its_id_leaves_one_of_each(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    crash = crash_at(desk, monkeypatch, "send", after=True)
    await run_and_crash(desk, crash, "Ben", "/ticket open Dark mode")
    monkeypatch.undo()
    await desk.restart()
    await desk.advance(timedelta(days=1))

    assert len(trackers(desk)) == 1 and threads_of_tickets(desk) == ["Ticket #1: Dark mode"]
    tracker = await desk.tracker(1)
    assert tracker.text.startswith("**Ticket #1")  # the stored id is the posted tracker
    opening = [m for m in await desk.thread(1) if "opened ticket #1" in m.text]
    assert len(opening) == 1
    await desk.c.react(desk.c.member("Cy"), tracker.number, "👍")
    assert (await desk.ticket(1)).vote_count == 1  # reactions on it count


async def test_a_follow_up_cut_off_by_a_crash_is_posted_once_and_recorded_once_posted(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    await desk.open("Ben", "Dark mode")
    await desk.run("Amy", "/ticket claim #1")
    crash = crash_at(desk, monkeypatch, "send", after=False)
    crash.armed = True
    with pytest.raises(Killed):  # the follow-up is due three quiet days later
        await desk.advance(timedelta(days=3))
    assert crash.happened
    assert "follow-up" not in await desk.history(1)  # nothing was posted yet
    monkeypatch.undo()
    await desk.restart()  # the follow-up job runs again; the cut-off post goes out

    follow_ups = [m for m in await desk.thread(1) if m.text.startswith("⏰")]
    assert len(follow_ups) == 1
    assert (await desk.history(1)).count("follow-up") == 1
    await desk.advance(timedelta(hours=23))
    assert len([m for m in await desk.thread(1) if m.text.startswith("⏰")]) == 1


async def test_an_outage_while_opening_saves_the_ticket_and_posts_its_tracker_once_later(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    platform = desk.session.app.services.platform(desk.c.community)
    real = platform.send
    down = [True]

    async def unreachable(*args: Any, **kwargs: Any) -> Any:
        if down[0]:
            raise PlatformUnavailable("Discord is unreachable")
        return await real(*args, **kwargs)

    monkeypatch.setattr(platform, "send", unreachable)
    reply = await desk.run("Ben", "/ticket open Dark mode")
    claimed = await desk.run("Amy", "/ticket claim #1")  # while the tracker still waits
    assert reply == (
        "Thanks! Your ticket **#1** is saved; its public tracker will appear in the tickets "
        "channel shortly."
    )
    assert "You now own ticket #1" in claimed
    assert trackers(desk) == []
    down[0] = False
    await desk.advance(timedelta(minutes=1))
    await desk.advance(timedelta(days=1))

    assert len(trackers(desk)) == 1 and threads_of_tickets(desk) == ["Ticket #1: Dark mode"]
    assert "@Amy" in trackers(desk)[0]  # the claim's tracker edit waited for the tracker
    thread = [m.text for m in await desk.thread(1)]
    assert thread[0].startswith("@Ben opened ticket #1")
    assert thread[1] == "@Amy is now looking after ticket #1."  # waited, in order


async def test_show_lists_a_follow_up_waiting_for_the_platform_as_waiting(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    await desk.open("Ben", "Dark mode")
    await desk.run("Amy", "/ticket claim #1")
    platform = desk.session.app.services.platform(desk.c.community)
    real = platform.send
    down = [True]

    async def unreachable(*args: Any, **kwargs: Any) -> Any:
        if down[0]:
            raise PlatformUnavailable("Discord is unreachable")
        return await real(*args, **kwargs)

    monkeypatch.setattr(platform, "send", unreachable)
    await desk.session.advance(timedelta(days=3))  # the follow-up falls due, cannot go out

    shown = await desk.run("Ben", "/ticket show #1")
    assert "⏳ A public follow-up is waiting to be posted (next try `2026-01-08 09:" in shown
    assert "posted a public follow-up" not in shown
    down[0] = False
    await desk.advance(timedelta(minutes=1))
    shown = await desk.run("Ben", "/ticket show #1")
    assert "waiting to be posted" not in shown and "posted a public follow-up" in shown


async def test_an_update_retried_after_a_crash_is_posted_once(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    await desk.open("Ben", "Dark mode")
    await desk.run("Amy", "/ticket claim #1")
    crash = crash_at(desk, monkeypatch, "send", after=True)
    line = "/ticket update #1 Asked the app team. next:2d"
    await run_and_crash(desk, crash, "Amy", line)  # Amy saw no answer
    monkeypatch.undo()
    await desk.restart()

    retry = await desk.run("Amy", line)

    assert retry.startswith("You sent this update for ticket #1 a moment ago; it is not posted")
    updates = [m for m in await desk.thread(1) if "Update on #1" in m.text]
    assert len(updates) == 1
    assert (await desk.history(1)).count("updated") == 1
    await desk.run("Amy", "/ticket update #1 The app team said yes.")
    assert len([m for m in await desk.thread(1) if "Update on #1" in m.text]) == 2


async def test_an_escalation_retried_after_a_crash_goes_to_the_company_once(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    await desk.open("Ben", "Dark mode")
    crash = crash_at(desk, monkeypatch, "send", after=True)
    await run_and_crash(desk, crash, "Amy", "/ticket escalate #1 Asked product")
    monkeypatch.undo()
    await desk.restart()

    retry = await desk.run("Amy", "/ticket escalate #1 Asked product")

    assert retry.startswith("You escalated ticket #1 with this note a moment ago")
    assert len([m for m in desk.channel("company") if "Ticket #1" in m]) == 1
    assert len([m for m in await desk.thread(1) if "passed #1 to the company" in m.text]) == 1


async def test_an_update_the_platform_cannot_take_yet_is_reported_as_saved(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    await desk.open("Ben", "Dark mode")
    await desk.run("Amy", "/ticket claim #1")
    platform = desk.session.app.services.platform(desk.c.community)
    real = platform.send
    down = [True]

    async def unreachable(*args: Any, **kwargs: Any) -> Any:
        if down[0]:
            raise PlatformUnavailable("Discord is unreachable")
        return await real(*args, **kwargs)

    monkeypatch.setattr(platform, "send", unreachable)
    reply = await desk.run("Amy", "/ticket update #1 Asked the app team.")
    assert reply.startswith("Update saved on ticket #1; it will be posted in the ticket's thread")
    down[0] = False
    await desk.advance(timedelta(minutes=1))
    assert len([m for m in await desk.thread(1) if "Update on #1" in m.text]) == 1
