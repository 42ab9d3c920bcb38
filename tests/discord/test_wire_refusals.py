"""On the wire: what Discord refuses, the adapter does not send, or explains and never retries.

The fake Discord of `wire_fake.py`, made as strict as Discord about two things simcord does
not check: the ``X-Audit-Log-Reason`` header holds at most 512 characters as sent
(percent-encoded), and a reaction's emoji must be spelled as Discord spells it.
"""

from __future__ import annotations

import asyncio
import importlib.util
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import discord
import pytest
from aiohttp import web

from bot.errors import PlatformError
from bot.model import ChannelRef, Community, MessageRef, UserRef
from bot.settings import Settings
from tests.discord import wire_fake


def _load_wire() -> Any:
    path = Path(__file__).with_name("test_wire.py")
    spec = importlib.util.spec_from_file_location("discord_wire_fake", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


wire = _load_wire()
# A few reactions in Discord's spelling: text-default symbols with U+FE0F, emoji without.
DISCORD_SPELLING = {"🗑️", "⚠️", "👍", "👍🏽", "✅", "1️⃣"}
REASON_HEADER_LIMIT = 512


@dataclass
class StrictDiscord(wire_fake.FakeDiscord):
    reasons: list[str] = field(default_factory=list)
    reactions: list[str] = field(default_factory=list)

    def app(self) -> web.Application:
        app = super().app()
        app.router.add_get("/api/v10/guilds/{guild}/members/{user}", self.unknown_member)
        app.router.add_put("/api/v10/guilds/{guild}/bans/{user}", self.ban)
        app.router.add_put(
            "/api/v10/channels/{channel}/messages/{message}/reactions/{emoji}/@me", self.react
        )
        return app

    async def unknown_member(self, request: web.Request) -> web.Response:
        return wire_fake.as_json({"message": "Unknown Member", "code": 10007}, status=404)

    async def ban(self, request: web.Request) -> web.Response:
        sent = request.headers.get("X-Audit-Log-Reason", "")
        if len(sent) > REASON_HEADER_LIMIT:
            return wire_fake.as_json({"message": "Invalid Form Body", "code": 50035}, status=400)
        self.reasons.append(unquote(sent))
        return web.Response(status=204)

    async def react(self, request: web.Request) -> web.Response:
        emoji = request.match_info["emoji"]
        if emoji not in DISCORD_SPELLING:
            return wire_fake.as_json({"message": "Unknown Emoji", "code": 10014}, status=400)
        self.reactions.append(emoji)
        return web.Response(status=204)


@pytest.fixture
async def fake(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[StrictDiscord]:
    # The bot may ban on this server.
    plain_guild = wire_fake.guild_payload

    def guild_with_rights() -> dict[str, Any]:
        guild = plain_guild()
        guild["roles"][0]["permissions"] = str(discord.Permissions.all().value)
        return guild

    monkeypatch.setattr(wire_fake, "guild_payload", guild_with_rights)
    async with wire_fake.serving(StrictDiscord()) as server:
        yield server


@pytest.fixture
async def platform(fake: StrictDiscord, settings: Settings) -> AsyncIterator[Any]:
    app = await wire.started(settings, fake.token)
    try:
        await asyncio.wait_for(app.start(), wire.WAIT)
        await asyncio.wait_for(fake.ready_sent.wait(), wire.WAIT)
        yield app.services.platforms.for_community(COMMUNITY)
    finally:
        await app.close()


COMMUNITY = Community("discord", str(wire_fake.GUILD_ID))
MESSAGE = MessageRef(ChannelRef(COMMUNITY, str(wire_fake.CHANNEL_ID), "general"), "77")


async def test_a_long_reason_in_any_language_is_shortened_to_fit_and_the_ban_happens(
    fake: StrictDiscord, platform: Any
) -> None:
    reason = "Wiederholte Beleidigungen über Wochen hinweg, trotz Verwarnung. " * 20
    await platform.ban(UserRef(COMMUNITY, str(wire_fake.USER_ID)), reason)
    (sent,) = fake.reasons
    assert sent.endswith("…") and reason.startswith(sent[:-1].rstrip())
    assert len(sent) > 100, "as much of the reason as fits is kept"


async def test_reactions_are_spelled_as_discord_spells_them(
    fake: StrictDiscord, platform: Any
) -> None:
    for given in ("🗑", "⚠", "👍\ufe0f", ":thumbsup:", "+1::skin-tone-4", "✅\ufe0f", "1\u20e3"):
        await platform.add_reaction(MESSAGE, given)
    assert fake.reactions == ["🗑️", "⚠️", "👍", "👍", "👍🏽", "✅", "1️⃣"]


async def test_an_emoji_discord_does_not_know_is_a_final_refusal_that_says_so(
    fake: StrictDiscord, platform: Any
) -> None:
    with pytest.raises(PlatformError) as refused:
        await platform.add_reaction(MESSAGE, "not-an-emoji")
    assert type(refused.value) is PlatformError, "final: the outbox does not retry it"
    assert "does not know that emoji" in str(refused.value)
    assert "try again" not in str(refused.value)
