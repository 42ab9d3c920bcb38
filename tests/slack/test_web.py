"""The web board with a Slack workspace: /dashboard's sign-in link arrives by direct
message and opens the insights, trackers link to their public page once an admin turns the
board on, and /readyz follows the Socket Mode connection.

The web server is the real one (port 0 on 127.0.0.1) with ``WEB_PUBLIC_URL`` set, as
behind a reverse proxy; links in chat name the public address, requests go to the
server's own address.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from slack_fake_api import APP_TOKEN, BOT_TOKEN, TEAM_ID, SlackApiFake, shown
from slack_harness import SlackRig, open_rig
from slack_harness_users import ALICE, AMY, BEN, GENERAL, MO, TICKETS, seed

from adapters.slack import SlackAdapter, SlackOptions
from bot.app.application import App
from bot.app.web import server as web
from bot.clock import VirtualClock
from bot.settings import Settings

PUBLIC = "https://board.example.org"
CONFIG = """
[tickets]
cooldown = "off"
"""


@asynccontextmanager
async def serving(app: App, settings: Settings) -> AsyncIterator[web.WebServer]:
    """The web server over a running scheduler loop, as the runner starts it."""
    scheduler = app.services.scheduler
    loop = asyncio.create_task(scheduler.run_forever())
    try:
        async with web.serving(app.services, settings, scheduler_task=lambda: loop) as server:
            assert server is not None
            yield server
    finally:
        scheduler.stop()
        await loop


@pytest.fixture
def web_settings(settings: Settings, write_config: Callable[[str], Path]) -> Settings:
    write_config(CONFIG)
    settings.web_enabled = True
    settings.web_port = 0
    settings.web_public_url = PUBLIC
    return settings


@pytest.fixture
async def served(
    web_settings: Settings, clock: VirtualClock
) -> AsyncIterator[tuple[SlackRig, web.WebServer]]:
    async with open_rig(web_settings, clock) as rig, serving(rig.app, web_settings) as server:
        yield rig, server


def signin_path(text: str) -> str:
    found = re.search(re.escape(PUBLIC) + r"(/signin\?token=[\w.\-]+)", shown(text))
    assert found, text
    return found.group(1)


async def test_dashboard_sends_the_link_by_dm_and_it_opens_the_insights(
    served: tuple[SlackRig, web.WebServer],
) -> None:
    rig, server = served
    await rig.command(AMY, "/dashboard", channel=GENERAL)
    assert any("Anmeldelink" in reply for reply in rig.fake.private_to(AMY)), "Amy reads German"
    (direct,) = rig.fake.posts_in(f"D{AMY}")
    token = signin_path(direct.text).split("token=", 1)[1]
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{server.url}/signin?token={token}") as opened:
            assert opened.status == 200, await opened.text()
        async with http.post(
            f"{server.url}/signin", data={"token": token}, allow_redirects=False
        ) as pressed:
            assert pressed.status == 303, await pressed.text()
            insights = pressed.headers["Location"]
            session = pressed.headers["Set-Cookie"].split(";", 1)[0]
        assert insights == f"/insights/slack/{TEAM_ID}"
        async with http.get(server.url + insights, headers={"Cookie": session}) as page:
            assert page.status == 200 and "Insights for" in await page.text()


async def test_a_member_gets_no_link_and_closed_dms_are_said(
    served: tuple[SlackRig, web.WebServer],
) -> None:
    rig, _ = served
    await rig.command(BEN, "/dashboard", channel=GENERAL)
    assert "no sign-in link for you" in rig.fake.private_to(BEN)[-1]
    assert rig.fake.posts_in(f"D{BEN}") == []

    rig.fake.fail("chat.postMessage", status=200, error="messages_tab_disabled")
    await rig.command(MO, "/dashboard", channel=GENERAL)
    told = rig.fake.private_to(MO)[-1]
    assert "cannot send you direct messages" in told and "sent you" not in told


async def test_trackers_link_their_public_page_once_the_board_is_on(
    served: tuple[SlackRig, web.WebServer],
) -> None:
    rig, server = served
    await rig.command(BEN, "/ticket open Dark mode", channel=GENERAL)
    assert not any(PUBLIC in m.text for m in rig.fake.posts_in(TICKETS)), "off by default"

    await rig.command(ALICE, "/config set community.board on", channel=GENERAL)
    await rig.command(BEN, "/ticket open Offline maps", channel=GENERAL)
    tracker = next(m for m in rig.fake.posts_in(TICKETS) if "Offline maps" in m.text)
    page = f"/board/slack/{TEAM_ID}/2"
    assert f"{PUBLIC}{page}" in shown(tracker.text) + str(tracker.blocks)
    async with aiohttp.ClientSession() as http, http.get(server.url + page) as response:
        assert response.status == 200 and "Offline maps" in await response.text()


async def readiness(server: web.WebServer) -> tuple[int, dict[str, Any]]:
    async with aiohttp.ClientSession() as http, http.get(server.url + "/readyz") as response:
        return response.status, await response.json()


async def test_readyz_follows_the_socket_mode_connection(
    web_settings: Settings, clock: VirtualClock
) -> None:
    fake = SlackApiFake()
    seed(fake)
    await fake.start()
    adapter = SlackAdapter(
        SlackOptions(bot_token=BOT_TOKEN, app_token=APP_TOKEN, api_url=fake.api_url)
    )
    app = await App.create(web_settings, [adapter], clock=clock)
    try:
        await adapter.start(app)
        async with serving(app, web_settings) as server:
            status, body = await readiness(server)
            assert status == 200, body
            assert body["checks"]["platforms"] == {"slack": {"ok": True}}

            fake.fail("apps.connections.open", status=200, error="internal_error", times=100)
            for socket in fake.sockets:
                await socket.close()  # Slack drops the socket and cannot hand out another
            for _ in range(200):  # the socket client notices the close within moments
                status, body = await readiness(server)
                if status != 200:
                    break
                await asyncio.sleep(0.05)
            assert status == 503 and body["checks"]["platforms"] == {"slack": {"ok": False}}
    finally:
        await app.close()
        await fake.close()
