"""``python -m bot discord automod sync [FILE]``: apply the AutoMod rules to the servers.

Without FILE each server gets the configured rules of its community, exported on the spot
by the function the application layer hands in (this adapter may not import the cogs);
FILE is what ``python -m bot rules export --discord-automod`` wrote (``-``: standard
input, so the two pipe together). Each server gets exactly those rules among the bot's
own (named ``Botschafter: …``); other rules stay as they are. Exits 0 when every server
is in step, 1 when Discord refused something on one (the line says why), 2 when the file,
the options or the settings cannot be used.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from adapters.discord.automod_sync import PREFIX, AutoModRefused, SyncResult, sync_rules
from bot.settings import Settings

# From a community key (``discord:<id>``) to its export document, None after saying why not.
CommunityExport = Callable[[str], dict[str, Any] | None]
# Checks --alert-channel, --timeout and the configuration file once, before the login.
AutoModExport = Callable[[argparse.Namespace, Settings], CommunityExport | None]


def add_automod(commands: Any, export: AutoModExport | None = None) -> None:
    """Register ``discord automod sync`` on the ``discord`` sub-commands; `export` makes the
    configured rules when no FILE is given."""
    automod = commands.add_parser("automod", help="Discord's own AutoMod: apply the bot's rules")
    automod_commands = automod.add_subparsers(title="automod commands", metavar="COMMAND")
    sync = automod_commands.add_parser(
        "sync",
        help="create, update or delete the bot's AutoMod rules to match the configured "
        "rules or an export (needs DISCORD_TOKEN and the Manage Server permission)",
        description="Without FILE, export each server's keyword and regex rules from the "
        "configuration (--config before the command, or BOTSCHAFTER_CONFIG), say what does "
        "not fit as `rules export --discord-automod` does, and apply them; with FILE, apply "
        "what that export wrote. Only the bot's own rules (named 'Botschafter: …') change; "
        "a second run changes nothing.",
    )
    sync.add_argument(
        "file",
        metavar="FILE",
        nargs="?",
        help="an exported JSON (- reads standard input); default: export the configured rules",
    )
    sync.add_argument("--guild", type=int, action="append", help="only this server ID")
    sync.add_argument(
        "--alert-channel",
        metavar="ID",
        help="without FILE: also post AutoMod's alert in this channel (a channel ID); "
        "applies 'flag' rules too",
    )
    sync.add_argument(
        "--timeout",
        metavar="DURATION",
        help="without FILE: also time out the author of a blocked message, e.g. 10m (at most 28d)",
    )
    sync.set_defaults(handler=sync_automod, automod_export=export)

    async def usage(args: argparse.Namespace, settings: Settings) -> int:
        automod.print_help()
        return 2

    automod.set_defaults(handler=usage)


async def sync_automod(args: argparse.Namespace, settings: Settings) -> int:
    import discord

    from adapters.discord.cli import _login
    from adapters.discord.client import quiet_voice_warnings

    if not settings.wants_discord or settings.discord_token is None:
        print("DISCORD_TOKEN is not set; see docs/discord.md.", file=sys.stderr)
        return 2
    source = _source(args, settings)
    if source is None:
        return 2
    quiet_voice_warnings()
    client = discord.Client(intents=discord.Intents(guilds=True))  # REST only
    failed = 0
    try:
        await _login(client, settings.discord_token.get_secret_value())
        wanted = args.guild or _export_guild(source) or list(settings.discord_guild_ids)
        guilds = [guild async for guild in client.fetch_guilds(limit=None)]
        for missing in sorted(set(wanted) - {guild.id for guild in guilds}):
            print(f"{missing}: the bot is not on this server", file=sys.stderr)
            failed += 1
        if wanted:
            guilds = [guild for guild in guilds if guild.id in wanted]
        for guild in guilds:
            name = guild.name
            rules = _rules(source, guild.id)
            if rules is None:
                failed += 1
                continue
            try:
                result = await sync_rules(client.http, guild.id, rules)
            except AutoModRefused as refused:
                print(f"{name}: {refused}", file=sys.stderr)
                failed += 1
                continue
            print(f"{name}: {describe(result)}")
            for line in result.left_out:
                print(f"  not applied: {line}")
    finally:
        await client.close()
    if not guilds and not wanted:
        print("The bot is on no server yet: add it with `python -m bot discord invite`.")
    return 1 if failed else 0


def _source(
    args: argparse.Namespace, settings: Settings
) -> dict[str, Any] | CommunityExport | None:
    """The export document FILE holds, or (no FILE) the function that exports each
    server's configured rules; None after saying what cannot be used."""
    if args.file is None:
        export: AutoModExport | None = getattr(args, "automod_export", None)
        if export is None:  # only a caller that bypasses the application layer's CLI
            print("Give the exported FILE (- reads standard input).", file=sys.stderr)
            return None
        return export(args, settings)
    given = [
        option
        for option, value in (("--alert-channel", args.alert_channel), ("--timeout", args.timeout))
        if value is not None
    ]
    if given:
        print(
            f"{' and '.join(given)}: the export in {args.file} already says what its rules "
            "do; give the option to `rules export --discord-automod`, or sync without FILE.",
            file=sys.stderr,
        )
        return None
    document = _read(args.file)
    if document is None:
        return None
    community = str(document.get("community") or "")
    if community and not community.startswith("discord:"):
        print(
            f"{args.file}: this export holds the rules of {community}, not of a Discord "
            "server; export with --community discord:SERVER_ID or without --community",
            file=sys.stderr,
        )
        return None
    return document


def _rules(source: dict[str, Any] | CommunityExport, guild_id: int) -> list[dict[str, Any]] | None:
    """The rules for one server: the file's, or its community's configured ones."""
    if isinstance(source, dict):
        return list(source["rules"])
    document = source(f"discord:{guild_id}")
    return None if document is None else list(document["rules"])


def describe(result: SyncResult) -> str:
    others = len(result.others)
    alone = f"{others} other rule{'' if others == 1 else 's'} left alone"
    if not result.changed:
        kept = len(result.unchanged)
        return f"nothing to change ({kept} of the bot's rules up to date; {alone})"
    done = [
        f"{len(names)} {verb}"
        for names, verb in (
            (result.created, "created"),
            (result.modified, "modified"),
            (result.deleted, "deleted"),
            (result.unchanged, "unchanged"),
        )
        if names
    ]
    return f"{', '.join(done)}; {alone}"


def _read(name: str) -> dict[str, Any] | None:
    """The export, checked; None after saying what is wrong with it."""
    try:
        text = sys.stdin.read() if name == "-" else Path(name).read_text(encoding="utf-8")
    except OSError as error:
        print(f"{name}: cannot read the file: {error.strerror}", file=sys.stderr)
        return None
    except UnicodeDecodeError:
        print(f"{name}: not a text file in UTF-8", file=sys.stderr)
        return None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        print(f"{name}: not JSON ({error.msg}, line {error.lineno})", file=sys.stderr)
        return None
    rules = document.get("rules") if isinstance(document, dict) else None
    if not isinstance(rules, list) or not all(
        isinstance(r, dict) and str(r.get("name", "")).startswith(PREFIX) for r in rules
    ):
        print(
            f"{name}: not an AutoMod export; write one with "
            "`python -m bot rules export --discord-automod --output FILE`",
            file=sys.stderr,
        )
        return None
    names = [str(r["name"]) for r in rules]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        print(
            f"{name}: the rule name {twice[0]!r} is there more than once, and sync knows "
            "each rule by its name; export again with "
            "`python -m bot rules export --discord-automod --output FILE`",
            file=sys.stderr,
        )
        return None
    return document


def _export_guild(source: dict[str, Any] | CommunityExport) -> list[int]:
    """The server an export of one community's rules (``discord:<id>``) is for."""
    if not isinstance(source, dict):
        return []
    document = source
    community = str(document.get("community") or "")
    platform, _, guild = community.partition(":")
    return [int(guild)] if platform == "discord" and guild.isdigit() else []
