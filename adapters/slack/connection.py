"""How Slack reaches the bot: Socket Mode (the default) or signed HTTP requests.

Socket Mode opens an outbound WebSocket with the app-level token, so the bot needs no
public URL, certificate or open port. HTTP mode runs a small aiohttp server that Slack
posts to; bolt verifies every request's signature (HMAC of the body with the signing
secret) and rejects bad or stale ones (older than five minutes) with 401 before anything
else runs.
"""

from __future__ import annotations

import logging
from typing import Protocol

from aiohttp import web
from pydantic import SecretStr
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.app.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

log = logging.getLogger(__name__)


class Connection(Protocol):
    async def open(self) -> None: ...

    async def close(self) -> None: ...


class SocketModeConnection:
    def __init__(self, bolt: AsyncApp, app_token: SecretStr, client: AsyncWebClient) -> None:
        self._bolt = bolt
        self._app_token = app_token
        self._client = client
        self._handler: AsyncSocketModeHandler | None = None

    async def open(self) -> None:
        """Ask for a WebSocket URL first, so a bad app token fails here, once, clearly
        (the socket client itself would retry it forever)."""
        token = self._app_token.get_secret_value()
        opened = await self._client.apps_connections_open(app_token=token)
        handler = AsyncSocketModeHandler(self._bolt, token, web_client=self._client)
        handler.client.wss_uri = opened["url"]
        self._handler = handler
        await handler.connect_async()
        log.info("connected to Slack over Socket Mode")

    async def close(self) -> None:
        if self._handler is not None:
            await self._handler.close_async()
            self._handler = None


class HttpConnection:
    def __init__(self, bolt: AsyncApp, host: str, port: int, path: str) -> None:
        self._bolt = bolt
        self._host = host
        self._port = port
        self._path = path
        self._runner: web.AppRunner | None = None

    async def open(self) -> None:
        server = self._bolt.server(port=self._port, path=self._path, host=self._host)
        server.web_app.router.add_get("/healthz", _healthy)
        runner = web.AppRunner(server.web_app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, self._host, self._port)
        await site.start()
        self._runner = runner
        log.info("listening for Slack on http://%s:%d%s", self._host, self.port, self._path)

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


async def _healthy(request: web.Request) -> web.Response:
    """For load balancers and container health checks; says nothing about Slack."""
    return web.Response(text="ok")
