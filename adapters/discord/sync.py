"""Registering the commands on each Discord server (per-server commands update instantly).

The whole set is written with one bulk overwrite per server, so a removed command also
disappears, and an unchanged set keeps its command ids. Rate limits are discord.py's to
respect: it waits for the bucket to refill instead of retrying blindly.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

import aiohttp
import discord

from adapters.discord.commands import application_commands
from bot.commands import CommandSpec, MessageCommandSpec
from bot.i18n import I18n
from bot.platform import Capability

log = logging.getLogger(__name__)


def offered(
    commands: Iterable[CommandSpec],
    message_commands: Iterable[MessageCommandSpec],
    capabilities: frozenset[Capability],
    texts: I18n | None = None,
) -> list[dict[str, Any]]:
    """The payload for the commands this platform can serve, described in every language
    `texts` (the catalogs) have."""
    return application_commands(
        [c for c in commands if all(r in capabilities for r in c.requires)],
        [m for m in message_commands if all(r in capabilities for r in m.requires)],
        texts,
    )


async def registered_commands(
    client: discord.Client, guild: discord.abc.Snowflake
) -> list[dict[str, Any]] | None:
    """The commands registered on a server (with their ids); None (and a log line) if
    Discord could not say, so replies keep naming commands as text."""
    application_id = client.application_id
    assert application_id is not None, "log in before reading commands"
    try:
        return list(await client.http.get_guild_commands(application_id, guild.id))
    except (discord.HTTPException, aiohttp.ClientError, OSError, TimeoutError) as error:
        log.warning("Could not read the commands of server %s: %s", guild.id, error)
        return None


async def sync_guild(
    client: discord.Client,
    guild: discord.abc.Snowflake,
    payload: list[dict[str, Any]],
    registered: Callable[[list[dict[str, Any]]], None] | None = None,
) -> bool:
    """Overwrite one server's commands; False (and a log line saying why) on failure.
    `registered` receives the command objects Discord returns (with their ids)."""
    application_id = client.application_id
    assert application_id is not None, "log in before syncing commands"
    try:
        commands = await client.http.bulk_upsert_guild_commands(application_id, guild.id, payload)
    except discord.Forbidden:
        log.error(
            "Could not register commands on server %s: the bot was added without the "
            "“applications.commands” scope. Add it again with the link from "
            "`python -m bot discord invite` (nothing is lost).",
            guild.id,
        )
        return False
    except discord.HTTPException as error:
        log.error("Could not register commands on server %s: %s", guild.id, error)
        return False
    except (aiohttp.ClientError, OSError, TimeoutError) as error:
        # Not registered, so the next time the server becomes available tries again.
        log.error(
            "Could not register commands on server %s: Discord could not be reached (%s)",
            guild.id,
            type(error).__name__,
        )
        return False
    log.info("registered %d commands on server %s", len(payload), guild.id)
    if registered is not None:
        registered(list(commands or []))
    return True
