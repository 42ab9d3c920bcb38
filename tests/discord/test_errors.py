"""Discord's failures reach cogs as the core's typed errors, never as discord.py's."""

from __future__ import annotations

from types import SimpleNamespace

import aiohttp
import discord
import pytest

from adapters.discord.errors import translated
from bot.errors import (
    DirectMessagesClosed,
    MissingPermission,
    NotFound,
    PlatformError,
    PlatformUnavailable,
)


def http_error(kind: type[discord.HTTPException], status: int, code: int = 0) -> Exception:
    response = SimpleNamespace(status=status, reason="reason")
    return kind(response, {"code": code, "message": "refused"})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("raised", "expected", "words"),
    [
        (http_error(discord.Forbidden, 403, 50007), DirectMessagesClosed, "direct messages"),
        # No server in common with the user: Discord cannot deliver a DM either.
        (http_error(discord.HTTPException, 400, 50278), DirectMessagesClosed, "direct messages"),
        (http_error(discord.Forbidden, 403), MissingPermission, "Send Messages"),
        (http_error(discord.NotFound, 404), NotFound, "no longer exists"),
        (http_error(discord.DiscordServerError, 503), PlatformUnavailable, "answered 503"),
        (http_error(discord.HTTPException, 429), PlatformUnavailable, "answered 429"),
        # Any other rejection would be rejected again: final, not retried for ever.
        (http_error(discord.HTTPException, 400, 50035), PlatformError, "refused it as invalid"),
        # Read by code, not status: the daily command-creation limit arrives as a 429.
        (http_error(discord.HTTPException, 429, 30034), PlatformError, "daily limit of 200"),
        (http_error(discord.HTTPException, 400, 10014), PlatformError, "does not know that emoji"),
        (http_error(discord.HTTPException, 400, 200000), PlatformError, "AutoMod"),
        (aiohttp.ClientConnectionError("reset"), PlatformUnavailable, "could not be reached"),
        (ConnectionResetError(), PlatformUnavailable, "could not be reached"),
        (TimeoutError(), PlatformUnavailable, "could not be reached"),
    ],
)
def test_failures_become_typed_errors_that_say_what_failed(
    raised: Exception, expected: type[Exception], words: str
) -> None:
    with pytest.raises(expected) as caught, translated("post in #general", "Send Messages"):
        raise raised
    assert type(caught.value) is expected
    assert "I could not post in #general" in str(caught.value)
    assert words in str(caught.value)


@pytest.mark.parametrize("code", [50035, 30034, 10014, 50006, 200000])
def test_a_permanent_refusal_never_asks_to_try_again(code: int) -> None:
    for status in (400, 403, 429):
        with pytest.raises(PlatformError) as caught, translated("post in #general"):
            raise http_error(discord.HTTPException, status, code)
        assert type(caught.value) is PlatformError, "final, so the outbox does not retry it"
        assert "try again" not in str(caught.value) and f"code {code}" in str(caught.value)
