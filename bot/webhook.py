"""Posting JSON to a webhook, and naming a webhook without giving its secret away.

A webhook URL is a credential: Slack and Discord put the token in its path, other services
in its query. So the URL is a `SecretStr` everywhere, its secret value is read only in
`post_to_webhook`, and every failure becomes a `WebhookError` whose text names just the
host and what went wrong. That text is what chat notices, log lines and the jobs table
show; an HTTP library's own exception text (which quotes the whole URL, e.g. on a redirect
loop) is never passed on.

The call is one small function so it can move behind the delivery outbox unchanged. It
needs aiohttp, imported only when a webhook is actually called.
"""

from __future__ import annotations

import socket
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from pydantic import SecretStr

from bot.errors import TemporaryFailure

# An endpoint that needs longer than this is down for our purposes; the caller retries.
TIMEOUT_SECONDS = 10
# Client errors that say "not now" rather than "never": request timeout, too early, too
# many requests.
_WORTH_ASKING_AGAIN = frozenset({408, 425, 429})


class WebhookError(TemporaryFailure):
    """A webhook call that did not succeed. Its text is safe to show, log and store.

    `permanent` when asking again cannot help: the endpoint refused the request (HTTP 4xx
    other than 408, 425 and 429) or redirected it. An outage (no answer, 5xx) is not."""

    def __init__(
        self,
        host: str,
        reason: str,
        *,
        permanent: bool = False,
        why: str = "failed",
        details: Mapping[str, str | int] | None = None,
    ) -> None:
        super().__init__(f"{host} {reason}")
        self.host = host
        self.reason = reason
        self.permanent = permanent
        # What happened as a code and its values, for a text in the reader's language (the
        # message above is the log's, in English): timeout, unknown_host, refused_connection,
        # unreachable, failed, redirect, status.
        self.why = why
        self.details: dict[str, str | int] = dict(details or {})


def webhook_host(url: SecretStr) -> str:
    """The only part of a webhook URL that may be shown anywhere: host and port.

    The path and query are left out because they carry the credential.
    """
    try:
        parts = urlsplit(url.get_secret_value().strip())
        host, port = parts.hostname, parts.port
    except ValueError:  # a port that is not a number, an unbalanced [IPv6] bracket
        return "(invalid address)"
    if not host:
        return "(invalid address)"
    return f"{host}:{port}" if port else host


async def post_to_webhook(
    url: SecretStr, payload: Mapping[str, Any], headers: Mapping[str, str] | None = None
) -> None:
    """POST `payload` as JSON (with extra `headers`, e.g. an ``Idempotency-Key``); raise
    `WebhookError` unless the endpoint answers 2xx.

    Redirects are not followed: a webhook answers where it is, and following one would
    hand the payload to an address nobody configured (a loop would also put the full URL
    into aiohttp's error text).
    """
    import aiohttp  # optional: only deployments with a webhook need it

    host = webhook_host(url)
    timeout = aiohttp.ClientTimeout(total=TIMEOUT_SECONDS)
    try:
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            session.post(
                url.get_secret_value(),
                json=payload,
                headers=dict(headers or {}),
                allow_redirects=False,
            ) as answer,
        ):
            status = answer.status
    except TimeoutError:
        raise WebhookError(
            host,
            f"did not answer within {TIMEOUT_SECONDS} s",
            why="timeout",
            details={"seconds": TIMEOUT_SECONDS},
        ) from None
    except aiohttp.ClientConnectorError as error:
        why, words = _why(error.os_error)
        raise WebhookError(
            host, f"could not be reached ({words})", why=why, details={"name": words}
        ) from None
    except (aiohttp.ClientError, OSError, ValueError) as error:
        name = type(error).__name__
        raise WebhookError(host, f"failed ({name})", details={"name": name}) from None
    if 300 <= status < 400:
        raise WebhookError(
            host,
            f"answered HTTP {status}, a redirect (not followed)",
            permanent=True,
            why="redirect",
            details={"status": status},
        )
    if status >= 400 or status < 200:
        refused = 400 <= status < 500 and status not in _WORTH_ASKING_AGAIN
        raise WebhookError(
            host,
            f"answered HTTP {status}",
            permanent=refused,
            why="status",
            details={"status": status},
        )


def _why(error: OSError) -> tuple[str, str]:
    """A connection failure as a code and a few words; the OS text may quote the address."""
    if isinstance(error, socket.gaierror):
        return "unknown_host", "unknown host"
    if isinstance(error, ConnectionRefusedError):
        return "refused_connection", "connection refused"
    return "unreachable", type(error).__name__
