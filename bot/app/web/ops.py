"""For whoever runs the bot: /healthz (the process answers), /readyz (it can do its work)
and /metrics (Prometheus).

/metrics answers requests from 127.0.0.1 that did not come through a proxy (a proxy on
the same machine would otherwise hand it to the internet); anyone else needs the
``WEB_METRICS_TOKEN`` as a bearer token, and without a token set, nobody else gets in.
"""

from __future__ import annotations

import asyncio
import hmac
from typing import Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry

from bot.app.web.pages import context
from bot.app.web.prometheus import BotCollector, QueueState, exposition
from storage.jobs import JobRepository
from storage.outbox import OutboxRepository

# A due job waits at most for the one before it (a job may take up to 60 s): five minutes
# late means the scheduler is stuck or far behind.
READY_LAG_SECONDS = 300.0
# A database that takes longer than this to answer "SELECT 1" is not ready.
DATABASE_TIMEOUT_SECONDS = 2.0
LOCAL_ADDRESSES = frozenset({"127.0.0.1", "::1"})
FORWARDED = ("Forwarded", "X-Forwarded-For", "X-Real-IP")
REGISTRY = web.AppKey("registry", tuple[CollectorRegistry, BotCollector])


def routes() -> list[web.RouteDef]:
    return [
        web.get("/healthz", healthz),
        web.get("/readyz", readyz),
        web.get("/metrics", metrics),
    ]


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "alive"})


async def readyz(request: web.Request) -> web.Response:
    checks = {
        "database": await _database(request),
        "platforms": _platforms(request),
        "scheduler": await _scheduler(request),
    }
    ready = (
        checks["database"]["ok"]
        and all(p["ok"] for p in checks["platforms"].values())
        and checks["scheduler"]["ok"]
    )
    body = {"status": "ready" if ready else "not ready", "checks": checks}
    return web.json_response(body, status=200 if ready else 503)


async def metrics(request: web.Request) -> web.Response:
    refusal = _refusal(request)
    if refusal is not None:
        return refusal
    ctx = context(request)
    registry, collector = request.app[REGISTRY]
    db = ctx.services.db
    collector.queues = QueueState(
        await JobRepository(db).count_by_status(),
        await OutboxRepository(db).count_by_status(),
        await _lag(request),
    )
    return web.Response(body=exposition(registry), headers={"Content-Type": CONTENT_TYPE_LATEST})


def _refusal(request: web.Request) -> web.Response | None:
    token = context(request).settings.web_metrics_token
    secret = token.get_secret_value() if token is not None else ""
    sent = request.headers.get("Authorization", "")
    if secret and hmac.compare_digest(sent.encode(), f"Bearer {secret}".encode()):
        return None
    direct = not any(h in request.headers for h in FORWARDED)
    if request.remote in LOCAL_ADDRESSES and direct:
        return None
    if secret:
        return web.json_response(
            {"error": "send the metrics token: Authorization: Bearer <WEB_METRICS_TOKEN>"},
            status=401,
            headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
        )
    return web.json_response(
        {"error": "/metrics answers only on 127.0.0.1 unless WEB_METRICS_TOKEN is set"},
        status=403,
    )


async def _database(request: web.Request) -> dict[str, Any]:
    try:
        async with asyncio.timeout(DATABASE_TIMEOUT_SECONDS):
            await context(request).services.db.fetch_value("SELECT 1")
    except Exception as error:  # unreachable, timed out, closed: not ready, say which
        return {"ok": False, "error": type(error).__name__}
    return {"ok": True}


def _platforms(request: web.Request) -> dict[str, dict[str, Any]]:
    """Each platform's connection, as its adapter reports it (one without a report, like
    the local community, is connected while the bot runs)."""
    found: dict[str, dict[str, Any]] = {}
    for platform in context(request).services.platforms:
        report = getattr(platform, "is_connected", None)
        found[platform.name] = {"ok": bool(report()) if callable(report) else True}
    return found


async def _scheduler(request: web.Request) -> dict[str, Any]:
    task = context(request).scheduler_task()
    running = task is not None and not task.done()
    try:
        lag = await _lag(request)
    except Exception as error:
        return {"ok": False, "running": running, "error": type(error).__name__}
    ok = running and lag < READY_LAG_SECONDS
    return {"ok": ok, "running": running, "lag_seconds": round(lag, 3)}


async def _lag(request: web.Request) -> float:
    """How long the most overdue job has been due; 0 when none is late."""
    services = context(request).services
    due = await services.scheduler.next_due_at()
    if due is None:
        return 0.0
    return max(0.0, (services.clock.now() - due).total_seconds())
