"""How Slack reaches the bot: Socket Mode (the default) or signed HTTP requests.

Socket Mode opens an outbound WebSocket with the app-level token, so the bot needs no
public URL, certificate or open port. HTTP mode runs a small aiohttp server that Slack
posts to. Its signature is checked first (`adapters.slack.signature`): anything unsigned,
wrongly signed or stale gets 401 and one log line, before the body is parsed. A signed
body that is not a Slack payload gets 400 and one log line. Only then does bolt see it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections.abc import Callable
from typing import Protocol

from aiohttp import ClientError, WSMessage, web
from pydantic import SecretStr
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.errors import SlackApiError
from slack_sdk.socket_mode.aiohttp import SocketModeClient
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.errors import code_of
from adapters.slack.signature import signature_problem
from bot.errors import PlatformUnavailable

log = logging.getLogger(__name__)
# slack_sdk's socket client logs here (under bolt's logger, so bot.logs holds it at INFO).
SOCKET_LOG = logging.getLogger("adapters.slack.bolt.socket_mode")
# slack_sdk's ping interval, which is also how long its reconnect loop waits between tries.
PING_SECONDS = 10.0
# Without a socket for this many pings, the bot asks Slack for a new URL itself.
PINGS_WITHOUT_SOCKET = 3
# The longest wait between two new URLs while Slack stays out of reach.
LONGEST_WAIT_SECONDS = 300.0
# A Socket Mode URL's one-time ticket, and tokens, as they may appear in a library's line.
_SECRETS = re.compile(r"(?<=ticket=)[^&\s'\"]+|(?<=\b(xapp|xox[abepr])-)[\w-]+")


class Connection(Protocol):
    async def open(self) -> None: ...

    async def close(self) -> None: ...

    # Whether events can reach the bot now (what /readyz reports).
    def is_connected(self) -> bool: ...


class RedactSocketSecrets(logging.Filter):
    """slack_sdk puts the socket URL into its lines (and into the aiohttp error it logs
    with a traceback); its ticket opens a connection as this app, so it never reaches the
    log, and neither does a token."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = _redacted(record.getMessage()), ()
        if record.exc_info:
            # The traceback's last line repeats the URL: keep the text, redacted.
            formatted = record.exc_text or logging.Formatter().formatException(record.exc_info)
            record.exc_info, record.exc_text = None, _redacted(formatted)
        return True


def _redacted(text: str) -> str:
    return _SECRETS.sub("[redacted]", text)


_REDACT = RedactSocketSecrets()


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
        self._watchdog: asyncio.Task[None] | None = None
        # Called on every "hello": the first connection and each reconnection the socket
        # client makes by itself (Slack rotates sockets every few hours, networks drop).
        self._on_connected = on_connected

    async def open(self) -> None:
        """Ask for a WebSocket URL first, so a bad app token fails here, once, clearly
        (the socket client itself would retry it forever)."""
        token = self._app_token.get_secret_value()
        opened = await self._client.apps_connections_open(app_token=token)
        SOCKET_LOG.addFilter(_REDACT)
        handler = AsyncSocketModeHandler(
            self._bolt,
            token,
            logger=SOCKET_LOG,
            web_client=self._client,
            ping_interval=PING_SECONDS,
        )
        handler.client.wss_uri = opened["url"]
        handler.client.on_message_listeners.append(self._hello)
        self._handler = handler
        # Before connecting: the first handshake can fail on a spent URL as well.
        self._watchdog = asyncio.create_task(self._watch(handler.client, token))
        await handler.connect_async()
        log.info("connected to Slack over Socket Mode")

    async def _watch(self, client: SocketModeClient, token: str) -> None:
        """Give slack_sdk a new URL whenever no socket has been open for a few pings.

        Its reconnect loop asks for a new URL only when it has none; after a failed
        handshake it retries the same URL, whose one-time ticket may be spent or expired,
        forever (as slackapi/python-slack-sdk#1379 was for its other backend; see #1446).
        The loop picks up a new ``wss_uri`` on its next try; a drop whose new URL works
        never gets here.
        """
        loop = asyncio.get_running_loop()
        delay = PING_SECONDS * PINGS_WITHOUT_SOCKET
        down_since: float | None = None
        next_try = 0.0
        asked = False
        while not client.closed:
            await asyncio.sleep(PING_SECONDS)
            now = loop.time()
            if self.is_connected():
                if asked and down_since is not None:
                    log.info(
                        "connected to Slack again after %.0f s without a socket", now - down_since
                    )
                down_since, asked, delay = None, False, PING_SECONDS * PINGS_WITHOUT_SOCKET
            elif down_since is None:
                down_since, next_try = now, now + delay
            elif now >= next_try:
                asked, delay = True, min(delay * 2, LONGEST_WAIT_SECONDS)
                next_try = now + delay
                await self._renew(client, token, now - down_since, delay)

    async def _renew(
        self, client: SocketModeClient, token: str, down_for: float, delay: float
    ) -> None:
        """One new URL for slack_sdk's loop; a failure is one line, never the URL."""
        try:
            opened = await self._client.apps_connections_open(app_token=token)
        except Exception as error:  # any failure: the watchdog lives on to try again
            log.warning(
                "No socket to Slack for %.0f s, and Slack gave no new Socket Mode URL (%s); "
                "trying again in %.0f s.",
                down_for,
                _why_no_url(error),
                delay,
            )
            return
        client.wss_uri = opened["url"]
        log.warning(
            "No socket to Slack for %.0f s; connecting with a new Socket Mode URL.", down_for
        )

    async def close(self) -> None:
        watchdog, self._watchdog = self._watchdog, None
        if watchdog is not None:
            watchdog.cancel()
            await asyncio.wait([watchdog])
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


def _why_no_url(error: Exception) -> str:
    """Slack's error code, or a network error's text; only the type of anything else,
    whose text could hold anything (a URL with its ticket)."""
    if isinstance(error, SlackApiError):
        return code_of(error) or type(error).__name__
    if isinstance(error, PlatformUnavailable | ClientError | OSError):
        return str(error) or type(error).__name__
    return type(error).__name__
