"""The web board with a Discord server: /dashboard's sign-in link arrives by direct
message and opens the insights, trackers link to their public page once an admin turns the
board on, and /readyz follows the gateway connection.

The web server is the real one (port 0 on 127.0.0.1) with ``WEB_PUBLIC_URL`` set, as
behind a reverse proxy; links in chat name the public address, requests go to the
server's own address.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.app.web import server as web
from bot.app.web.sessions import COOKIE
from bot.settings import Settings

PUBLIC = "https://board.example.org"
CONFIG = """
[tickets]
cooldown = "off"
"""
DISCORD_CLOSE_DM = 50007  # Cannot send messages to this user


@dataclass
class Served:
    world: Any
    server: web.WebServer
    http: aiohttp.ClientSession

    async def get(self, path: str, **kwargs: Any) -> tuple[int, str]:
        async with self.http.get(self.server.url + path, **kwargs) as response:
            return response.status, await response.text()


@pytest.fixture
async def served(
    make_world: Any, settings: Settings, write_config: Callable[[str], Path]
) -> AsyncIterator[Served]:
    write_config(CONFIG)
    settings.web_enabled = True
    settings.web_port = 0
    settings.web_public_url = PUBLIC
    async with make_world() as world:
        scheduler = world.app.services.scheduler
        loop = asyncio.create_task(scheduler.run_forever())
        async with web.serving(world.app.services, settings, scheduler_task=lambda: loop) as server:
            assert server is not None
            async with aiohttp.ClientSession() as http:
                yield Served(world, server, http)
        scheduler.stop()
        await loop


def signin_path(text: str) -> str:
    found = re.search(re.escape(PUBLIC) + r"(/signin\?token=[\w.\-]+)", text)
    assert found, text
    return found.group(1)


async def test_dashboard_sends_the_link_by_dm_and_it_opens_the_insights(served: Served) -> None:
    world = served.world
    amy = world.people["Amy"]
    answer = await amy.slash(world.channels["general"], "dashboard")
    assert "sent you a sign-in link" in world.text_of(answer.response)
    (direct,) = amy.user.dm_channel.history()
    path = signin_path(world.text_of(direct))

    status, page = await served.get(path)
    assert status == 200, page
    token = path.split("token=", 1)[1]
    async with served.http.post(
        served.server.url + "/signin", data={"token": token}, allow_redirects=False
    ) as pressed:
        assert pressed.status == 303, await pressed.text()
        insights = pressed.headers["Location"]
        cookie = pressed.headers["Set-Cookie"]
    assert insights == f"/insights/discord/{world.guild.id}"
    assert "Secure" in cookie, "the public address is https"
    session = cookie.split(";", 1)[0]
    assert session.startswith(f"{COOKIE}=")
    status, page = await served.get(insights, headers={"Cookie": session})
    assert status == 200, page
    assert "Insights for" in page

    again = await served.http.post(
        served.server.url + "/signin", data={"token": token}, allow_redirects=False
    )
    assert again.status != 303, "a link opens once"


async def test_a_member_gets_no_link_and_closed_dms_are_said(served: Served) -> None:
    world = served.world
    ben, mo = world.people["Ben"], world.people["Mo"]
    answer = await ben.slash(world.channels["general"], "dashboard")
    assert "no sign\\-in link for you" in world.text_of(answer.response)  # - escaped
    assert ben.user.dm_channel is None or ben.user.dm_channel.history() == []

    world.env.inject_error(
        "POST", "/channels/*/messages", status=403, code=DISCORD_CLOSE_DM, times=None
    )
    answer = await mo.slash(world.channels["general"], "dashboard")
    told = world.text_of(answer.response)
    assert "cannot send you direct messages" in told and "sent you" not in told


async def test_trackers_link_their_public_page_once_the_board_is_on(served: Served) -> None:
    world = served.world
    ben, alice = world.people["Ben"], world.people["Alice"]
    await ben.slash(world.channels["general"], "ticket open", title="Dark mode")
    assert not any(PUBLIC in text for text in world.texts("tickets")), "off by default"

    answer = await alice.slash(
        world.channels["general"], "config set", key="community.board", value="on"
    )
    assert "community.board" in world.text_of(answer.response)
    await ben.slash(world.channels["general"], "ticket open", title="Offline maps")
    tracker = next(text for text in world.texts("tickets") if "Offline maps" in text)
    assert f"{PUBLIC}/board/discord/{world.guild.id}/2" in tracker
    status, page = await served.get(f"/board/discord/{world.guild.id}/2")
    assert status == 200 and "Offline maps" in page


async def test_readyz_follows_the_gateway_connection(served: Served) -> None:
    world = served.world
    async with served.http.get(served.server.url + "/readyz") as response:
        body = await response.json()
    assert response.status == 200, body
    assert body["checks"]["platforms"] == {"discord": {"ok": True}}

    await world.adapter.client.ws.close()  # the network drops the gateway session
    async with served.http.get(served.server.url + "/readyz") as response:
        body = await response.json()
    assert response.status == 503, body
    assert body["checks"]["platforms"] == {"discord": {"ok": False}}

    world.adapter.client.ws.open = True
    world.env.backend.emit("RESUMED", {})
    await world.env.settle()
    async with served.http.get(served.server.url + "/readyz") as response:
        assert response.status == 200, await response.text()
