"""The command line: ``python -m bot [run|migrate|config check|...]``.

With no subcommand it runs the bot: on Discord and/or Slack when their tokens are set,
otherwise as an interactive local community in the terminal. Features and adapters add
their own subcommands through the modules named below: modules with ``add_commands(subparsers)``
whose parsers set ``handler`` to ``async def handler(args, settings) -> int``.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import logging
import os
import sys
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from bot import __version__
from bot.cog import declared_commands
from bot.data_lock import DataFolderUnusable
from bot.errors import ConfigError
from bot.host import Declarations
from bot.i18n import CORE_LOCALES, I18n
from bot.logs import configure_logging
from bot.settings import Settings, describe_error
from storage.database import DatabaseUnusable

Handler = Callable[[argparse.Namespace, Settings], Awaitable[int]]

# Modules that contribute subcommands; each is imported only when the CLI starts.
# An adapter's ``add_commands`` also takes the cogs' declarations, which it cannot import.
ADAPTER_EXTENSIONS: tuple[str, ...] = ("adapters.slack.cli", "adapters.discord.cli")
COG_EXTENSIONS: tuple[str, ...] = (
    "cogs.moderation.cli",
    "cogs.tickets.cli",
    "cogs.moderation.export",
)


EXAMPLES = """\
examples:
  python -m bot                                      the local community in the terminal
  python -m bot --script session.txt                 replay a scripted session from a file
  python -m bot --config my.toml config check        validate a configuration file
  python -m bot config check --platform              ... and check channels and roles exist
  python -m bot --database /srv/bot.db migrate       bring a database up to date
  python -m bot db copy --to postgresql://bot@db.example.org/botschafter   move to PostgreSQL
  python -m bot privacy export 123456789012345678    every record about a member, as JSON
  python -m bot backup botschafter-2026-01-05.db     a checked copy, while the bot runs

Options such as --config and --database go before the command.
"""


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = load_settings(args)
    except ValidationError as error:
        print(f"Setting error (environment or .env):\n{describe_error(error)}", file=sys.stderr)
        return 2
    configure_logging(settings)
    handler = getattr(args, "handler", None)
    if handler is None:
        from bot.app.runner import run

        handler = run
    try:
        return asyncio.run(handler(args, settings))
    except ConfigError as error:
        print(f"Configuration error:\n{error}", file=sys.stderr)
        return 2
    except (DatabaseUnusable, DataFolderUnusable) as error:
        # One line that names the file and what to do; a traceback would bury both.
        print(error, file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print()  # after the ^C the terminal echoed
        return 130
    except BrokenPipeError:
        # The reader went away (``... | head``); say nothing more, as Unix tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot",
        description=(
            "Botschafter: welcomes, moderation flags and ambassador tickets for Discord and "
            "Slack. Without DISCORD_TOKEN or SLACK_BOT_TOKEN it runs a local community in "
            "the terminal."
        ),
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"botschafter {__version__}")
    parser.add_argument("--config", type=Path, help="community TOML file (BOTSCHAFTER_CONFIG)")
    parser.add_argument("--data-dir", type=Path, help="folder for state (BOTSCHAFTER_DATA_DIR)")
    parser.add_argument("--database", type=Path, help="SQLite file (BOTSCHAFTER_DATABASE)")
    parser.add_argument(
        "--script",
        type=Path,
        help="replay a scripted local session from FILE and print the transcript",
    )
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND")

    run = subparsers.add_parser("run", help="run the bot (the default)")
    # SUPPRESS: without it the sub-command's unset default would overwrite a --script given
    # before ``run`` (``python -m bot --script FILE run`` opened the terminal instead).
    run.add_argument(
        "--script", type=Path, default=argparse.SUPPRESS, help="replay a scripted local session"
    )
    from bot.app.runner import run as run_handler

    run.set_defaults(handler=run_handler)

    migrate = subparsers.add_parser(
        "migrate",
        help="apply database migrations and exit",
        description="Bring the database (--database, or BOTSCHAFTER_DATABASE, or "
        "data/botschafter.db) up to date and exit. The bot does this at every start too.",
    )
    migrate.set_defaults(handler=_migrate)

    config = subparsers.add_parser("config", help="inspect the configuration")
    config_commands = config.add_subparsers(title="config commands", metavar="COMMAND")
    check = config_commands.add_parser(
        "check",
        help="validate the configuration and print it with secrets masked",
        description="Validate the community TOML file (--config before the command, or "
        "BOTSCHAFTER_CONFIG) and the process settings, then print both with secrets masked. "
        "Exits 2 with the file, line, key and problem when something is wrong.",
    )
    check.add_argument(
        "--platform",
        action="store_true",
        help="also connect with the configured tokens (without any: the local community) and "
        "check that every configured channel and role exists and the bot may use it; exits 1 "
        "if not",
    )
    check.set_defaults(handler=_config_check)
    config.set_defaults(handler=_usage(config))

    from bot.app import db_copy, privacy

    db_copy.add_commands(subparsers)
    privacy.add_commands(subparsers)
    from bot.app import backup

    backup.add_commands(subparsers)

    # What an adapter's commands need of the cogs beyond their declarations.
    services: dict[str, dict[str, Any]] = {
        "adapters.discord.cli": {"automod_export": _automod_export},
    }
    for module in ADAPTER_EXTENSIONS:
        importlib.import_module(module).add_commands(
            subparsers, cog_declarations, **services.get(module, {})
        )
    for module in COG_EXTENSIONS:
        importlib.import_module(module).add_commands(subparsers)
    return parser


def _automod_export(args: argparse.Namespace, settings: Settings) -> Any:
    """``discord automod sync`` without a file: the cogs' export (imported when it runs)."""
    from bot.app.automod_export import automod_export

    return automod_export(args, settings)


def cog_declarations() -> Declarations:
    """Every cog's commands, message actions and configuration tables, read from the
    classes (no database)."""
    from cogs import all_cogs

    cogs = all_cogs()
    sections = {c.name: c.config_model for c in cogs if c.config_model is not None}
    texts = I18n.load([CORE_LOCALES, *(c.locales for c in cogs if c.locales)])
    return Declarations.of(*declared_commands(cogs), sections, texts)


def load_settings(args: argparse.Namespace) -> Settings:
    settings = Settings()
    if args.config is not None:
        settings.config_file = args.config
    if args.data_dir is not None:
        settings.data_dir = args.data_dir
    if args.database is not None:
        settings.database = args.database
    return settings


def _usage(parser: argparse.ArgumentParser) -> Handler:
    async def show(args: argparse.Namespace, settings: Settings) -> int:
        parser.print_help()
        return 2

    return show


async def _migrate(args: argparse.Namespace, settings: Settings) -> int:
    from bot import data_lock
    from storage.database import Database

    # Each applied migration is printed below; its log line would say it a second time.
    logging.getLogger("storage.database").setLevel(logging.WARNING)
    with data_lock.hold(None, settings.database_path):
        db = await Database.open(
            settings.database_location, migrate=False, pool_size=settings.database_pool_size
        )
        try:
            applied = await db.migrate()
        finally:
            await db.close()
    for name in applied:
        print(f"applied {name}")
    print(f"Database {db.location} is up to date.")
    return 0


async def _config_check(args: argparse.Namespace, settings: Settings) -> int:
    import json

    from bot.config import ConfigFile, check_file
    from cogs import all_cogs

    sections = {c.name: c.config_model for c in all_cogs() if c.config_model is not None}
    file = ConfigFile.load(settings.config_file)
    effective = check_file(file, sections)
    print(f"Configuration file: {file.label} — valid.")
    print("\nProcess settings (secrets masked):")
    for name, value in settings.masked().items():
        print(f"  {name} = {value}")
    print("\nEffective community defaults:")
    print(json.dumps(effective.shown(), indent=2, ensure_ascii=False))
    communities = sorted(file.raw.get("communities", {}))
    if communities:
        print("\nCommunities with their own table: " + ", ".join(communities))
    if not args.platform:
        return 0
    from bot.app.community_check import check_platforms

    print("\nChannels and roles on the platform:")
    return await check_platforms(settings, sys.stdout)
