"""Discord failures as the core's typed errors, worded for the person who has to fix them.

Cogs catch `MissingPermission`, `NotFound` and `DirectMessagesClosed` and show the message
to a moderator, so every message says what was refused and what an admin can change.

A 4xx is read by Discord's JSON error code first, its HTTP status second: Discord answers
some refusals that no retry can change with a status that looks temporary (the daily
command-creation limit is a 429), and "DMs closed" arrives as 50007 or 50278. Only a
failure that may pass (a 5xx, a rate limit, the network) is `PlatformUnavailable`, which
the outbox retries; every other refusal is final and says why.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import aiohttp
import discord

from bot.errors import (
    ConfigError,
    DirectMessagesClosed,
    MissingPermission,
    NotFound,
    PlatformError,
    PlatformUnavailable,
    PlatformUnreachable,
)

# Discord's JSON error codes (docs: Opcodes and Status Codes, "JSON Error Codes").
# "Cannot send messages to this user" (DMs closed or the bot blocked), and "Cannot send
# messages to this user: no mutual server" (the user left every server the bot is on).
CANNOT_MESSAGE_USER = 50007
NO_MUTUAL_GUILDS = 50278
DIRECT_MESSAGES_CLOSED = frozenset({CANNOT_MESSAGE_USER, NO_MUTUAL_GUILDS})
# Refusals that the same request would meet again, whatever its HTTP status: final, never
# retried, explained in words an admin can act on.
PERMANENT: dict[int, str] = {
    50035: "Discord refused it as invalid (a value is malformed or over one of Discord's limits)",
    30034: "Discord's daily limit of 200 application command creations is reached; "
    "commands can be registered again tomorrow",
    10014: "Discord does not know that emoji; use a standard emoji or one of this server's own",
    50006: "Discord does not send an empty message",
    50008: "that channel does not take messages",
    30003: "the channel already has the most pinned messages Discord allows",
    30010: "the message already has the most different reactions Discord allows",
    200000: "Discord's AutoMod blocked the message",
    240000: "Discord's filter for harmful links blocked the message",
}
# Discord's JSON error code for "A thread has already been created for this message".
THREAD_ALREADY_CREATED = 160004
# Answers that say "not now" rather than "no": too many requests, or Discord's own trouble.
TOO_MANY_REQUESTS = 429
SERVER_ERROR = 500

PORTAL = "https://discord.com/developers/applications"
ROLE_SETTINGS = "Server Settings → Roles"


@contextmanager
def translated(action: str, permission: str = "") -> Iterator[None]:
    """Turn discord.py's failures raised inside the block into core errors.

    Refusals become `MissingPermission`/`DirectMessagesClosed`, missing targets `NotFound`,
    server, rate-limit and network failures (a 5xx, a 429, a timeout, a dropped connection)
    `PlatformUnavailable`, so the outbox retries them, and any other request Discord
    rejects a plain `PlatformError`: repeating it unchanged would be rejected again.

    `action` completes "I could not …" (e.g. "delete that message"); `permission` names
    the Discord permission the action needs, as the server settings spell it.
    """
    try:
        yield
    except discord.HTTPException as error:
        raise refusal(error, action, permission) from None
    except discord.RateLimited as error:
        raise PlatformUnavailable(
            f"I could not {action}: Discord asks to wait {error.retry_after:.0f} s."
        ) from None
    except (aiohttp.ClientError, OSError, TimeoutError) as error:
        raise PlatformUnavailable(
            f"I could not {action}: Discord could not be reached ({type(error).__name__})."
        ) from None


def refusal(error: discord.HTTPException, action: str, permission: str = "") -> PlatformError:
    """The core error for one failed request: by JSON error code, then by status."""
    if error.code in DIRECT_MESSAGES_CLOSED:
        return DirectMessagesClosed(
            f"I could not {action}: they do not accept direct messages from me."
        )
    if error.code in PERMANENT:
        return PlatformError(f"I could not {action}: {PERMANENT[error.code]} (code {error.code}).")
    if isinstance(error, discord.Forbidden):
        return MissingPermission(missing_permission(action, permission))
    if isinstance(error, discord.NotFound):
        return NotFound(f"I could not {action}: it no longer exists on Discord.")
    if error.status >= SERVER_ERROR or error.status == TOO_MANY_REQUESTS:
        return PlatformUnavailable(
            f"I could not {action}: Discord answered {error.status}; try again in a moment."
        )
    return PlatformError(
        f"I could not {action}: Discord rejected the request ({error.status}, "
        f"code {error.code}: {error.text})."
    )


def missing_permission(action: str, permission: str) -> str:
    needed = f"the “{permission}” permission" if permission else "the permission for this"
    return (
        f"I could not {action}: Discord says I lack {needed} here. An admin can grant it to "
        f"my role in {ROLE_SETTINGS} (or in the channel's permissions)."
    )


def invalid_token() -> ConfigError:
    return ConfigError(
        "Discord rejected DISCORD_TOKEN (401 Unauthorized). Copy the bot token again from "
        f"{PORTAL} → your application → Bot → Reset Token, and set it in .env."
    )


def missing_intents() -> ConfigError:
    return ConfigError(
        "Discord refused the privileged gateway intents this bot needs. Open "
        f"{PORTAL} → your application → Bot → Privileged Gateway Intents, switch on "
        "“SERVER MEMBERS INTENT” and “MESSAGE CONTENT INTENT”, save, and start the bot again."
    )


def unreachable(error: Exception) -> PlatformUnreachable:
    """Discord's network failure or outage while logging in; the bot tries again. A 5xx
    names only its status: its body may be a whole Cloudflare error page."""
    if isinstance(error, discord.HTTPException):
        what = f"Discord answered {error.status} {getattr(error.response, 'reason', '')}"
    else:
        what = f"{type(error).__name__}: {error}"
    return PlatformUnreachable(
        f"Could not reach Discord ({what.strip()}). Check the network connection and any "
        "proxy or firewall."
    )
