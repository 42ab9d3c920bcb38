"""A small fake Discord on 127.0.0.1: just enough REST API and gateway for discord.py.

It speaks HELLO, IDENTIFY, READY, GUILD_CREATE, dispatches and close codes on the gateway,
and the few REST routes the bot needs to log in, register commands, post and open threads.
`serving` points discord.py's REST and gateway URLs at it. Shared by the wire-level tests
(tests/discord/test_wire*.py) and the end-to-end benchmark (benchmarks/pipeline.py), so
both talk to the same Discord.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from typing import Any

import discord
import yarl
from aiohttp import WSMsgType, web
from pydantic import SecretStr

from adapters.discord import DiscordOptions
from adapters.discord.client import build_client

BOT_ID = 900000000000000001
USER_ID = 900000000000000002
GUILD_ID = 900000000000000003
CHANNEL_ID = 900000000000000004
BOT_USER = {"id": str(BOT_ID), "username": "Botschafter", "discriminator": "0", "avatar": None}
# Discord's JSON error code for "A thread has already been created for this message".
THREAD_ALREADY_CREATED = 160004


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
    # The bodies of PATCH /channels/{id}, in order: (id, body).
    channel_edits: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    commands: list[Any] = field(default_factory=list)
    socket: web.WebSocketResponse | None = None
    reply_posted: asyncio.Event = field(default_factory=asyncio.Event)
    ready_sent: asyncio.Event = field(default_factory=asyncio.Event)
    sequence: int = 0
    # RESUME: the session and sequence the client resumed from, and the frames sent again
    # then (as Discord replays what it counts as missed, each with its first sequence).
    resumed: dict[str, Any] | None = None
    replay: list[dict[str, Any]] = field(default_factory=list)
    resumed_sent: asyncio.Event = field(default_factory=asyncio.Event)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/api/v10/users/@me", self.me)
        app.router.add_get("/api/v10/oauth2/applications/@me", self.application)
        app.router.add_get("/api/v10/users/@me/guilds", self.guilds)
        app.router.add_put(
            "/api/v10/applications/{app}/guilds/{guild}/commands", self.register_commands
        )
        app.router.add_get(
            "/api/v10/applications/{app}/guilds/{guild}/commands", self.registered_commands
        )
        app.router.add_post("/api/v10/channels/{channel}/messages", self.create_message)
        app.router.add_post(
            "/api/v10/channels/{channel}/messages/{message}/threads", self.create_thread
        )
        app.router.add_get("/api/v10/channels/{channel}", self.get_channel)
        app.router.add_patch("/api/v10/channels/{channel}", self.edit_channel)
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
        return await self.registered_commands(request)

    async def registered_commands(self, request: web.Request) -> web.Response:
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

    async def edit_channel(self, request: web.Request) -> web.Response:
        """As Discord for a thread: a new name, archived or locked; an archived thread takes
        nothing but being unarchived (50083)."""
        channel = request.match_info["channel"]
        thread = self.threads.get(channel)
        if thread is None:
            return as_json({"message": "Unknown Channel", "code": 10003}, status=404)
        body = await request.json()
        self.channel_edits.append((channel, body))
        metadata = thread["thread_metadata"]
        if metadata["archived"] and body.get("archived") is not False:
            return as_json({"message": "Thread is archived", "code": 50083}, status=400)
        if "name" in body:
            thread["name"] = body["name"]
        for flag in ("archived", "locked"):
            if flag in body:
                metadata[flag] = body[flag]
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
                await self.dispatch("READY", self.ready())
                for guild in self.guilds_created():
                    await self.dispatch("GUILD_CREATE", guild)
                self.ready_sent.set()
            elif payload["op"] == 6:
                self.resumed = payload["d"]
                for replayed in self.replay:
                    await socket.send_json(replayed)
                await self.dispatch("RESUMED", {})
                self.resumed_sent.set()
            elif payload["op"] == 1:
                await socket.send_json({"op": 11})
        return socket

    def ready(self) -> dict[str, Any]:
        """The READY dispatch; a fake with more servers names them all."""
        return ready_payload()

    def guilds_created(self) -> list[dict[str, Any]]:
        """One GUILD_CREATE per server, sent after READY."""
        return [guild_payload()]

    async def dispatch(self, event: str, data: dict[str, Any]) -> dict[str, Any]:
        """Send one dispatch with the next sequence number; the frame, to replay it."""
        assert self.socket is not None
        self.sequence += 1
        frame = {"op": 0, "t": event, "s": self.sequence, "d": data}
        await self.socket.send_json(frame)
        return frame


def as_json(data: Any, status: int = 200) -> web.Response:
    """JSON exactly as Discord labels it (discord.py checks the content type verbatim)."""
    return web.Response(
        body=json.dumps(data).encode(), status=status, content_type="application/json"
    )


async def parsing_gateway() -> tuple[discord.Client, Any]:
    """discord.py's gateway parser on a client built as the bot builds it, with no socket:
    frames go in through the gateway's ``received_message`` as they would from Discord
    (the setup hook a login runs first is done, so READY can be parsed)."""
    client = build_client(DiscordOptions(token=SecretStr("unused"), guild_ready_timeout=0))
    ws = discord.gateway.DiscordWebSocket(None, loop=asyncio.get_running_loop())
    ws._connection = client._connection
    ws._discord_parsers = client._connection.parsers
    ws._dispatch = client.dispatch
    ws.shard_id = None
    await client._async_setup_hook()
    return client, ws


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
    channel_id: int,
    content: str,
    author: dict[str, Any],
    message_id: int,
    guild_id: int = GUILD_ID,
) -> dict[str, Any]:
    return {
        "id": str(message_id),
        "channel_id": str(channel_id),
        "guild_id": str(guild_id),
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


@asynccontextmanager
async def serving(server: FakeDiscord) -> AsyncIterator[FakeDiscord]:
    """Serve `server` on 127.0.0.1 and point discord.py's REST and gateway URLs at it."""
    async with listening(server) as port:
        with discord_at(port):
            yield server


@asynccontextmanager
async def listening(server: FakeDiscord, port: int = 0) -> AsyncIterator[int]:
    """Serve `server` on `port` of 127.0.0.1 (0: a free one); yields the port."""
    runner = web.AppRunner(server.app())
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    try:
        yield site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    finally:
        await runner.cleanup()


@contextmanager
def discord_at(port: int) -> Iterator[None]:
    """Point discord.py's REST and gateway URLs at 127.0.0.1:`port`; restore them after."""
    route, socket = discord.http.Route, discord.gateway.DiscordWebSocket
    before = route.BASE, socket.DEFAULT_GATEWAY
    route.BASE = f"http://127.0.0.1:{port}/api/v10"
    socket.DEFAULT_GATEWAY = yarl.URL(f"ws://127.0.0.1:{port}/gateway")
    try:
        yield
    finally:
        route.BASE, socket.DEFAULT_GATEWAY = before
