"""``python -m bot slack ...``: the app manifest, and a check of the configured tokens."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from bot.host import Declarations
from bot.settings import Settings

if TYPE_CHECKING:
    from adapters.slack.adapter import SlackAdapter


def add_commands(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
    declarations: Callable[[], Declarations],
) -> None:
    """``slack manifest`` lists what `declarations` returns: the application layer's
    cogs, loaded only when the command runs."""
    slack = subparsers.add_parser("slack", help="Slack: app manifest and token check")
    commands = slack.add_subparsers(title="slack commands", metavar="COMMAND")

    manifest = commands.add_parser(
        "manifest",
        help="print the Slack app manifest (JSON) built from the declared commands",
        description="Paste the output at api.slack.com/apps → Create New App → From an "
        "app manifest. Socket Mode unless --http-url is given.",
    )
    manifest.add_argument("--name", default="Botschafter", help="app and bot user name")
    manifest.add_argument(
        "--http-url",
        metavar="URL",
        help="public URL Slack posts to in HTTP mode, e.g. https://bot.example.org/slack/events",
    )
    manifest.add_argument(
        "--admin-user-scope",
        action="store_true",
        help="also request the chat:write user scope, for SLACK_ADMIN_USER_TOKEN",
    )
    manifest.set_defaults(handler=print_manifest, declarations=declarations)

    check = commands.add_parser(
        "check",
        help="connect with the configured tokens and show scopes, capabilities and the "
        "configured channels the bot is not in",
    )
    check.set_defaults(handler=check_tokens, declarations=declarations)

    async def usage(args: argparse.Namespace, settings: Settings) -> int:
        slack.print_help()
        return 2

    slack.set_defaults(handler=usage)


async def print_manifest(args: argparse.Namespace, settings: Settings) -> int:
    from adapters.slack.manifest import build_manifest

    declared: Declarations = args.declarations()
    manifest = build_manifest(
        list(declared.commands.values()),
        list(declared.message_commands.values()),
        name=args.name,
        request_url=args.http_url,
        admin_user_scope=args.admin_user_scope,
    )
    print(json.dumps(manifest, indent=2, ensure_ascii=False))
    return 0


async def check_tokens(args: argparse.Namespace, settings: Settings) -> int:
    """Ask Slack about every configured token and channel and print what the bot may do;
    exit 1 if Slack says no or something needs fixing. Changes nothing: a public channel
    the bot is not in is only named (the bot joins it when it starts)."""
    from adapters.slack.adapter import SlackAdapter
    from adapters.slack.manifest import BOT_SCOPES
    from bot.errors import ConfigError
    from bot.platform import Capability

    if not settings.wants_slack:
        print("SLACK_BOT_TOKEN is not set; see docs/slack.md.", file=sys.stderr)
        return 2
    adapter = SlackAdapter.from_settings(settings)
    try:
        problems = adapter.options.problems()
        if problems:
            raise ConfigError("\n".join(problems))
        identity = await adapter.checked("SLACK_BOT_TOKEN", adapter.connect())
        if adapter.options.mode == "socket":
            await adapter.checked(
                "SLACK_APP_TOKEN",
                adapter.client.apps_connections_open(
                    app_token=adapter.options.app_token.get_secret_value()
                ),
            )
        admin_problem = await adapter.admin_token_problem()
    except ConfigError as error:
        print(error, file=sys.stderr)
        return 1
    print(f"Workspace: {identity.team_name} ({identity.community.id}) as <@{identity.bot_user_id}>")
    print(f"Mode: {adapter.options.mode}; tokens accepted by Slack.")
    if identity.scopes is not None:
        missing = [s for s in BOT_SCOPES if s not in identity.scopes]
        print("Missing scopes: " + (", ".join(missing) if missing else "none"))
    if admin_problem is not None:
        adapter.disable_admin_deletes(admin_problem)
        print(admin_problem)
    for capability in Capability:
        mark = "yes" if capability in adapter.capabilities else "no"
        print(f"  {mark:3}  {capability}")
    for note in adapter.notes:
        print(note)
    channels_ok = await _check_channels(adapter, settings, getattr(args, "declarations", None))
    return 0 if channels_ok and admin_problem is None else 1


async def _check_channels(
    adapter: SlackAdapter, settings: Settings, declarations: Callable[[], Declarations] | None
) -> bool:
    """Print the configured channels the bot cannot use or is not in yet; False if any
    needs an admin (a private channel to /invite the bot to, a missing one)."""
    from adapters.slack.membership import check_membership
    from bot.config import ConfigFile, validate
    from bot.errors import ConfigError

    sections = declarations().config_sections if declarations is not None else {}
    try:
        file = ConfigFile.load(settings.config_file)
        config = validate(file.community_raw(adapter.community.key), sections, file.label)
    except ConfigError as error:
        print(f"Channels not checked: the configuration is not valid:\n{error}", file=sys.stderr)
        return False
    membership = await check_membership(adapter, config.channel_settings(), join=False)
    for label in membership.to_join:
        print(f"Slack channel {label}: the bot is not in it yet and joins it when it starts.")
    for line in membership.problems:
        print(line)
    if not membership.problems:
        print("Channels: every configured channel can be used.")
    return not membership.problems
