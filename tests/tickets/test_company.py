"""Escalation to the company: channel summary and a webhook on a local test server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest

from storage.jobs import JobRepository
from storage.tickets import Status
from tests.tickets.desk import Desk

# aiohttp comes with the slack extra; the webhook is optional without it (docs/tickets.md).
web = pytest.importorskip("aiohttp.web")


@dataclass
class Endpoint:
    url: str
    received: list[dict[str, Any]] = field(default_factory=list)
    failures_left: int = 0


@pytest.fixture
async def endpoint() -> AsyncIterator[Endpoint]:
    """A company webhook on 127.0.0.1: records what it receives, can fail on purpose."""
    state = Endpoint("")

    async def hook(request: web.Request) -> web.Response:
        if state.failures_left:
            state.failures_left -= 1
            return web.Response(status=503)
        state.received.append(await request.json())
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    state.url = f"http://127.0.0.1:{port}/hook"
    yield state
    await runner.cleanup()


async def use_webhook(desk: Desk, url: str) -> None:
    reply = await desk.run("Alice", f'/config set tickets.company_webhook "{url}"')
    assert "Saved" in reply, reply


async def test_an_escalation_is_delivered_to_the_webhook(desk: Desk, endpoint: Endpoint) -> None:
    await use_webhook(desk, endpoint.url)
    await desk.open("Ben", "Dark mode @everyone <@123>")
    await desk.run("Cy", "/ticket vote #1")
    await desk.run("Amy", "/ticket escalate #1 Please prioritise, 40 members asked")
    await desk.session.run_due_jobs()
    assert len(endpoint.received) == 1
    body = endpoint.received[0]
    assert body["ticket"]["number"] == 1 and body["ticket"]["votes"] == 1
    assert body["ticket"]["title"] == "Dark mode @everyone <@123>"
    assert body["ticket"]["note"] == "Please prioritise, 40 members asked"
    assert "@everyone" not in body["text"] and "<@123>" not in body["text"]
    assert body["content"] == body["text"] and body["allowed_mentions"] == {"parse": []}


async def test_an_unreachable_webhook_is_retried_until_it_answers(
    desk: Desk, endpoint: Endpoint
) -> None:
    endpoint.failures_left = 2
    await use_webhook(desk, endpoint.url)
    await desk.open("Ben")
    await desk.run("Amy", "/ticket escalate #1 Asked product")
    assert (await desk.ticket(1)).status is Status.WAITING  # the command did not wait for it
    await desk.session.run_due_jobs()
    assert endpoint.received == []
    await desk.advance(timedelta(minutes=3))
    assert len(endpoint.received) == 1
    await desk.advance(timedelta(hours=1))
    assert len(endpoint.received) == 1
    counts = await JobRepository(desk.session.app.services.db).count_by_status()
    assert counts.get("failed", 0) == 0


async def test_escalation_without_anywhere_to_send_it_is_refused(desk: Desk) -> None:
    config = desk.session.app.services.config
    await config.set_override(
        desk.c.community, "community.channels.company", "", "alice", desk.clock.now()
    )
    await desk.open("Ben")
    reply = await desk.run("Amy", "/ticket escalate #1 Asked product")
    assert "There is no company channel or webhook" in reply
    assert (await desk.ticket(1)).status is Status.OPEN
    await desk.run("Alice", '/config set community.channels.company "board-room"')
    assert "There is no company channel “board-room”" in await desk.run(
        "Amy", "/ticket escalate #1 Asked product"
    )
    assert (await desk.ticket(1)).status is Status.OPEN


async def test_a_webhook_that_never_answers_is_handed_back_to_the_ambassadors(
    desk: Desk, endpoint: Endpoint
) -> None:
    endpoint.failures_left = 100
    await use_webhook(desk, endpoint.url)
    await desk.open("Ben")
    await desk.run("Amy", "/ticket escalate #1 Asked product")
    await desk.session.run_due_jobs()
    await desk.advance(timedelta(minutes=14))
    assert not [m for m in desk.channel("ambassadors") if "did not accept" in m]
    await desk.advance(timedelta(minutes=1))  # the fifth and last attempt
    assert [m for m in desk.channel("ambassadors") if "did not accept" in m] == [
        "The company webhook did not accept the escalation of ticket #1 after 5 tries "
        "(webhook answered HTTP 503). Please pass it on by hand."
    ]
    counts = await JobRepository(desk.session.app.services.db).count_by_status()
    assert counts["failed"] == 1
