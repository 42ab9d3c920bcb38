"""The aiohttp server: routes from each page module, security headers, static files, and
starting and stopping with the bot.

`ROUTES` is the registry: a page module offers ``routes()`` and is listed here (signed-in
insights would be one more module). A port already in use does not stop the bot: its chat
work matters more than the board, so it runs on without the web server and says so in
one line (a supervisor restarting it would meet the same busy port).
"""

from __future__ import annotations

import errno
import logging
import sys
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from pathlib import Path

from aiohttp import web

from bot.app.web import board, feeds, insights, ops, paths
from bot.app.web.context import WebContext
from bot.app.web.language import load_texts
from bot.app.web.pages import CONTEXT, environment, not_found, presenter
from bot.app.web.prometheus import registry_for
from bot.app.web.rate_limits import RateLimitWaits
from bot.app.web.security import Handler, security_headers
from bot.cog import Services
from bot.model import Community
from bot.settings import Settings

log = logging.getLogger(__name__)

ROUTES: tuple[Callable[[], list[web.RouteDef]], ...] = (
    board.routes,
    feeds.routes,
    ops.routes,
    insights.routes,
)
STATIC = Path(__file__).parent / "static"


class WebUnavailable(Exception):
    """The server could not listen; the message says where and what to do."""


def build(context: WebContext) -> web.Application:
    app = web.Application(middlewares=[security_headers, _pages_for_errors])
    app[CONTEXT] = context
    app[ops.REGISTRY] = registry_for(context.services.metrics)
    for routes in ROUTES:
        app.add_routes(routes())
    app.router.add_static("/static", STATIC)
    return app


def make_context(
    services: Services,
    settings: Settings,
    *,
    served: Iterable[str] = (),
    scheduler_task: Callable[[], object] = lambda: None,
) -> WebContext:
    return WebContext(
        services,
        settings,
        load_texts(),
        environment(),
        served=frozenset(served),
        scheduler_task=scheduler_task,  # type: ignore[arg-type]
    )


class WebServer:
    def __init__(self, context: WebContext, host: str, port: int) -> None:
        self.context = context
        self._host = host
        self._port = port
        self._runner: web.AppRunner | None = None
        self._waits = RateLimitWaits(context.services.metrics)

    async def start(self) -> None:
        runner = web.AppRunner(build(self.context), access_log=None)
        await runner.setup()
        try:
            await web.TCPSite(runner, self._host, self._port).start()
        except OSError as error:
            await runner.cleanup()
            raise WebUnavailable(_why(self._host, self._port, error)) from None
        self._runner = runner
        self._waits.install()

    @property
    def url(self) -> str:
        """Where the server listens, as a browser on this machine opens it."""
        assert self._runner is not None, "start the server first"
        host, port = self._runner.addresses[0][:2]
        shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
        return f"http://{f'[{shown}]' if ':' in shown else shown}:{port}"

    def board_url(self, community: Community) -> str:
        return f"{self.context.settings.web_public_url or self.url}{paths.board(community)}"

    async def stop(self) -> None:
        if self._runner is not None:
            self._waits.remove()
            await self._runner.cleanup()
            self._runner = None


async def start(
    services: Services,
    settings: Settings,
    *,
    served: Iterable[str] = (),
    scheduler_task: Callable[[], object] = lambda: None,
) -> WebServer | None:
    """Start the web server, if enabled; None when off or when it could not listen (said
    in one line on stderr: the bot runs on without it)."""
    if not settings.web_enabled:
        return None
    context = make_context(services, settings, served=served, scheduler_task=scheduler_task)
    server = WebServer(context, settings.web_host, settings.web_port)
    try:
        await server.start()
    except WebUnavailable as error:
        print(f"Web board not started: {error}", file=sys.stderr)
        return None
    log.info("web board and /healthz on %s", server.url)
    # Trackers link to the board where the public reaches it; the communities served here
    # (local mode) at this machine's address when no public one is set.
    services.board_url = settings.web_public_url or (server.url if served else None)
    services.web_secret = settings.web_secret.get_secret_value() if settings.web_secret else None
    return server


@asynccontextmanager
async def serving(
    services: Services,
    settings: Settings,
    *,
    served: Iterable[str] = (),
    scheduler_task: Callable[[], object] = lambda: None,
) -> AsyncIterator[WebServer | None]:
    """`start` for the length of a block, stopped after it."""
    server = await start(services, settings, served=served, scheduler_task=scheduler_task)
    try:
        yield server
    finally:
        if server is not None:
            await server.stop()


def _why(host: str, port: int, error: OSError) -> str:
    where = f"{host}:{port}"
    if error.errno == errno.EADDRINUSE:
        return (
            f"{where} is already in use (another program, or a second bot?). Set WEB_PORT"
            " to a free port, or WEB_ENABLED=false. The bot runs on without it."
        )
    return f"cannot listen on {where}: {error.strerror}. The bot runs on without it."


@web.middleware
async def _pages_for_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """An unknown address gets the same friendly page as an unknown ticket; a fault of
    ours is logged and answered with a short 500 that still carries the security headers
    (aiohttp's own would not), never a traceback."""
    try:
        return await handler(request)
    except web.HTTPNotFound:
        return not_found(request)
    except web.HTTPException:
        raise
    except Exception:
        log.exception("web: %s %s failed", request.method, request.path)
        return web.Response(status=500, text=f"{_fault(request)}\n")


# The last resort, when even the texts failed: English.
FAULT = "Something went wrong on our side; the bot's log says what."


def _fault(request: web.Request) -> str:
    """The 500's one line in the visitor's language (``web.fault``)."""
    try:
        return presenter(request).t("web.fault")
    except Exception:
        return FAULT
