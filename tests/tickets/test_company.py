"""Escalation to the company: channel summary and a webhook on a local test server.

The webhook is an outbox call: an outage is retried with the outbox's back-off (5 s, 30 s,
2 min, 10 min, 30 min, then hourly, 26 tries in about 21 hours), a refusal is final."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest

from bot.app.local_session import LocalSession
from bot.delivery import RETRY_DELAYS
from cogs.tickets.company import idempotency_key
from storage.outbox import OutboxRepository
from storage.tickets import Status
from tests.tickets.desk import Desk

# aiohttp comes with the slack extra; the webhook is optional without it (docs/tickets.md).
web = pytest.importorskip("aiohttp.web")


@dataclass
class Endpoint:
    url: str
    received: list[dict[str, Any]] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)  # the Idempotency-Key of every request
    failures_left: int = 0
    status: int = 503  # what a failure answers


@pytest.fixture
async def endpoint() -> AsyncIterator[Endpoint]:
    """A company webhook on 127.0.0.1: records what it receives, can fail on purpose."""
    state = Endpoint("")

    async def hook(request: web.Request) -> web.Response:
        state.keys.append(request.headers.get("Idempotency-Key", ""))
        if state.failures_left:
            state.failures_left -= 1
            return web.Response(status=state.status)
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
    counts = await OutboxRepository(desk.session.app.services.db).count_by_status()
    assert counts.get("failed", 0) == 0


async def test_every_try_of_one_escalation_carries_the_same_idempotency_key(
    desk: Desk, endpoint: Endpoint
) -> None:
    endpoint.failures_left = 1
    await use_webhook(desk, endpoint.url)
    await desk.open("Ben")
    await desk.open("Cy", "Offline mode")
    await desk.run("Amy", "/ticket escalate #1 Asked product")
    await desk.advance(timedelta(minutes=1))
    await desk.run("Amy", "/ticket escalate #2 Asked product too")
    await desk.advance(timedelta(minutes=1))
    first, retry, second = endpoint.keys
    assert first == retry and first != second  # a company endpoint can drop a repeat
    assert len(first) == 32 and "local" not in first
    [entry] = [e for e in await outbox_rows(desk) if e["kind"] == "call"][:1]
    assert first == idempotency_key(entry["idempotency_key"])


async def test_a_webhook_that_refuses_is_not_asked_again(desk: Desk, endpoint: Endpoint) -> None:
    endpoint.failures_left, endpoint.status = 100, 404
    await use_webhook(desk, endpoint.url)
    await desk.open("Ben")
    await desk.run("Amy", "/ticket escalate #1 Asked product")
    await desk.advance(timedelta(days=2))
    host = endpoint.url.split("/")[2]
    assert len(endpoint.keys) == 1
    assert [m for m in desk.channel("ambassadors") if "ticket #1" in m] == [
        f"The company webhook refused the escalation of ticket #1 ({host} answered HTTP 404). "
        "Please pass it on by hand."
    ]


async def test_an_escalation_cut_off_by_a_crash_still_reaches_the_company_once(
    desk: Desk, endpoint: Endpoint, monkeypatch: pytest.MonkeyPatch
) -> None:
    await use_webhook(desk, endpoint.url)
    await desk.open("Ben")
    outbox = desk.session.app.services.outbox

    async def crash(*entries: Any) -> list[Any]:
        raise SystemExit("killed right after the escalation committed")

    monkeypatch.setattr(outbox, "deliver", crash)
    with pytest.raises(SystemExit):
        await desk.run("Amy", "/ticket escalate #1 Asked product")
    monkeypatch.undo()
    assert (await desk.ticket(1)).status is Status.WAITING and endpoint.received == []
    await desk.restart()
    await desk.advance(timedelta(minutes=1))
    await desk.advance(timedelta(days=1))
    assert len(endpoint.received) == 1
    assert [m for m in desk.channel("company") if "Ticket #1" in m]  # the summary too


async def test_escalation_without_anywhere_to_send_it_is_refused(desk: Desk) -> None:
    config = desk.session.app.services.config
    await config.set_override(
        desk.c.community, "community.channels.company", "", "alice", desk.clock.now()
    )
    await desk.open("Ben")
    reply = await desk.run("Amy", "/ticket escalate #1 Asked product")
    assert "There is no company channel or webhook" in reply
    assert (await desk.ticket(1)).status is Status.OPEN
    refused = await desk.run("Alice", '/config set community.channels.company "board-room"')
    assert "there is no channel “board-room” here" in refused
    # A channel deleted after it was configured (or named in the file) is refused at use:
    await config.set_override(
        desk.c.community, "community.channels.company", "board-room", "alice", desk.clock.now()
    )
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
    waits = sum(RETRY_DELAYS, timedelta())
    await desk.advance(waits - timedelta(minutes=1))
    assert not [m for m in desk.channel("ambassadors") if "did not accept" in m]
    await desk.advance(timedelta(minutes=1))  # the last attempt
    host = endpoint.url.split("/")[2]
    assert [m for m in desk.channel("ambassadors") if "did not accept" in m] == [
        "The company webhook did not accept the escalation of ticket #1 after 26 tries "
        f"({host} answered HTTP 503). Please pass it on by hand."
    ]
    assert len(endpoint.keys) == len(RETRY_DELAYS) + 1 == 26
    [call] = [e for e in await outbox_rows(desk) if e["kind"] == "call"]
    assert call["status"] == "failed"


# The parts of a webhook URL that carry its credential, as Slack and Discord put them.
SECRET_PATH = "/services/T0COMPANY/B0HOOK/s3cr3t-p4th-t0ken"
SECRET_QUERY = "sig=qu3ry-s3cret"


@dataclass
class BrokenEndpoint:
    url: str
    host: str
    answer: str = "500"  # "500", "loop" (redirects to itself) or "ok"
    received: int = 0


@pytest.fixture
async def broken() -> AsyncIterator[BrokenEndpoint]:
    """A company webhook with a secret path and query on 127.0.0.1 that is down: it
    answers 500, or redirects to itself forever, until told to answer "ok"."""
    state = BrokenEndpoint("", "")

    async def hook(request: web.Request) -> web.StreamResponse:
        if state.answer == "loop":
            raise web.HTTPFound(str(request.url))
        if state.answer == "500":
            return web.Response(status=500, text="Internal Server Error")
        state.received += 1
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post(SECRET_PATH, hook)
    runner = web.AppRunner(app, access_log=None)  # the company's log, not the bot's
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    state.host = f"127.0.0.1:{port}"
    state.url = f"http://{state.host}{SECRET_PATH}?{SECRET_QUERY}"
    yield state
    await runner.cleanup()


def assert_no_secret(text: str) -> None:
    assert "s3cr3t" not in text and "qu3ry" not in text and "B0HOOK" not in text, text


def chat(session: LocalSession) -> list[str]:
    """Everything the bot posted or replied anywhere, public or private."""
    return [m.text for m in session.community.messages]


async def outbox_rows(desk: Desk) -> list[dict[str, Any]]:
    rows = await desk.session.app.services.db.fetch_all("SELECT * FROM outbox ORDER BY id")
    return [dict(row) for row in rows]


async def stored(desk: Desk) -> str:
    """Everything the outbox and the jobs table hold, payloads and errors included."""
    db = desk.session.app.services.db
    jobs = [dict(row) for row in await db.fetch_all("SELECT * FROM jobs")]
    return repr(await outbox_rows(desk)) + repr(jobs)


def webhook_attempt_lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if "tickets.company_webhook" in r.getMessage()]


async def test_a_company_webhook_that_is_down_is_reported_honestly_and_retried(
    desk: Desk, broken: BrokenEndpoint, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    caplog.set_level(logging.INFO, logger="cogs.tickets")  # the benchmark test quiets it
    await use_webhook(desk, broken.url)
    await desk.open("Ben")
    reply = await desk.run("Amy", "/ticket escalate #1 Asked product")
    assert "went out" not in reply
    assert "on its way to the company's webhook" in reply
    await desk.session.run_due_jobs()
    assert [m for m in desk.channel("ambassadors") if "ticket #1" in m] == [
        "⚠️ The company could not be reached yet with the escalation of ticket #1 "
        f"({broken.host} answered HTTP 500). The bot keeps trying for 20h42m; you will hear "
        "here whether it went out."
    ]
    await desk.advance(timedelta(seconds=10))  # the second attempt fails quietly
    assert len([m for m in desk.channel("ambassadors") if "ticket #1" in m]) == 1
    broken.answer = "ok"
    await desk.advance(timedelta(minutes=2))
    assert broken.received == 1
    assert desk.channel("ambassadors")[-1] == (
        "✅ The escalation of ticket #1 reached the company after all, on try 3."
    )
    lines = webhook_attempt_lines(caplog)
    assert [r.levelname for r in lines] == ["WARNING", "WARNING"]  # one line per failure
    assert f"{broken.host} answered HTTP 500" in lines[0].getMessage()
    assert all(r.exc_info is None for r in caplog.records)  # no tracebacks at all
    assert f"delivered to {broken.host} (attempt 3)" in caplog.text
    for text in [caplog.text, *chat(desk.session), await stored(desk)]:
        assert_no_secret(text)


async def test_a_redirect_loop_never_shows_the_webhook_url_anywhere(
    desk: Desk, broken: BrokenEndpoint, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    broken.answer = "loop"
    await use_webhook(desk, broken.url)
    await desk.open("Ben")
    await desk.run("Amy", "/ticket escalate #1 Asked product")
    await desk.session.run_due_jobs()
    await desk.advance(timedelta(minutes=15))
    assert desk.channel("ambassadors")[-1] == (
        f"The company webhook refused the escalation of ticket #1 ({broken.host} answered "
        "HTTP 302, a redirect (not followed)). Please pass it on by hand."
    )
    assert len(webhook_attempt_lines(caplog)) == 1  # a redirect is not asked again
    assert all(r.exc_info is None for r in caplog.records)
    [call] = [e for e in await outbox_rows(desk) if e["kind"] == "call"]
    assert call["status"] == "failed"
    assert call["last_error"] == f"{broken.host} answered HTTP 302, a redirect (not followed)"
    for text in [caplog.text, *chat(desk.session), await stored(desk)]:
        assert_no_secret(text)


async def test_an_unreachable_host_is_named_without_its_path(desk: Desk) -> None:
    await use_webhook(desk, f"http://127.0.0.1:9{SECRET_PATH}?{SECRET_QUERY}")
    await desk.open("Ben")
    await desk.run("Amy", "/ticket escalate #1 Asked product")
    await desk.session.run_due_jobs()
    notice = desk.channel("ambassadors")[-1]
    assert "(127.0.0.1:9 could not be reached (connection refused))" in notice
    assert_no_secret(notice)


async def test_the_ambassadors_hear_how_the_webhook_failed_in_their_language(
    desk: Desk, endpoint: Endpoint
) -> None:
    endpoint.failures_left = 100
    await use_webhook(desk, endpoint.url)
    reply = await desk.run("Alice", "/config set community.locale de")
    assert "`community.locale`" in reply, reply
    await desk.open("Ben")
    await desk.run("Amy", "/ticket escalate #1 Asked product")
    await desk.advance(timedelta(minutes=1))
    endpoint.status = 404
    await desk.advance(timedelta(days=2))
    host = endpoint.url.split("/")[2]
    notices = [m for m in desk.channel("ambassadors") if "#1" in m]
    assert any(f"({host} antwortete mit HTTP 503)" in m for m in notices), notices
    assert any(f"({host} antwortete mit HTTP 404)" in m for m in notices), notices
    assert not any("answered" in m for m in notices)
