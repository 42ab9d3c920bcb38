"""The admin user token (``SLACK_ADMIN_USER_TOKEN``), checked before it is relied on.

A bot may delete only its own messages; removing a member's message (a leaked secret, a
scam) takes a user token, and Slack lets a user token delete only what that user could
delete by hand: in most workspaces, a workspace admin's or owner's, with the ``chat:write``
user scope. A token without either would fail on the first flag, after a moderator was
already counting on it, so start-up (and `slack check`) asks Slack once and, if the token
cannot do the job, switches the capability off with one line saying why.
"""

from __future__ import annotations

from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.errors import code_of, translate
from adapters.slack.platform import granted_scopes
from bot.errors import PlatformUnavailable

# The user scope chat.delete needs (chat:write:user is its name on older apps).
DELETE_SCOPES = frozenset({"chat:write", "chat:write:user"})


async def admin_token_problem(bot: AsyncWebClient, identity: Any) -> str | None:
    """Why the admin token (its auth.test answer `identity`) cannot delete other people's
    messages, or None if it can; `bot` looks its user up (users:read)."""
    scopes = granted_scopes(identity)
    if scopes is not None and not scopes & DELETE_SCOPES:
        return (
            "SLACK_ADMIN_USER_TOKEN lacks the chat:write user scope; add it under User Token "
            "Scopes (python -m bot slack manifest --admin-user-scope) and reinstall the app."
        )
    user_id = str(identity["user_id"])
    try:
        response = await bot.users_info(user=user_id)
    except SlackApiError as error:
        failure = translate(error, "look up the admin token's user")
        if isinstance(failure, PlatformUnavailable):
            raise failure from None
        return f"SLACK_ADMIN_USER_TOKEN: its user {user_id} cannot be looked up ({code_of(error)})."
    user = response["user"]
    if user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner"):
        return None
    name = user.get("name") or user_id
    return (
        f"SLACK_ADMIN_USER_TOKEN belongs to @{name}, who is not a workspace admin or owner "
        "and cannot delete other people's messages; use an admin's or owner's token."
    )
