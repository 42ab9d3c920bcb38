"""The weekly digest on a known week: every figure checked, posted once per week."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.errors import MissingPermission
from bot.model import ChannelRef
from bot.outgoing import OutgoingMessage
from cogs.tickets.config import DigestConfig
from cogs.tickets.digest import next_digest_at
from tests.tickets.desk import Desk

MONDAY = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)  # the clock's start

EXPECTED = """**Ticket digest 2026-01-05 to 2026-01-12**
Opened: **4** · Resolved: **2**
**Backlog**: 2 open · 0 unclaimed · 2 overdue promise(s) · oldest waiting: #1 Dark mode (7d)
Median time to first response: **13h** · to resolution: **2d20h30m**
**Most wanted open tickets**
• #1 Dark mode: 👍 3
• #4 Offline mode: 👍 1
**Overdue promises**
• @Amy: 1 (#1)
• @Bo: 1 (#4)
**You asked, we did**
• #3 Bug in login: Fixed in 2.3.1
• #2 CSV export: Export shipped"""


async def at(desk: Desk, days: int, hours: int) -> None:
    await desk.advance(MONDAY + timedelta(days=days, hours=hours) - desk.clock.now())


def digests(desk: Desk) -> list[str]:
    return [m for m in desk.channel("ambassadors") if m.startswith("**Ticket digest")]


async def known_week(desk: Desk) -> None:
    """Four tickets; first responses after 2h, 24h, 44h and 1h; two resolved."""
    await desk.open("Ben", "Dark mode")  # Monday 09:00
    await at(desk, 0, 2)
    await desk.run("Amy", "/ticket claim #1")
    await at(desk, 0, 3)
    await desk.open("Cy", "CSV export", "category:billing")
    await at(desk, 1, 3)
    await desk.run("Bo", "/ticket update #2 Looking into it")
    await at(desk, 1, 4)
    await desk.open("Dee", "Bug in login")
    await at(desk, 2, 0)
    await desk.run("Amy", "/ticket update #1 Designs are ready next:1d")
    await at(desk, 3, 0)
    await desk.run("Amy", "/ticket resolve #3 Fixed in 2.3.1")
    await at(desk, 4, 0)
    await desk.run("Bo", "/ticket resolve #2 Export shipped")
    await at(desk, 5, 0)
    await desk.open("Mo", "Offline mode")
    await at(desk, 5, 1)
    await desk.run("Bo", "/ticket update #4 Checking next:12h")
    for voter in ("Cy", "Dee", "Mo"):
        await desk.run(voter, "/ticket vote #1")
    await desk.run("Ben", "/ticket vote #4")


async def test_the_weekly_digest_reports_the_known_week(desk: Desk) -> None:
    await known_week(desk)
    await at(desk, 7, 0)
    assert digests(desk) == [EXPECTED]
    # The preview covers the seven days up to and including now, so #1, opened exactly a
    # week ago, has just left it; everything else reads the same.
    preview = await desk.run("Amy", "/ticket digest")
    assert "Opened: **3** · Resolved: **2**" in preview
    assert preview.endswith(EXPECTED.split("\n", 2)[2])


async def test_the_digest_is_posted_once_a_week_even_across_restarts(desk: Desk) -> None:
    await known_week(desk)
    await at(desk, 7, 0)
    await desk.restart()
    assert await desk.session.run_due_jobs() == 0
    await at(desk, 13, 23)
    assert len(digests(desk)) == 1
    await at(desk, 14, 0)
    second = digests(desk)[-1]
    assert len(digests(desk)) == 2
    assert "Opened: **0** · Resolved: **0**" in second
    assert "to first response: **—** · to resolution: **—**" in second
    assert "**You asked, we did**\n• none" in second


async def test_the_digest_goes_where_and_when_the_admins_say(desk: Desk) -> None:
    await desk.run("Alice", "/config set tickets.digest.channel company")
    await desk.run("Alice", '/config set tickets.digest.day "friday"')
    await desk.run("Alice", '/config set tickets.digest.time "17:30"')
    await desk.open("Ben", "Dark mode")  # opening re-arms the digest for the new slot
    await at(desk, 4, 8)  # Friday 17:00
    assert [m for m in desk.channel("company") if m.startswith("**Ticket digest")] == []
    await at(desk, 4, 9)  # Friday 18:00
    posted = [m for m in desk.channel("company") if m.startswith("**Ticket digest")]
    assert len(posted) == 1 and "Opened: **1**" in posted[0]
    await at(desk, 7, 1)
    assert digests(desk) == []  # the stale Monday slot stays quiet


def test_next_digest_time_follows_the_local_clock_across_daylight_saving() -> None:
    berlin = DigestConfig(day="monday", time="09:00", timezone="Europe/Berlin")
    summer = next_digest_at(datetime(2026, 3, 24, tzinfo=UTC), berlin)
    assert summer == datetime(2026, 3, 30, 7, 0, tzinfo=UTC)  # 09:00 CEST
    assert next_digest_at(summer, berlin) == datetime(2026, 4, 6, 7, 0, tzinfo=UTC)
    assert next_digest_at(datetime(2026, 3, 16, 8, tzinfo=UTC), berlin) == datetime(
        2026, 3, 23, 8, 0, tzinfo=UTC
    )


async def test_a_digest_the_platform_refused_is_posted_by_the_retry(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    await desk.open("Ben", "Dark mode")
    platform = desk.session.app.services.platform(desk.c.community)
    real_send = platform.send

    async def down_at_nine(channel: ChannelRef, message: OutgoingMessage, **kwargs: Any) -> Any:
        if desk.clock.now() == MONDAY + timedelta(days=7):
            raise MissingPermission("Discord is having a moment")
        return await real_send(channel, message, **kwargs)

    monkeypatch.setattr(platform, "send", down_at_nine)
    await at(desk, 7, 0)
    assert digests(desk) == []
    await at(desk, 7, 1)
    assert [d.splitlines()[0] for d in digests(desk)] == [
        "**Ticket digest 2026-01-05 to 2026-01-12**"
    ]
    await at(desk, 13, 0)
    assert len(digests(desk)) == 1


async def test_a_digest_lost_to_an_outage_is_posted_by_the_retry(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    await desk.open("Ben", "Dark mode")
    platform = desk.session.app.services.platform(desk.c.community)
    real_send = platform.send

    async def dropped_at_nine(channel: ChannelRef, message: OutgoingMessage, **kwargs: Any) -> Any:
        if desk.clock.now() == MONDAY + timedelta(days=7):
            raise ConnectionError("connection reset by peer")
        return await real_send(channel, message, **kwargs)

    monkeypatch.setattr(platform, "send", dropped_at_nine)
    await at(desk, 7, 0)
    assert digests(desk) == []
    await at(desk, 7, 1)
    assert len(digests(desk)) == 1
    await at(desk, 13, 0)
    assert len(digests(desk)) == 1
