"""Welcomes go to the welcome channel of the newcomer's language when one is configured
(``[community.languages] welcome``); everyone else is welcomed where they always were."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from adapters.local import LocalCommunity
from bot.app.local_session import LocalSession
from bot.clock import VirtualClock
from bot.settings import Settings

LANGUAGES = """
[community.languages]
channels = { "general-de" = "de" }
welcome = { de = "willkommen" }
"""


async def test_a_german_newcomer_is_welcomed_in_the_german_welcome_channel(
    settings: Settings, clock: VirtualClock, write_config: Callable[[str], Path]
) -> None:
    write_config(LANGUAGES)
    community = LocalCommunity()
    community.add_channel("willkommen")
    community.now = clock.now
    session = await LocalSession.open(settings, clock=clock, community=community)
    try:
        await community.join("Zoe", locale="de-AT")
        await community.join("Tom", locale="en-GB")
        [german] = community.read("#willkommen")
        assert "Zoe" in german.text
        assert any(word in german.text for word in ("Willkommen", "Hallo", "willkommen"))
        [english] = community.read("#welcome")
        assert "Tom" in english.text and "Willkommen" not in english.text
    finally:
        await session.app.close()


async def test_while_the_german_welcome_channel_is_missing_the_usual_one_is_used(
    settings: Settings, clock: VirtualClock, write_config: Callable[[str], Path]
) -> None:
    write_config(LANGUAGES)
    community = LocalCommunity()
    community.now = clock.now
    session = await LocalSession.open(settings, clock=clock, community=community)
    try:
        await community.join("Zoe", locale="de")
        [welcome] = community.read("#welcome")
        assert "Zoe" in welcome.text
    finally:
        await session.app.close()
