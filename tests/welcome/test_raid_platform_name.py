"""The platform's name in a raid alert comes from the community's language, like the rest
of the alert: a German community never reads the English "local mode"."""

from __future__ import annotations

from datetime import timedelta

import pytest

from adapters.local import LocalPlatform
from bot.app.local_session import LocalSession
from bot.platform import Capability
from cogs.welcome import WelcomeCog
from tests.welcome.conftest import Configure

MEASURES = {
    "community.locale": "de",
    "welcome.raids.slow_mode_channels": ["general"],
    "welcome.raids.slow_mode_seconds": 60,
    "welcome.raids.timeout_younger_than_hours": 24,
    "welcome.raids.pause_invites": True,
}


async def test_a_german_community_reads_the_platform_name_in_german(
    session: LocalSession, cog: WelcomeCog, configure: Configure, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = {Capability.SLOW_MODE, Capability.PAUSE_INVITES, Capability.TIMEOUT}
    monkeypatch.setattr(LocalPlatform, "capabilities", frozenset(Capability) - missing)
    await configure(MEASURES)
    for n in range(1, 6):
        await session.advance(timedelta(seconds=10))
        await session.community.join(f"Raider{n}", account_age=timedelta(hours=2))
    [alert] = session.community.read("#moderators")
    assert alert.text.count("auf Lokalmodus nicht verfügbar") == 3
    assert "local mode" not in alert.text and "local" not in alert.text.replace("Lokal", "")
