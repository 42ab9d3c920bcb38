"""Hostile text through the whole bot on the local platform: nothing crashes, and a
refused input changes nothing.

Messages and commands carry lone surrogates, control characters, direction overrides,
zero-width characters and 100k-character walls. A crash shows as the generic apology or
a logged exception; both fail the test.
"""

from __future__ import annotations

import logging
import random
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from adapters.local import LocalCommunity
from bot.app.local_session import LocalSession
from bot.clock import VirtualClock
from bot.settings import Settings
from storage.tickets import TicketRepository
from tests.property.strategies import FRAGMENTS
from tests.tickets.desk import TICKETS_CONFIG, new_community

RULES = """
[[moderation.rules]]
name = "swearing"
type = "keywords"
keywords = ["darn", "heck*"]

[[moderation.rules]]
name = "links"
type = "links"
deny = ["evil.example"]

[[moderation.rules]]
name = "pings"
type = "mass_mentions"
"""
HUGE = 100_000
NASTY = ("\ud800", "\udfff", "\x00", "\x07", "\x1b[2J", "\u202e", "\u2066", "\u200b", "\ufeff")
COMMANDS = (
    "/ticket open {x}",
    "/ticket open {x} details:{x} category:app",
    "/ticket withdraw #1 {x}",
    "/ticket update 1 {x} next:{x}",
    "/ticket list {x}",
    "/kudos give @Amy {x}",
    "/kudos give {x}",
    "/help {x}",
    "/{x}",
)
APOLOGY = "went wrong"


def hostile_texts(count: int) -> list[str]:
    """Seeded, so a failure reproduces: fragments glued with nasty characters, and walls."""
    chance = random.Random(14)
    texts = [
        "".join(chance.choice(FRAGMENTS + NASTY) for _ in range(chance.randint(1, 30)))
        for _ in range(count)
    ]
    walls = ("x", "\ud800", "\u202e", "\u200b", "“", "<!here|", "darn ", "1d  ")
    return texts + [wall * (HUGE // len(wall)) for wall in walls]


@pytest.fixture
async def session(
    settings: Settings, clock: VirtualClock, write_config: Callable[[str], Path]
) -> AsyncIterator[LocalSession]:
    write_config(TICKETS_CONFIG + RULES)
    community: LocalCommunity = new_community()
    community.now = clock.now
    opened = await LocalSession.open(settings, clock=clock, community=community)
    yield opened
    await opened.app.close()


def crashes(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]


async def test_hostile_messages_and_commands_crash_nothing(
    session: LocalSession, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    c = session.community
    ben, amy = c.member("Ben"), c.member("Amy")
    await c.run(ben, "/ticket open A fair question")
    for text in hostile_texts(40):
        await c.post(ben, "general", text)
        for line in COMMANDS:
            await c.run(ben, line.replace("{x}", text))
        await c.run(amy, f"/ticket update 1 {text}")
    private = [m.text for m in c.messages if m.private_to is not None]
    assert not [text for text in private if APOLOGY in text]
    assert crashes(caplog) == []


async def test_a_refused_title_creates_no_ticket(
    session: LocalSession, caplog: pytest.LogCaptureFixture
) -> None:
    c = session.community
    ben = c.member("Ben")
    tickets = TicketRepository(session.app.services.db)
    for title in ("x" * HUGE, "\u202e" * 91, "\ud800" * 5000):
        await c.run(ben, f"/ticket open {title}")
        assert "keep it" in c.last_private(ben)  # "too long … keep it under 2000" or "… to 90"
    assert await tickets.get(c.community.key, 1) is None
    assert c.read("company") == [] and crashes(caplog) == []
