"""/healthz, /readyz and /metrics: what an operator's probes and Prometheus read."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from pydantic import SecretStr

from bot.app import web as board
from bot.app.web.context import WebContext
from bot.app.web.server import build
from bot.settings import Settings
from tests.tickets.desk import Desk

REMOTE = "203.0.113.7"


@pytest.fixture
async def running_scheduler(desk: Desk, web_context: WebContext) -> AsyncIterator[None]:
    scheduler = desk.session.app.services.scheduler
    task = asyncio.create_task(scheduler.run_forever())
    web_context.scheduler_task = lambda: task
    yield
    scheduler.stop()
    await task


async def remote_client(context: WebContext) -> TestClient:
    """A client whose requests the server sees as coming from another machine."""

    @web.middleware
    async def from_elsewhere(
        request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        return await handler(request.clone(remote=REMOTE))

    app = build(context)
    app.middlewares.insert(0, from_elsewhere)
    return TestClient(TestServer(app))


async def test_healthz_says_alive(client: TestClient) -> None:
    response = await client.get("/healthz")
    assert response.status == 200 and await response.json() == {"status": "alive"}


async def test_readyz_is_ready_with_database_platform_and_scheduler(
    client: TestClient, running_scheduler: None
) -> None:
    response = await client.get("/readyz")
    body = await response.json()
    assert response.status == 200, body
    assert body["status"] == "ready"
    assert body["checks"]["database"] == {"ok": True}
    assert body["checks"]["platforms"] == {"local": {"ok": True}}
    assert body["checks"]["scheduler"] == {"ok": True, "running": True, "lag_seconds": 0.0}


async def test_readyz_is_not_ready_without_the_scheduler_loop(client: TestClient) -> None:
    response = await client.get("/readyz")
    assert response.status == 503
    assert (await response.json())["checks"]["scheduler"]["running"] is False


async def test_readyz_reports_a_disconnected_platform(
    desk: Desk, client: TestClient, running_scheduler: None
) -> None:
    platform = next(iter(desk.session.app.services.platforms))
    platform.is_connected = lambda: False  # type: ignore[attr-defined]
    response = await client.get("/readyz")
    assert response.status == 503
    assert (await response.json())["checks"]["platforms"] == {"local": {"ok": False}}


async def test_readyz_reports_scheduler_lag_beyond_the_bound(
    desk: Desk, client: TestClient, running_scheduler: None
) -> None:
    await desk.open("Ben", "Dark mode")  # arms a first-response job, due in 24 h
    desk.session.app.services.scheduler.stop()  # the loop is stuck: nothing fires
    await asyncio.sleep(0)
    desk.clock.advance(timedelta(days=2))
    body = await (await client.get("/readyz")).json()
    assert body["checks"]["scheduler"]["ok"] is False
    assert body["checks"]["scheduler"]["lag_seconds"] == 24 * 3600


async def test_readyz_reports_an_unreachable_database(desk: Desk, client: TestClient) -> None:
    await desk.session.app.services.db.close()
    response = await client.get("/readyz")
    assert response.status == 503
    assert (await response.json())["checks"]["database"]["ok"] is False


async def test_metrics_count_events_handlers_and_actions(desk: Desk, client: TestClient) -> None:
    await desk.open("Ben", "Dark mode")
    await desk.c.post(desk.c.member("Cy"), "general", "hello there")
    response = await client.get("/metrics")
    assert response.status == 200
    assert response.content_type == "text/plain"
    text = await response.text()
    assert 'botschafter_events_total{kind="CommandInvoked",platform="local"} 1.0' in text
    assert 'botschafter_events_total{kind="MessagePosted",platform="local"}' in text
    assert 'botschafter_handler_seconds_count{cog="tickets"} 1.0' in text
    assert 'botschafter_actions_total{kind="post"}' in text
    assert 'botschafter_jobs{status="pending"}' in text
    assert "botschafter_scheduler_lag_seconds 0.0" in text
    assert "# TYPE botschafter_rule_check_seconds histogram" in text


async def test_metrics_refuse_other_machines_and_proxied_requests(
    client: TestClient, web_context: WebContext
) -> None:
    proxied = await client.get("/metrics", headers={"X-Forwarded-For": REMOTE})
    assert proxied.status == 403
    async with await remote_client(web_context) as remote:
        response = await remote.get("/metrics")
        assert response.status == 403
        assert "WEB_METRICS_TOKEN" in (await response.json())["error"]
        assert (await remote.get("/healthz")).status == 200  # the probes stay open


async def test_metrics_answer_anywhere_with_the_token(web_context: WebContext) -> None:
    web_context.settings.web_metrics_token = SecretStr("s3cret-token")
    async with await remote_client(web_context) as remote:
        assert (await remote.get("/metrics")).status == 401
        wrong = await remote.get("/metrics", headers={"Authorization": "Bearer nope"})
        assert wrong.status == 401 and wrong.headers["WWW-Authenticate"].startswith("Bearer")
        assert "s3cret" not in await wrong.text()
        right = await remote.get("/metrics", headers={"Authorization": "Bearer s3cret-token"})
        assert right.status == 200
        assert "botschafter_events_total" in await right.text()


async def test_metrics_count_rule_checks_and_flags(desk: Desk, client: TestClient) -> None:
    await desk.c.post(desk.c.member("Cy"), "general", "hello @everyone, look at this")
    text = await (await client.get("/metrics")).text()
    assert "botschafter_rule_check_seconds_count 1.0" in text
    assert 'botschafter_flags_total{rule="mass mentions"} 1.0' in text


async def test_metrics_count_rate_limit_waits_the_libraries_announce(
    desk: Desk, settings: Settings
) -> None:
    settings.web_enabled, settings.web_port = True, 0
    server = await board.start(desk.session.app.services, settings)
    assert server is not None
    try:
        logging.getLogger("discord.http").warning(
            "We are being rate limited. %s %s responded with 429. Retrying in %.2f seconds.",
            "POST",
            "/channels/1/messages",
            2.5,
        )
        logging.getLogger("adapters.slack.rate_limits").warning(
            "Slack asks to wait (HTTP 429). Retrying in %s seconds.", 3
        )
        logging.getLogger("discord.http").warning("Unrelated warning %s", 7)
        async with aiohttp.ClientSession() as http, http.get(f"{server.url}/metrics") as answer:
            text = await answer.text()
    finally:
        await server.stop()
    assert 'botschafter_rate_limit_waits_total{platform="discord"} 1.0' in text
    assert 'botschafter_rate_limit_waits_total{platform="slack"} 1.0' in text
    assert 'botschafter_rate_limit_wait_seconds_total{platform="discord"} 2.5' in text
