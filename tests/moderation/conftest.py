"""A small moderated community that several flag tests share."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from adapters.local import LocalCommunity
from bot.app.local_session import LocalSession
from bot.clock import VirtualClock
from bot.settings import Settings

SWEARING = """
[[moderation.rules]]
name = "swearing"
type = "keywords"
keywords = ["darn", "heck"]
"""


@pytest.fixture
async def swearing_session(
    settings: Settings, clock: VirtualClock, write_config: object
) -> AsyncIterator[LocalSession]:
    """One rule that flags "darn" and "heck"; Mo moderates, Ben posts."""
    write_config(SWEARING)  # type: ignore[operator]
    community = LocalCommunity()
    community.now = clock.now
    community.add_member("Mo", roles=("Moderators",))
    community.add_member("Ben")
    opened = await LocalSession.open(settings, clock=clock, community=community)
    yield opened
    await opened.app.close()
