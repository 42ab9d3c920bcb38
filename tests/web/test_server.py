"""The server as the bot runs it: started on a real port, announced, and polite about a
port that is taken."""

from __future__ import annotations

import socket

import aiohttp
import pytest

from bot.app import web
from bot.settings import Settings
from tests.tickets.desk import Desk
from tests.web.conftest import BOARD


async def test_tickets_opened_through_the_bot_show_on_the_running_board(
    desk: Desk, settings: Settings
) -> None:
    settings.web_enabled, settings.web_port = True, 0  # any free port
    services = desk.session.app.services
    server = await web.start(services, settings, served=[desk.c.community.key])
    assert server is not None
    try:
        assert server.board_url(desk.c.community) == f"{server.url}{BOARD}"
        await desk.open("Ben", "Dark mode", "category:app")
        await desk.run("Amy", "/ticket claim #1")
        async with aiohttp.ClientSession() as http:
            async with http.get(server.board_url(desk.c.community)) as response:
                text = await response.text()
            async with http.get(f"{server.url}/healthz") as health:
                assert health.status == 200
        assert response.status == 200
        assert "Dark mode" in text and "Amy" in text
    finally:
        await server.stop()


async def test_a_port_in_use_is_one_line_and_the_bot_runs_on(
    desk: Desk, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        settings.web_enabled, settings.web_port = True, taken.getsockname()[1]
        server = await web.start(desk.session.app.services, settings)
    assert server is None
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert f"127.0.0.1:{settings.web_port} is already in use" in err
    assert "The bot runs on without it." in err
    await desk.open("Ben", "Still working")  # the bot itself is unaffected


async def test_switched_off_nothing_listens(desk: Desk, settings: Settings) -> None:
    settings.web_enabled = False
    assert await web.start(desk.session.app.services, settings) is None


async def test_trackers_link_to_their_page_on_the_board(desk: Desk, settings: Settings) -> None:
    settings.web_enabled, settings.web_port = True, 0
    services = desk.session.app.services
    server = await web.start(services, settings, served=[desk.c.community.key])
    assert server is not None
    try:
        await desk.open("Ben", "Dark mode")
        assert f"{server.url}{BOARD}/1" in (await desk.tracker(1)).text
        await desk.run("Alice", "/config set community.board off")
        await desk.run("Amy", "/ticket claim #1")  # the tracker is edited: no link now
        assert f"{BOARD}/1" not in (await desk.tracker(1)).text
    finally:
        await server.stop()


async def test_platform_trackers_link_only_with_a_public_address(
    desk: Desk, settings: Settings
) -> None:
    settings.web_enabled, settings.web_port = True, 0
    server = await web.start(desk.session.app.services, settings)  # serves no local community
    assert server is not None
    try:
        await desk.open("Ben", "Dark mode")
        assert "/board/" not in (await desk.tracker(1)).text
    finally:
        await server.stop()
