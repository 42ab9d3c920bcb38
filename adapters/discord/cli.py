"""``python -m bot discord ...``: register the commands, print the invite link, apply the
AutoMod rules (`automod_cli`)."""

from __future__ import annotations

import argparse
import base64
import binascii
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from adapters.discord.automod_cli import AutoModExport, add_automod
from bot.host import Declarations
from bot.settings import Settings

if TYPE_CHECKING:
    import discord


def add_commands(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
    declarations: Callable[[], Declarations],
    automod_export: AutoModExport | None = None,
) -> None:
    """``discord sync`` registers what `declarations` returns: the application layer's
    cogs, loaded only when the command runs; ``discord automod sync`` without a file
    applies what `automod_export` makes of the configured rules."""
    discord_parser = subparsers.add_parser("discord", help="Discord: commands, invite, AutoMod")
    commands = discord_parser.add_subparsers(title="discord commands", metavar="COMMAND")

    sync = commands.add_parser(
        "sync",
        help="register the slash commands on every server now (needs DISCORD_TOKEN)",
        description="Overwrites the bot's commands on each server with the declared set; "
        "the bot does the same at start-up unless DISCORD_SYNC_COMMANDS=false.",
    )
    sync.add_argument("--guild", type=int, action="append", help="only this server ID")
    sync.set_defaults(handler=sync_commands, declarations=declarations)

    invite = commands.add_parser(
        "invite", help="print the link that adds the bot with exactly the permissions it needs"
    )
    invite.add_argument("--client-id", type=int, help="application ID (else from settings)")
    invite.add_argument("--guild", type=int, help="preselect this server ID")
    invite.set_defaults(handler=print_invite)
    add_automod(commands, automod_export)  # discord automod sync

    async def usage(args: argparse.Namespace, settings: Settings) -> int:
        discord_parser.print_help()
        return 2

    discord_parser.set_defaults(handler=usage)


async def print_invite(args: argparse.Namespace, settings: Settings) -> int:
    from adapters.discord.permissions import NEEDED, invite_url

    application_id = args.client_id or settings.discord_application_id
    if application_id is None and settings.discord_token is not None:
        application_id = application_id_from_token(settings.discord_token.get_secret_value())
    if application_id is None:
        print(
            "Set DISCORD_APPLICATION_ID (developer portal → your application → General "
            "Information → Application ID) or DISCORD_TOKEN, or pass --client-id.",
            file=sys.stderr,
        )
        return 2
    print(invite_url(application_id, args.guild))
    print("\nPermissions it asks for, and why:")
    for needed in NEEDED:
        print(f"  {needed.label}: {needed.reason}")
    return 0


async def sync_commands(args: argparse.Namespace, settings: Settings) -> int:
    import discord

    from adapters.discord.actions import DiscordActions
    from adapters.discord.client import quiet_voice_warnings
    from adapters.discord.sync import offered, sync_guild

    if not settings.wants_discord or settings.discord_token is None:
        print("DISCORD_TOKEN is not set; see docs/discord.md.", file=sys.stderr)
        return 2
    declared: Declarations = args.declarations()
    payload = offered(
        list(declared.commands.values()),
        list(declared.message_commands.values()),
        DiscordActions.capabilities,
        declared.texts,
    )
    quiet_voice_warnings()
    # Commands are registered over REST only; no gateway connection, so no events needed.
    client = discord.Client(intents=discord.Intents(guilds=True))
    try:
        await _login(client, settings.discord_token.get_secret_value())
        wanted = args.guild or list(settings.discord_guild_ids)
        guilds = [discord.Object(g) for g in wanted] or [
            guild async for guild in client.fetch_guilds(limit=None)
        ]
        failed = 0
        for guild in guilds:
            if await sync_guild(client, guild, payload):
                print(f"{getattr(guild, 'name', guild.id)}: {len(payload)} commands registered")
            else:
                failed += 1
    finally:
        await client.close()
    if not guilds:
        print("The bot is on no server yet: add it with `python -m bot discord invite`.")
    return 1 if failed else 0


def application_id_from_token(token: str) -> int | None:
    """A bot token starts with its application's ID in base64; read it without a request."""
    head = token.split(".", 1)[0]
    try:
        decoded = base64.b64decode(head + "=" * (-len(head) % 4), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    return int(decoded) if decoded.isdigit() else None


async def _login(client: discord.Client, token: str) -> None:
    import discord

    from adapters.discord.errors import invalid_token

    try:
        await client.login(token)
    except discord.LoginFailure:
        raise invalid_token() from None
