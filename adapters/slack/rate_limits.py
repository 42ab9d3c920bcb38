"""Slack's rate limits: wait as long as Slack asks, when there is time to wait.

Slack answers a method called too often with HTTP 429 and ``Retry-After`` (seconds). Every
Web API client the adapter builds retries such an answer with slack_sdk's own
`AsyncRateLimitErrorRetryHandler`, which sleeps for ``Retry-After`` and tries again. How
patient it is depends on who is waiting:

- while handling an event or delivering an outbox entry, two retries and no single wait
  above ten seconds, so a retried call still ends well inside the 30-second time limits of
  handlers and outbox calls; a longer wait, or a third 429, is `PlatformUnavailable` (see
  `adapters.slack.errors.translate`, which names the wait), and the outbox or scheduler
  tries again later;
- at start-up (`waiting_out_rate_limits`), when nothing waits for an answer yet, any wait
  Slack asks for, up to five minutes, ten times over: a restart during a busy minute
  starts a little later instead of failing.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

log = logging.getLogger(__name__)

TOO_MANY_REQUESTS = 429


@dataclass(frozen=True, slots=True)
class Patience:
    """How many 429s in a row one call retries, and the longest ``Retry-After`` it waits."""

    retries: int
    longest_wait: int


# Handlers and outbox calls have 30 s; two waits of at most 10 s leave room for the calls.
AT_WORK = Patience(retries=2, longest_wait=10)
# At start-up nobody waits for an answer: wait out whatever Slack asks.
AT_START_UP = Patience(retries=10, longest_wait=300)

_patience: ContextVar[Patience] = ContextVar("slack_rate_limit_patience", default=AT_WORK)


@contextmanager
def waiting_out_rate_limits() -> Iterator[None]:
    """Inside this block (in this task), wait out any 429 as long as Slack asks."""
    token = _patience.set(AT_START_UP)
    try:
        yield
    finally:
        _patience.reset(token)


class RateLimitRetry(AsyncRateLimitErrorRetryHandler):
    """slack_sdk's 429 handler (it sleeps ``Retry-After``, then retries), bounded by the
    current `Patience`: a wait longer than that is not waited at all."""

    def __init__(self) -> None:
        super().__init__(max_retry_count=AT_START_UP.retries)

    async def can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        patience = _patience.get()
        if response is None or response.status_code != TOO_MANY_REQUESTS:
            return False
        if state.current_attempt >= patience.retries:
            return False
        wait = retry_after(response.headers)
        if wait is not None and wait > patience.longest_wait:
            return False
        # Counted for /metrics (bot/app/web/rate_limits.py) by these words.
        log.warning("Slack asks to wait (HTTP 429). Retrying in %s seconds.", wait or 1)
        return True


def retry_handlers() -> list[AsyncRetryHandler]:
    """The retry handlers of every Web API client: slack_sdk's default (a dropped
    connection, once) and the rate-limit handler."""
    return [AsyncConnectionErrorRetryHandler(), RateLimitRetry()]


def retry_after(headers: Mapping[str, Any] | None) -> int | None:
    """Seconds from a ``Retry-After`` header (values may be lists, as slack_sdk keeps
    them), or None if there is none or it is no number."""
    for name, value in (headers or {}).items():
        if name.lower() != "retry-after":
            continue
        first = value[0] if isinstance(value, list | tuple) and value else value
        try:
            return int(str(first).strip())
        except ValueError:
            return None
    return None
