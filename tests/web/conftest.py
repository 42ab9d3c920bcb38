"""Fixtures for the web server: the bot on a local community with tickets, and an aiohttp
test client on its web app (127.0.0.1, as a browser on the same machine)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.app.local_session import LocalSession
from bot.app.web.context import WebContext
from bot.app.web.server import build, make_context
from bot.clock import VirtualClock
from bot.settings import Settings
from tests.tickets.desk import TICKETS_CONFIG, Desk, new_community

BOARD = "/board/local/demo"


@pytest.fixture
async def desk(
    settings: Settings, clock: VirtualClock, write_config: Callable[[str], Path]
) -> AsyncIterator[Desk]:
    write_config(TICKETS_CONFIG)
    community = new_community()
    community.now = clock.now
    session = await LocalSession.open(settings, clock=clock, community=community)
    yield Desk(session, settings, clock)
    await session.app.close()


@pytest.fixture
def web_context(desk: Desk, settings: Settings) -> WebContext:
    return make_context(desk.session.app.services, settings, served=[desk.c.community.key])


@pytest.fixture
async def client(web_context: WebContext) -> AsyncIterator[TestClient]:
    async with TestClient(TestServer(build(web_context))) as opened:
        yield opened
