"""Discord failures as the core's typed errors, worded for the person who has to fix them.

Cogs catch `MissingPermission`, `NotFound` and `DirectMessagesClosed` and show the message
to a moderator, so every message says what was refused and what an admin can change.
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
)

# Discord's JSON error code for "Cannot send messages to this user" (DMs closed or blocked).
CANNOT_MESSAGE_USER = 50007
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
    except discord.Forbidden as error:
        if error.code == CANNOT_MESSAGE_USER:
            raise DirectMessagesClosed(
                f"I could not {action}: they do not accept direct messages from me."
            ) from None
        raise MissingPermission(missing_permission(action, permission)) from None
    except discord.NotFound:
        raise NotFound(f"I could not {action}: it no longer exists on Discord.") from None
    except discord.HTTPException as error:
        if error.status >= SERVER_ERROR or error.status == TOO_MANY_REQUESTS:
            raise PlatformUnavailable(
                f"I could not {action}: Discord answered {error.status}; try again in a moment."
            ) from None
        raise PlatformError(
            f"I could not {action}: Discord rejected the request ({error.status}, "
            f"code {error.code}: {error.text})."
        ) from None
    except discord.RateLimited as error:
        raise PlatformUnavailable(
            f"I could not {action}: Discord asks to wait {error.retry_after:.0f} s."
        ) from None
    except (aiohttp.ClientError, OSError, TimeoutError) as error:
        raise PlatformUnavailable(
            f"I could not {action}: Discord could not be reached ({type(error).__name__})."
        ) from None


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


def unreachable(error: Exception) -> ConfigError:
    return ConfigError(
        f"Could not reach Discord ({type(error).__name__}: {error}). Check the network "
        "connection and any proxy or firewall, then start the bot again."
    )
