"""Wire level: the real bot connects to a small fake Discord on 127.0.0.1.

The fake speaks just enough of the REST API and the gateway protocol (HELLO, IDENTIFY,
READY, GUILD_CREATE, dispatches, close codes) for discord.py to log in, connect, receive a
MESSAGE_CREATE and post the reply; `Route.BASE` and the gateway URL point at it. It also
plays a Discord that rejects the token, and one that refuses the privileged intents.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import discord
import pytest
import yarl
from aiohttp import WSMsgType, web
from pydantic import SecretStr

from adapters.discord import DiscordAdapter, DiscordOptions
from adapters.discord.cli import sync_commands
from bot.app.application import App
from bot.app.cli import cog_declarations
from bot.clock import VirtualClock
from bot.cog import Cog, listen
from bot.errors import ConfigError
from bot.events import MessagePosted
from bot.model import ChannelRef, Community, UserRef
from bot.outgoing import Mention, OutgoingMessage
from bot.settings import Settings

BOT_ID = 900000000000000001
USER_ID = 900000000000000002
GUILD_ID = 900000000000000003
CHANNEL_ID = 900000000000000004
# guilds | members | guild messages | guild message reactions | message content
EXPECTED_INTENTS = (1 << 0) | (1 << 1) | (1 << 9) | (1 << 10) | (1 << 15)
# Generous for a loaded CI machine; a healthy run takes a fraction of a second.
WAIT = 10.0
CONTRACT = Path(__file__).resolve().parents[1] / "contract" / "test_platform_contract.py"
BOT_USER = {"id": str(BOT_ID), "username": "Botschafter", "discriminator": "0", "avatar": None}
# Discord's JSON error code for "A thread has already been created for this message".
THREAD_ALREADY_CREATED = 160004


def _load_contract() -> Any:
    spec = importlib.util.spec_from_file_location("discord_wire_contract", CONTRACT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while defining
    spec.loader.exec_module(module)
    return module


contract = _load_contract()


class PongCog(Cog):
    name = "pong"

    @listen(MessagePosted)
    async def on_message(self, event: MessagePosted) -> None:
        if event.message.text == "!ping":
            platform = self.platform(event.community)
            await platform.send(
                event.message.ref.channel,
                OutgoingMessage.of("pong ", Mention(event.message.author.id)),
            )


@dataclass
class FakeDiscord:
    """The REST API and gateway of a one-server Discord."""

    token: str = "good-token"
    close_with: int | None = None
    identified: dict[str, Any] = field(default_factory=dict)
    posted: list[dict[str, Any]] = field(default_factory=list)
    by_nonce: dict[str, dict[str, Any]] = field(default_factory=dict)
    threads: dict[str, dict[str, Any]] = field(default_factory=dict)
    refused_threads: int = 0
    commands: list[Any] = field(default_factory=list)
    socket: web.WebSocketResponse | None = None
    reply_posted: asyncio.Event = field(default_factory=asyncio.Event)
    ready_sent: asyncio.Event = field(default_factory=asyncio.Event)
    sequence: int = 0

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/api/v10/users/@me", self.me)
        app.router.add_get("/api/v10/oauth2/applications/@me", self.application)
        app.router.add_get("/api/v10/users/@me/guilds", self.guilds)
        app.router.add_put(
            "/api/v10/applications/{app}/guilds/{guild}/commands", self.register_commands
        )
        app.router.add_post("/api/v10/channels/{channel}/messages", self.create_message)
        app.router.add_post(
            "/api/v10/channels/{channel}/messages/{message}/threads", self.create_thread
        )
        app.router.add_get("/api/v10/channels/{channel}", self.get_channel)
        app.router.add_get("/gateway", self.gateway)
        return app

    def authorised(self, request: web.Request) -> bool:
        return request.headers.get("Authorization") == f"Bot {self.token}"

    async def me(self, request: web.Request) -> web.Response:
        if not self.authorised(request):
            return as_json({"message": "401: Unauthorized", "code": 0}, status=401)
        return as_json({**BOT_USER, "bot": True})

    async def application(self, request: web.Request) -> web.Response:
        return as_json(
            {
                "id": str(BOT_ID),
                "name": "Botschafter",
                "description": "",
                "icon": None,
                "bot_public": True,
                "bot_require_code_grant": False,
                "owner": {**BOT_USER, "id": str(USER_ID), "username": "owner"},
                "verify_key": "0" * 64,
                "flags": 0,
            }
        )

    async def guilds(self, request: web.Request) -> web.Response:
        if not self.authorised(request):
            return as_json({"message": "401: Unauthorized", "code": 0}, status=401)
        guild = {"id": str(GUILD_ID), "name": "Wire Test", "icon": None, "owner": False}
        return as_json([{**guild, "permissions": "0", "features": []}])

    async def register_commands(self, request: web.Request) -> web.Response:
        self.commands = await request.json()
        return as_json(
            [
                {**c, "id": str(1000 + i), "application_id": str(BOT_ID)}
                for i, c in enumerate(self.commands)
            ]
        )

    async def create_message(self, request: web.Request) -> web.Response:
        """As Discord: with ``enforce_nonce``, a repeated nonce returns the first message."""
        body = await request.json()
        nonce = body.get("nonce") if body.get("enforce_nonce") else None
        if nonce is not None and nonce in self.by_nonce:
            return as_json(self.by_nonce[nonce])
        self.posted.append(body)
        self.reply_posted.set()
        created = message_payload(
            int(request.match_info["channel"]),
            body.get("content", ""),
            BOT_USER,
            5 + len(self.posted),
        )
        if nonce is not None:
            created["nonce"] = nonce
            self.by_nonce[nonce] = created
        return as_json(created)

    async def create_thread(self, request: web.Request) -> web.Response:
        """As Discord: one thread per message, with the message's id; a second is refused."""
        message_id = request.match_info["message"]
        if message_id in self.threads:
            self.refused_threads += 1
            return as_json(
                {
                    "message": "A thread has already been created for this message",
                    "code": THREAD_ALREADY_CREATED,
                },
                status=400,
            )
        body = await request.json()
        thread = thread_payload(message_id, request.match_info["channel"], body["name"])
        self.threads[message_id] = thread
        return as_json(thread)

    async def get_channel(self, request: web.Request) -> web.Response:
        thread = self.threads.get(request.match_info["channel"])
        if thread is None:
            return as_json({"message": "Unknown Channel", "code": 10003}, status=404)
        return as_json(thread)

    async def gateway(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        self.socket = socket
        await socket.send_json({"op": 10, "d": {"heartbeat_interval": 45000}})
        async for frame in socket:
            if frame.type is not WSMsgType.TEXT:
                continue
            payload = json.loads(frame.data)
            if payload["op"] == 2:
                self.identified = payload["d"]
                if self.close_with is not None:
                    await socket.close(code=self.close_with)
                    break
                await self.dispatch("READY", ready_payload())
                await self.dispatch("GUILD_CREATE", guild_payload())
                self.ready_sent.set()
            elif payload["op"] == 1:
                await socket.send_json({"op": 11})
        return socket

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        assert self.socket is not None
        self.sequence += 1
        await self.socket.send_json({"op": 0, "t": event, "s": self.sequence, "d": data})


def as_json(data: Any, status: int = 200) -> web.Response:
    """JSON exactly as Discord labels it (discord.py checks the content type verbatim)."""
    return web.Response(
        body=json.dumps(data).encode(), status=status, content_type="application/json"
    )


def ready_payload() -> dict[str, Any]:
    return {
        "v": 10,
        "user": {**BOT_USER, "bot": True},
        "guilds": [{"id": str(GUILD_ID), "unavailable": True}],
        "session_id": "session",
        "resume_gateway_url": "ws://127.0.0.1",
        "application": {"id": str(BOT_ID), "flags": 0},
    }


def guild_payload() -> dict[str, Any]:
    everyone = {
        "id": str(GUILD_ID),
        "name": "@everyone",
        "permissions": str(discord.Permissions.general().value),
        "position": 0,
        "color": 0,
        "hoist": False,
        "managed": False,
        "mentionable": False,
    }
    return {
        "id": str(GUILD_ID),
        "name": "Wire Test",
        "icon": None,
        "owner_id": str(USER_ID),
        "roles": [everyone],
        "channels": [
            {
                "id": str(CHANNEL_ID),
                "type": 0,
                "name": "general",
                "position": 0,
                "permission_overwrites": [],
            }
        ],
        "members": [{"user": {**BOT_USER, "bot": True}, **member_payload()}],
        "member_count": 2,
        "emojis": [],
        "stickers": [],
        "features": [],
        "threads": [],
        "voice_states": [],
        "presences": [],
        "preferred_locale": "en-US",
        "large": False,
        "unavailable": False,
        "joined_at": "2026-01-01T00:00:00+00:00",
    }


def member_payload() -> dict[str, Any]:
    return {
        "roles": [],
        "joined_at": "2026-01-01T00:00:00+00:00",
        "deaf": False,
        "mute": False,
        "flags": 0,
    }


def thread_payload(thread_id: str, parent_id: str, name: str) -> dict[str, Any]:
    return {
        "id": thread_id,
        "guild_id": str(GUILD_ID),
        "parent_id": parent_id,
        "owner_id": str(BOT_ID),
        "name": name,
        "type": 11,
        "message_count": 0,
        "member_count": 1,
        "thread_metadata": {
            "archived": False,
            "auto_archive_duration": 10080,
            "archive_timestamp": "2026-01-01T00:00:00+00:00",
            "locked": False,
        },
    }


def message_payload(
    channel_id: int, content: str, author: dict[str, Any], message_id: int
) -> dict[str, Any]:
    return {
        "id": str(message_id),
        "channel_id": str(channel_id),
        "guild_id": str(GUILD_ID),
        "author": author,
        "content": content,
        "timestamp": "2026-01-01T00:00:00+00:00",
        "edited_timestamp": None,
        "tts": False,
        "mention_everyone": False,
        "mentions": [],
        "mention_roles": [],
        "attachments": [],
        "embeds": [],
        "pinned": False,
        "type": 0,
    }


@pytest.fixture
async def fake(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeDiscord]:
    async with serving(FakeDiscord(), monkeypatch) as server:
        yield server


@asynccontextmanager
async def serving(
    server: FakeDiscord, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[FakeDiscord]:
    """Serve `server` on 127.0.0.1 and point discord.py's REST and gateway URLs at it."""
    runner = web.AppRunner(server.app())
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    monkeypatch.setattr(discord.http.Route, "BASE", f"http://127.0.0.1:{port}/api/v10")
    monkeypatch.setattr(
        discord.gateway.DiscordWebSocket,
        "DEFAULT_GATEWAY",
        yarl.URL(f"ws://127.0.0.1:{port}/gateway"),
    )
    try:
        yield server
    finally:
        await runner.cleanup()


async def started(settings: Settings, token: str) -> App:
    """The app with the Discord adapter, not yet connected (as `python -m bot` builds it)."""
    # Discord waits up to two seconds for further servers before "ready"; there is one.
    options = DiscordOptions(token=SecretStr(token), guild_ready_timeout=0.05)
    return await App.create(
        settings, [DiscordAdapter(options)], clock=VirtualClock(), cog_types=[PongCog]
    )


async def test_the_bot_connects_receives_a_message_and_replies(
    fake: FakeDiscord, settings: Settings
) -> None:
    app = await started(settings, fake.token)
    try:
        await asyncio.wait_for(app.start(), WAIT)
        assert fake.identified["intents"] == EXPECTED_INTENTS
        assert fake.identified["token"] == fake.token
        await asyncio.wait_for(fake.ready_sent.wait(), WAIT)
        author = {"id": str(USER_ID), "username": "ben", "discriminator": "0", "avatar": None}
        ping = message_payload(CHANNEL_ID, "!ping", author, 4)
        ping["member"] = member_payload()
        await fake.dispatch("MESSAGE_CREATE", ping)
        await asyncio.wait_for(fake.reply_posted.wait(), WAIT)
        assert app.adapters[0].is_connected()  # type: ignore[attr-defined]  # /readyz
    finally:
        await app.close()
    assert not app.adapters[0].is_connected()  # type: ignore[attr-defined]
    (reply,) = fake.posted
    assert reply["content"] == f"pong <@{USER_ID}>"
    # Only the explicit mention may ping; no @everyone, no roles, no reply ping.
    assert reply["allowed_mentions"] == {"parse": [], "users": [USER_ID], "roles": []}
    assert {c["name"] for c in fake.commands} == set(), "PongCog declares no commands"


async def test_a_post_retried_after_a_crash_is_not_posted_twice(
    fake: FakeDiscord, settings: Settings
) -> None:
    """The contract's nonce test (skipped on simcord, which ignores nonces) on a fake that
    de-duplicates on ``enforce_nonce`` as Discord does."""
    app = await started(settings, fake.token)
    community = Community("discord", str(GUILD_ID))
    channel = ChannelRef(community, str(CHANNEL_ID), "general")
    try:
        await asyncio.wait_for(app.start(), WAIT)
        await asyncio.wait_for(fake.ready_sent.wait(), WAIT)
        rig = contract.Rig(
            app.services.platforms.for_community(community),
            channel,
            UserRef(community, str(USER_ID)),
            UserRef(community, str(USER_ID)),
            lambda where: [p["content"] for p in fake.posted if where.id == str(CHANNEL_ID)],
        )
        await contract.test_a_post_repeated_with_its_nonce_after_a_crash_is_posted_once(rig)
    finally:
        await app.close()
    assert all(p["enforce_nonce"] is True and len(p["nonce"]) <= 25 for p in fake.posted)


async def test_opening_a_thread_again_returns_the_one_discord_already_has(
    fake: FakeDiscord, settings: Settings
) -> None:
    """A recovering OpenThread after a crash: the first attempt opened the thread but its
    answer was lost. Discord refuses a second thread (160004); the adapter finds the first."""
    app = await started(settings, fake.token)
    channel = ChannelRef(Community("discord", str(GUILD_ID)), str(CHANNEL_ID), "general")
    try:
        await asyncio.wait_for(app.start(), WAIT)
        await asyncio.wait_for(fake.ready_sent.wait(), WAIT)
        discord_platform = app.services.platforms.for_community(channel.community)
        tracker = await discord_platform.send(channel, OutgoingMessage.of("Ticket #1"))
        first = await discord_platform.open_thread(tracker, "Ticket #1: login")
        again = await discord_platform.open_thread(tracker, "Ticket #1: login")
    finally:
        await app.close()
    assert again == first
    assert (first.id, first.name, first.parent_id) == (tracker.id, "Ticket #1: login", channel.id)
    assert list(fake.threads) == [tracker.id] and fake.refused_threads == 1


async def test_a_rejected_token_is_one_clear_error(
    fake: FakeDiscord, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    app = await started(settings, "wrong-token")
    try:
        with pytest.raises(ConfigError) as raised:
            await asyncio.wait_for(app.start(), WAIT)
    finally:
        await app.close()
    message = str(raised.value)
    assert "DISCORD_TOKEN" in message and "Reset Token" in message
    assert "wrong-token" not in message and "\n" not in message
    assert not [r for r in caplog.records if r.exc_info], "no traceback in the log either"
    assert "wrong-token" not in caplog.text


async def test_an_unreachable_discord_is_one_clear_error(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    closed = await asyncio.start_server(lambda r, w: w.close(), "127.0.0.1", 0)
    port = closed.sockets[0].getsockname()[1]
    closed.close()
    await closed.wait_closed()
    monkeypatch.setattr(discord.http.Route, "BASE", f"http://127.0.0.1:{port}/api/v10")
    app = await started(settings, "any-token")
    try:
        with pytest.raises(ConfigError, match="Could not reach Discord"):
            await asyncio.wait_for(app.start(), WAIT)
    finally:
        await app.close()


async def test_missing_privileged_intents_name_the_switches(
    fake: FakeDiscord, settings: Settings
) -> None:
    fake.close_with = 4014  # Discord's "Disallowed intent(s)"
    app = await started(settings, fake.token)
    try:
        with pytest.raises(ConfigError) as raised:
            await asyncio.wait_for(app.start(), WAIT)
    finally:
        await app.close()
    message = str(raised.value)
    assert "Privileged Gateway Intents" in message
    assert "SERVER MEMBERS INTENT" in message and "MESSAGE CONTENT INTENT" in message


async def test_discord_sync_registers_every_shipped_command_on_each_server(
    fake: FakeDiscord, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    settings.discord_token = SecretStr(fake.token)
    assert (
        await sync_commands(argparse.Namespace(guild=None, declarations=cog_declarations), settings)
        == 0
    )
    names = {command["name"] for command in fake.commands}
    assert {"help", "about", "config", "ticket", "report", "Report message"} <= names
    assert f"Wire Test: {len(fake.commands)} commands registered" in capsys.readouterr().out


async def test_discord_sync_with_a_rejected_token_says_so(
    fake: FakeDiscord, settings: Settings
) -> None:
    settings.discord_token = SecretStr("wrong-token")
    with pytest.raises(ConfigError, match="Reset Token"):
        await sync_commands(argparse.Namespace(guild=None, declarations=cog_declarations), settings)
    assert fake.commands == []
