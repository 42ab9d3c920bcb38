"""Slack Web API errors as the core's typed platform errors.

Cogs catch `NotFound`, `MissingPermission`, `DirectMessagesClosed` and `Unsupported` and
tell people what happened; they never see `SlackApiError`. The Slack error code stays in
the message, so an admin reading the log can look it up.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any, TypeVar

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

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


def code_of(error: SlackApiError) -> str:
    response: Any = error.response
    try:
        return str(response["error"])
    except (KeyError, TypeError):
        return "unknown_error"


def translate(error: SlackApiError, action: str) -> PlatformError:
    """The typed error for a failed call; `action` says what the bot was doing."""
    code = code_of(error)
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
    for every call, so cogs never see aiohttp's exceptions during an outage."""

    async def api_call(self, *args: Any, **kwargs: Any) -> AsyncSlackResponse:
        try:
            return await super().api_call(*args, **kwargs)
        except (aiohttp.ClientError, OSError, TimeoutError) as error:
            raise PlatformUnavailable(
                f"Slack could not be reached at {self.base_url} ({type(error).__name__})"
            ) from None
