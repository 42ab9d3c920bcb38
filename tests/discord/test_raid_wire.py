"""Pausing invites on a wire-level fake Discord (simcord does not model incident actions).

Discord pauses invites through incident actions (PUT /guilds/{id}/incident-actions with
``invites_disabled_until``, at most 24 hours ahead; ``null`` resumes them); the older guild
feature INVITES_DISABLED no longer takes effect when set, so the fake refuses a PATCH of
it. It is as strict as Discord otherwise: Manage Server or 403 (code 50013), a time more
than 24 hours ahead or in the past is 400 (code 50035), a rate limit answers 429 with
`retry_after`.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import discord
import pytest
from aiohttp import web
from pydantic import SecretStr

from adapters.discord import DiscordAdapter, DiscordOptions
from bot.app.application import App
from bot.clock import VirtualClock
from bot.errors import MissingPermission, PlatformUnavailable
from bot.model import ChannelRef, Community, UserRef
from bot.platform import Platform
from bot.settings import Settings
from tests.discord.test_wire import contract
from tests.discord.wire_fake import (
    CHANNEL_ID,
    GUILD_ID,
    USER_ID,
    FakeDiscord,
    as_json,
    guild_payload,
    serving,
)

WAIT = 10.0
# What a plain bot role may do, and the same with Manage Server.
MEMBER = discord.Permissions(view_channel=True, send_messages=True, read_message_history=True)
MANAGE_GUILD = MEMBER | discord.Permissions(manage_guild=True)
# Discord's JSON error codes for "Missing Permissions" and "Invalid Form Body".
MISSING_PERMISSIONS = 50013
INVALID_FORM_BODY = 50035
COMMUNITY = Community("discord", str(GUILD_ID))


@dataclass
class IncidentActionsDiscord(FakeDiscord):
    """The wire fake plus GET /guilds/{id} and its incident actions, with the bot's
    permissions in @everyone."""

    permissions: discord.Permissions = field(default_factory=lambda: MEMBER)
    invites_disabled_until: str | None = None
    # The bot's role lost Manage Server on Discord's side (its cache does not know yet).
    refuse: bool = False
    rate_limited: int = 0
    edits: list[dict[str, Any]] = field(default_factory=list)

    def app(self) -> web.Application:
        app = super().app()
        app.router.add_get("/api/v10/guilds/{guild}", self.get_guild)
        app.router.add_patch("/api/v10/guilds/{guild}", self.edit_guild)
        app.router.add_put("/api/v10/guilds/{guild}/incident-actions", self.edit_incidents)
        return app

    def incidents(self) -> dict[str, Any]:
        return {"invites_disabled_until": self.invites_disabled_until, "dms_disabled_until": None}

    async def get_guild(self, request: web.Request) -> web.Response:
        guild = guild_payload()
        guild["features"] = ["COMMUNITY"]
        guild["incidents_data"] = self.incidents()
        return as_json(guild)

    def guilds_created(self) -> list[dict[str, Any]]:
        guild = guild_payload()
        guild["roles"][0]["permissions"] = str(self.permissions.value)
        guild["features"] = ["COMMUNITY"]
        return [guild]

    async def edit_guild(self, request: web.Request) -> web.Response:
        raise AssertionError("invites are paused through incident actions, not guild features")

    async def edit_incidents(self, request: web.Request) -> web.Response:
        if self.rate_limited:
            self.rate_limited -= 1
            body = {"message": "You are being rate limited.", "retry_after": 0.01, "global": False}
            limited = as_json(body, status=429)
            # Discord's own 429s come through its proxy; discord.py takes one without
            # this header for a Cloudflare ban and does not wait and retry.
            limited.headers.update({"Via": "1.1 google", "X-RateLimit-Scope": "user"})
            return limited
        if self.refuse or not self.permissions.manage_guild:
            return as_json({"message": "Missing Permissions", "code": MISSING_PERMISSIONS}, 403)
        body = await request.json()
        unknown = set(body) - {"invites_disabled_until", "dms_disabled_until"}
        assert not unknown, f"not an incident action: {unknown}"
        until = body.get("invites_disabled_until")
        if until is not None:
            ahead = datetime.fromisoformat(until) - datetime.now(UTC)
            if not timedelta(0) < ahead <= timedelta(hours=24):
                problem = {"_errors": [{"code": "BASE_TYPE_BAD_TIME", "message": "Bad time"}]}
                error = {
                    "message": "Invalid Form Body",
                    "code": INVALID_FORM_BODY,
                    "errors": {"invites_disabled_until": problem},
                }
                return as_json(error, 400)
        self.edits.append(body)
        self.invites_disabled_until = until
        return as_json(self.incidents())


@pytest.fixture
async def fake() -> AsyncIterator[IncidentActionsDiscord]:
    async with serving(IncidentActionsDiscord(permissions=MANAGE_GUILD)) as s:
        yield s


async def connected(server: FakeDiscord, settings: Settings) -> tuple[App, Platform]:
    options = DiscordOptions(token=SecretStr(server.token), guild_ready_timeout=0.05)
    app = await App.create(settings, [DiscordAdapter(options)], clock=VirtualClock(), cog_types=[])
    await asyncio.wait_for(app.start(), WAIT)
    await asyncio.wait_for(server.ready_sent.wait(), WAIT)
    await asyncio.sleep(0.1)  # GUILD_CREATE is handled after READY
    return app, app.services.platforms.for_community(COMMUNITY)


async def test_the_contract_pauses_and_resumes_invites_for_at_most_a_day(
    fake: IncidentActionsDiscord, settings: Settings
) -> None:
    app, platform = await connected(fake, settings)
    try:
        rig = contract.Rig(
            platform,
            ChannelRef(COMMUNITY, str(CHANNEL_ID), "general"),
            UserRef(COMMUNITY, str(USER_ID)),
            UserRef(COMMUNITY, str(USER_ID)),
            lambda where: [],
        )
        await contract.test_invites_are_paused_and_resumed(rig)
    finally:
        await app.close()
    # Setting the state it already has sent nothing; a pause lasts Discord's longest.
    paused, resumed = fake.edits
    ahead = datetime.fromisoformat(paused["invites_disabled_until"]) - datetime.now(UTC)
    assert timedelta(hours=23) < ahead <= timedelta(hours=24)
    assert resumed == {"invites_disabled_until": None}


async def test_without_manage_server_pausing_is_refused_with_what_to_grant(
    settings: Settings,
) -> None:
    async with serving(IncidentActionsDiscord()) as server:
        app, platform = await connected(server, settings)
        try:
            with pytest.raises(MissingPermission, match="Manage Server"):
                await platform.pause_invites(COMMUNITY, True, "raid")
        finally:
            await app.close()
        assert server.edits == []


async def test_a_refusal_discord_sends_is_a_refusal_and_a_rate_limit_is_retried(
    fake: IncidentActionsDiscord, settings: Settings
) -> None:
    app, platform = await connected(fake, settings)
    try:
        fake.refuse = True
        with pytest.raises(MissingPermission, match="Manage Server"):
            await platform.pause_invites(COMMUNITY, True, "raid")
        fake.refuse = False
        fake.rate_limited = 1  # discord.py waits `retry_after` and tries again
        await platform.pause_invites(COMMUNITY, True, "raid")
        assert fake.invites_disabled_until is not None
        fake.rate_limited = 10  # a rate limit that outlasts the retries: "not now"
        with pytest.raises(PlatformUnavailable):
            await platform.pause_invites(COMMUNITY, False, "raid over")
    finally:
        await app.close()


async def test_a_pause_in_place_is_left_alone_and_an_expired_one_is_over(
    fake: IncidentActionsDiscord, settings: Settings
) -> None:
    app, platform = await connected(fake, settings)
    try:
        fake.invites_disabled_until = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
        assert await platform.invites_paused(COMMUNITY) is True
        await platform.pause_invites(COMMUNITY, True, "raid")  # an admin's pause stays
        assert fake.edits == []
        fake.invites_disabled_until = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
        assert await platform.invites_paused(COMMUNITY) is False
    finally:
        await app.close()
