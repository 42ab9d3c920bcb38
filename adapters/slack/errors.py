"""Slack Web API errors as the core's typed platform errors.

Cogs catch `NotFound`, `MissingPermission`, `DirectMessagesClosed` and `Unsupported` and
tell people what happened; they never see `SlackApiError`. An outage (a 5xx, a rate limit
the client's retries did not outlast, Slack's own ``internal_error``, the network) is
`PlatformUnavailable`, which the outbox retries. The Slack error code stays in the
message, so an admin reading the log can look it up.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any, TypeVar

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from adapters.slack.rate_limits import TOO_MANY_REQUESTS, retry_after, retry_handlers
from bot.errors import (
    DirectMessagesClosed,
    MissingPermission,
    NotFound,
    PlatformError,
    PlatformUnavailable,
)

T = TypeVar("T")

NOT_FOUND = frozenset(
    {
        "channel_not_found",
        "message_not_found",
        "thread_not_found",
        "user_not_found",
        "users_not_found",
        "no_such_subteam",
        "is_archived",
    }
)
NO_PERMISSION = frozenset(
    {
        "not_in_channel",
        "missing_scope",
        "restricted_action",
        "not_allowed_token_type",
        "cant_update_message",
        "cant_delete_message",
        "cant_kick_self",
        "cant_kick_from_general",
        "cant_kick_from_last_channel",
        "not_authorized",
        "permission_denied",
        "access_denied",
        "ekm_access_denied",
        "paid_teams_only",
    }
)
DM_CLOSED = frozenset(
    {"cannot_dm_bot", "user_disabled", "user_not_visible", "messages_tab_disabled"}
)
# Harmless repeats: the state the bot asked for is already there.
ALREADY_DONE = frozenset({"already_reacted", "no_reaction"})
# "Not now" rather than "no": the same call may work in a moment, so the outbox retries it.
TRANSIENT = frozenset(
    {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)
# HTTP answers that mean the same whatever the body says (Slack's 5xx pages are HTML).
SERVER_ERROR = 500


def code_of(error: SlackApiError) -> str:
    response: Any = error.response
    try:
        return str(response["error"])
    except (KeyError, TypeError):
        return "unknown_error"


def status_of(error: SlackApiError) -> int | None:
    """The HTTP status of a failed call (slack-sdk's response, or aiohttp's for a body
    it could not read)."""
    response: Any = error.response
    status = getattr(response, "status_code", None) or getattr(response, "status", None)
    return status if isinstance(status, int) else None


def translate(error: SlackApiError, action: str) -> PlatformError:
    """The typed error for a failed call; `action` says what the bot was doing."""
    code = code_of(error)
    status = status_of(error) or 0
    if status == TOO_MANY_REQUESTS or code == "ratelimited":
        wait = retry_after(getattr(error.response, "headers", None))
        asks = f"; Slack asks to wait {wait} s" if wait is not None else ""
        return PlatformUnavailable(f"Slack could not {action} now: {code} (HTTP {status}{asks})")
    if code in TRANSIENT or status >= SERVER_ERROR:
        return PlatformUnavailable(f"Slack could not {action} now: {code} (HTTP {status})")
    message = f"Slack refused to {action}: {code}"
    if code in NOT_FOUND:
        return NotFound(message)
    if code in DM_CLOSED:
        return DirectMessagesClosed(message)
    if code in NO_PERMISSION:
        return MissingPermission(message)
    return PlatformError(message)


async def call(action: str, request: Awaitable[T]) -> T:
    """Await a Web API call, raising the core's error type if Slack says no."""
    try:
        return await request
    except SlackApiError as error:
        raise translate(error, action) from None


class WebClient(AsyncWebClient):
    """The Web API client whose network failures arrive as the core's `PlatformUnavailable`,
    for every call, so cogs never see aiohttp's exceptions during an outage; a 429 is
    retried after ``Retry-After`` by slack_sdk's handler (`adapters.slack.rate_limits`)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("retry_handlers", retry_handlers())
        super().__init__(*args, **kwargs)

    async def api_call(self, *args: Any, **kwargs: Any) -> AsyncSlackResponse:
        try:
            return await super().api_call(*args, **kwargs)
        except (aiohttp.ClientError, OSError, TimeoutError) as error:
            raise PlatformUnavailable(
                f"Slack could not be reached at {self.base_url} ({type(error).__name__})"
            ) from None
