"""A platform that fails while a ticket is being announced: the ticket is kept, and the
tracker appears exactly once."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import pytest

from bot.errors import MissingPermission
from tests.tickets.desk import Desk


def failing_once(desk: Desk, monkeypatch: pytest.MonkeyPatch, method: str) -> None:
    """Make the local platform's `method` fail once, as a Discord outage or a missing
    permission would, then work again."""
    platform = desk.session.app.services.platform(desk.c.community)
    real: Callable[..., Awaitable[Any]] = getattr(platform, method)
    calls = 0

    async def flaky(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise MissingPermission(f"no permission to {method}")
        return await real(*args, **kwargs)

    monkeypatch.setattr(platform, method, flaky)


def trackers(desk: Desk) -> list[str]:
    return [m.text for m in desk.c.read("tickets") if m.text.startswith("**Ticket #")]


async def test_a_tracker_that_cannot_be_posted_is_posted_once_a_minute_later(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    failing_once(desk, monkeypatch, "send")
    reply = await desk.run("Ben", "/ticket open Dark mode")
    assert reply == (
        "Thanks! Your ticket **#1** is saved; its public tracker will appear in the tickets "
        "channel shortly."
    )
    assert (await desk.ticket(1)).tracker_url == "" and trackers(desk) == []
    await desk.advance(timedelta(minutes=1))
    assert len(trackers(desk)) == 1
    assert "@Ben opened ticket #1" in (await desk.thread(1))[0].text
    await desk.advance(timedelta(days=1))
    assert len(trackers(desk)) == 1


async def test_a_thread_that_cannot_be_opened_leaves_one_tracker_and_talks_in_the_channel(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    failing_once(desk, monkeypatch, "open_thread")
    reply = await desk.run("Ben", "/ticket open Dark mode")
    ticket = await desk.ticket(1)
    assert ticket.tracker_message_id is not None and ticket.thread_id is None
    assert "Your ticket **#1** is open" in reply and ticket.tracker_url in reply
    await desk.advance(timedelta(minutes=5))
    assert len(trackers(desk)) == 1
    await desk.run("Amy", "/ticket claim #1")
    assert desk.channel("tickets")[-1] == "@Amy is now looking after ticket #1."
