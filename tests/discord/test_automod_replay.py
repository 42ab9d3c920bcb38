"""A blocked message's AutoMod event replayed on a gateway RESUME is filed once, while the
same text really sent again is filed again: the wire-level fake drops the connection,
discord.py resumes the session, and the fake sends the frame again with its first
sequence number, as Discord does with what it counts as missed."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, ClassVar

import discord
import pytest
from pydantic import SecretStr

from adapters.discord import DiscordAdapter, DiscordOptions
from bot.app.application import App
from bot.clock import VirtualClock
from bot.cog import Cog, listen
from bot.events import FilterActed, FilterAction
from bot.settings import Settings
from tests.discord.wire_fake import CHANNEL_ID, GUILD_ID, USER_ID, FakeDiscord, serving

WAIT = 10.0
# What Discord sends for the BLOCK_MESSAGE action of a rule: no message id, no time.
BLOCK = {
    "guild_id": str(GUILD_ID),
    "action": {"type": 1, "metadata": {"custom_message": "Blocked"}},
    "rule_id": "4242",
    "rule_trigger_type": 1,
    "user_id": str(USER_ID),
    "channel_id": str(CHANNEL_ID),
    "content": "buy cheap pills now",
    "matched_keyword": "cheap pills",
    "matched_content": "cheap pills",
}


class ResumableDiscord(FakeDiscord):
    """The fake, with READY naming itself as the gateway to resume at."""

    def ready(self) -> dict[str, Any]:
        url = str(discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY)
        return {**super().ready(), "resume_gateway_url": url}


class Filed(Cog):
    name = "filed"
    seen: ClassVar[list[FilterActed]] = []

    @listen(FilterActed)
    async def on_filter(self, event: FilterActed) -> None:
        Filed.seen.append(event)


@pytest.fixture
async def fake() -> AsyncIterator[ResumableDiscord]:
    async with serving(ResumableDiscord()) as server:
        yield server


@asynccontextmanager
async def filing(settings: Settings, fake: FakeDiscord) -> AsyncIterator[App]:
    """The bot on `fake` with only the cog that notes what it files, READY seen."""
    Filed.seen = []
    options = DiscordOptions(token=SecretStr(fake.token), guild_ready_timeout=0.05)
    app = await App.create(
        settings, [DiscordAdapter(options)], clock=VirtualClock(), cog_types=[Filed]
    )
    try:
        await asyncio.wait_for(app.start(), WAIT)
        await asyncio.wait_for(fake.ready_sent.wait(), WAIT)
        yield app
    finally:
        await app.close()


async def until(condition: Any) -> None:
    """Poll `condition` (a few events through discord.py's tasks; no single one to await)."""
    async with asyncio.timeout(WAIT):
        while not condition():  # noqa: ASYNC110
            await asyncio.sleep(0.01)


async def test_a_replayed_block_is_filed_once_and_a_real_second_attempt_again(
    fake: ResumableDiscord, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="adapters.discord.automod_events")
    async with filing(settings, fake):
        frame = await fake.dispatch("AUTO_MODERATION_ACTION_EXECUTION", BLOCK)
        await until(lambda: len(Filed.seen) == 1)

        fake.replay = [frame]  # the connection drops; Discord sends the frame again
        assert fake.socket is not None
        await fake.socket.close(code=4000)
        await asyncio.wait_for(fake.resumed_sent.wait(), WAIT)
        assert fake.resumed is not None and fake.resumed["session_id"] == "session"
        await until(
            lambda: any("replayed by the gateway" in r.getMessage() for r in caplog.records)
        )

        await fake.dispatch("AUTO_MODERATION_ACTION_EXECUTION", BLOCK)  # the member again
        await until(lambda: len(Filed.seen) == 2)
        await asyncio.sleep(0.1)
    assert len(Filed.seen) == 2, "the replay is not filed, the second attempt is"
    assert all(e.action is FilterAction.BLOCK and e.message_id is None for e in Filed.seen)


class RenewingDiscord(ResumableDiscord):
    """The fake, giving each IDENTIFY a new session whose sequence starts again at 1."""

    sessions: int = 0

    def ready(self) -> dict[str, Any]:
        self.sessions += 1
        self.sequence = 0  # READY is 1 again, the next frames 2, 3, … as in the first
        return {**super().ready(), "session_id": f"session-{self.sessions}"}


async def test_a_block_in_a_new_session_is_filed_though_its_sequence_number_was_seen(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After Discord invalidates the session, discord.py identifies again: the new session
    numbers its frames from 1, so a real attempt there has the (sequence) of one already
    filed in the old session, and is still no replay."""
    # discord.py waits 5 s before identifying again; nothing here needs that pause.
    monkeypatch.setattr(discord.Client, "before_identify_hook", _no_wait)
    async with serving(RenewingDiscord()) as fake, filing(settings, fake):
        first = await fake.dispatch("AUTO_MODERATION_ACTION_EXECUTION", BLOCK)
        await until(lambda: len(Filed.seen) == 1)

        fake.ready_sent.clear()
        assert fake.socket is not None
        await fake.socket.send_json({"op": 9, "d": False})  # not resumable
        await asyncio.wait_for(fake.ready_sent.wait(), WAIT)
        again = await fake.dispatch("AUTO_MODERATION_ACTION_EXECUTION", BLOCK)
        assert again["s"] == first["s"] and fake.sessions == 2
        await until(lambda: len(Filed.seen) == 2)
    assert fake.resumed is None, "a new session, not a resumed one"


async def _no_wait(*args: Any, **kwargs: Any) -> None:
    return None
