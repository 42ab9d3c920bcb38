"""Fixtures for ticket tests: the configured local community and its `Desk`."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from bot.app.local_session import LocalSession
from bot.clock import VirtualClock
from bot.settings import Settings
from tests.tickets.desk import TICKETS_CONFIG, Desk, new_community


@pytest.fixture
def tickets_config(write_config: Callable[[str], Path]) -> Callable[[str], Path]:
    """Write the ticket test configuration plus any extra TOML."""

    def write(extra: str = "") -> Path:
        return write_config(TICKETS_CONFIG + extra)

    return write


@pytest.fixture
async def desk(
    settings: Settings, clock: VirtualClock, tickets_config: Callable[[str], Path]
) -> AsyncIterator[Desk]:
    tickets_config()
    community = new_community()
    community.now = clock.now
    session = await LocalSession.open(settings, clock=clock, community=community)
    opened = Desk(session, settings, clock)
    yield opened
    await opened.session.app.close()
