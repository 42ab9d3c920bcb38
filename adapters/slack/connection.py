"""How Slack reaches the bot: Socket Mode (the default) or signed HTTP requests.

Socket Mode opens an outbound WebSocket with the app-level token, so the bot needs no
public URL, certificate or open port. HTTP mode runs a small aiohttp server that Slack
posts to. Its signature is checked first (`adapters.slack.signature`): anything unsigned,
wrongly signed or stale gets 401 and one log line, before the body is parsed. A signed
body that is not a Slack payload gets 400 and one log line. Only then does bolt see it.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from typing import Protocol

from aiohttp import WSMessage, web
from pydantic import SecretStr
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.signature import signature_problem

log = logging.getLogger(__name__)


class Connection(Protocol):
    async def open(self) -> None: ...

    async def close(self) -> None: ...

    # Whether events can reach the bot now (what /readyz reports).
    def is_connected(self) -> bool: ...


class SocketModeConnection:
    def __init__(
        self,
        bolt: AsyncApp,
        app_token: SecretStr,
        client: AsyncWebClient,
        on_connected: Callable[[], None] = lambda: None,
    ) -> None:
        self._bolt = bolt
        self._app_token = app_token
        self._client = client
        self._handler: AsyncSocketModeHandler | None = None
        # Called on every "hello": the first connection and each reconnection the socket
        # client makes by itself (Slack rotates sockets every few hours, networks drop).
        self._on_connected = on_connected

    async def open(self) -> None:
        """Ask for a WebSocket URL first, so a bad app token fails here, once, clearly
        (the socket client itself would retry it forever)."""
        token = self._app_token.get_secret_value()
        opened = await self._client.apps_connections_open(app_token=token)
        handler = AsyncSocketModeHandler(self._bolt, token, web_client=self._client)
        handler.client.wss_uri = opened["url"]
        handler.client.on_message_listeners.append(self._hello)
        self._handler = handler
        await handler.connect_async()
        log.info("connected to Slack over Socket Mode")

    async def close(self) -> None:
        if self._handler is not None:
            await self._handler.close_async()
            self._handler = None

    def is_connected(self) -> bool:
        """A socket is open (between Slack's rotations there is a moment without one)."""
        if self._handler is None or self._handler.client.closed:
            return False
        session = self._handler.client.current_session
        return session is not None and not session.closed

    async def _hello(self, message: WSMessage) -> None:
        """Slack greets each new socket with ``{"type": "hello"}``; events sent while no
        socket was open were never delivered, so the bot catches up."""
        if '"hello"' in str(message.data) and json.loads(message.data).get("type") == "hello":
            self._on_connected()


class HttpConnection:
    def __init__(
        self, bolt: AsyncApp, signing_secret: SecretStr, host: str, port: int, path: str
    ) -> None:
        self._bolt = bolt
        self._signing_secret = signing_secret
        self._host = host
        self._port = port
        self._path = path
        self._runner: web.AppRunner | None = None

    async def open(self) -> None:
        web_app = web.Application()
        web_app.router.add_post(self._path, self._receive)
        web_app.router.add_get("/healthz", _healthy)
        runner = web.AppRunner(web_app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, self._host, self._port)
        await site.start()
        self._runner = runner
        log.info("listening for Slack on http://%s:%d%s", self._host, self.port, self._path)

    async def _receive(self, request: web.Request) -> web.Response:
        """Signature first, then parsing, then bolt; a refusal is one line, no traceback."""
        body = await request.read()
        problem = signature_problem(self._signing_secret, body, request.headers, time.time())
        if problem is not None:
            log.warning("refused a request from %s: %s (401)", request.remote, problem)
            return web.Response(status=401)
        try:
            parsed = AsyncBoltRequest(
                body=body.decode("utf-8"),
                query=request.query_string,
                headers=dict(request.headers),
            )
            if not isinstance(parsed.body, dict):
                raise TypeError("not a JSON object")
        except (ValueError, TypeError, AttributeError) as error:
            # ValueError covers bad UTF-8 and bad JSON; the others, JSON that is no object.
            log.warning(
                "refused a signed request from %s: the body is no Slack payload (%s) (400)",
                request.remote,
                type(error).__name__,
            )
            return web.Response(status=400)
        return await to_aiohttp_response(await self._bolt.async_dispatch(parsed))

    @property
    def port(self) -> int:
        """The bound port (useful when 0 asked the system for a free one)."""
        if self._runner is None:
            return self._port
        for address in self._runner.addresses:
            if isinstance(address, tuple):
                return int(address[1])
        return self._port

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def is_connected(self) -> bool:
        """Listening: Slack's requests reach the bot."""
        return self._runner is not None


async def _healthy(request: web.Request) -> web.Response:
    """For load balancers and container health checks; says nothing about Slack."""
    return web.Response(text="ok")
