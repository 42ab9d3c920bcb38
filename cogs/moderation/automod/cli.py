"""``python -m bot rules export --discord-automod``: the rules as Discord AutoMod rules.

Without ``--output`` the JSON goes to standard output and the summary to standard error,
so ``python -m bot rules export --discord-automod | python -m bot discord automod sync -``
works; with it, the file is written and the summary printed. Exits 0 with whatever
fits (the summary says what does not and why), 2 when the file cannot be used.
"""

from __future__ import annotations

import argparse
import json
import sys
import tomllib
from pathlib import Path
from typing import Any, TextIO

from bot.commands import parse_duration
from bot.errors import UserError
from bot.i18n import I18n
from bot.settings import Settings
from cogs.moderation.automod import limits
from cogs.moderation.automod.export import AutoModExport, ExportOptions, export
from cogs.moderation.config import DEFAULT_RULES
from cogs.moderation.reasons import LOCALES
from cogs.moderation.rules import AnyRuleSettings, RulesConfigError, load_rules_file, parse_rules


def add_export(commands: Any) -> None:
    """Register ``rules export`` on the ``rules`` sub-commands."""
    command = commands.add_parser(
        "export",
        help="the keyword and regex rules as Discord AutoMod rules, and what does not fit",
        description="Turn the keyword and regex rules into Discord AutoMod rules within "
        "Discord's limits (1000 keywords and 10 patterns per rule, 6 keyword rules per "
        "server) and say what does not fit and why. Apply the result with "
        "`python -m bot discord automod sync`.",
    )
    command.add_argument(
        "--discord-automod",
        action="store_true",
        help="export as Discord AutoMod rules (the only format so far)",
    )
    command.add_argument(
        "--config",
        dest="rules_file",
        type=Path,
        metavar="FILE",
        help="TOML file with [[moderation.rules]] (default: the bot's configuration file)",
    )
    command.add_argument(
        "--community", metavar="KEY", help='one community\'s own rules, e.g. "discord:123"'
    )
    command.add_argument(
        "--output", type=Path, metavar="FILE", help="write the JSON here (default: stdout)"
    )
    command.add_argument(
        "--alert-channel",
        metavar="ID",
        help="also post AutoMod's alert in this channel (a channel ID); exports 'flag' rules too",
    )
    command.add_argument(
        "--timeout",
        metavar="DURATION",
        help="also time out the author of a blocked message, e.g. 10m (at most 28d)",
    )
    command.set_defaults(handler=run_export)


async def run_export(args: argparse.Namespace, settings: Settings) -> int:
    if not args.discord_automod:
        print("Choose a format: --discord-automod (the only one so far).", file=sys.stderr)
        return 2
    options = parse_options(args)
    if options is None:
        return 2
    made = export_rules(args.rules_file or settings.config_file, args.community, options)
    if made is None:
        return 2
    result, source = made
    document = json.dumps(result.as_json(args.community), ensure_ascii=False, indent=2)
    if args.output is None:
        print(document)
        summary = sys.stderr
    else:
        try:
            args.output.write_text(document + "\n", encoding="utf-8")
        except OSError as error:
            print(f"{args.output}: cannot write the file: {error.strerror}", file=sys.stderr)
            return 2
        summary = sys.stdout
    describe(result, source, args.output, summary)
    return 0


def export_rules(
    path: Path | None, community: str | None, options: ExportOptions
) -> tuple[AutoModExport, str] | None:
    """`community`'s rules in `path` as AutoMod rules, and where they come from; None after
    saying why not. ``discord automod sync`` without a file exports through this too."""
    loaded = _rules(path, community)
    if loaded is None:
        return None
    rules, source = loaded
    return export(rules, _with_locale(options, _locale(path, community))), source


def describe(
    result: AutoModExport, source: str, output: Path | None, out: TextIO, *, hint: bool = True
) -> None:
    """The human summary: what became which AutoMod rule, what did not and why; `hint`
    adds the command that applies the export (not wanted when sync exported it itself)."""

    def write(line: str) -> None:
        print(line, file=out)

    count = len(result.rules)
    write(
        f"{source}: {len(result.considered)} keyword/regex rule(s) → {count} AutoMod rule(s) "
        f"(Discord allows {limits.KEYWORD_RULES_PER_SERVER} keyword rules per server)"
    )
    for rule in result.rules:
        metadata = rule["trigger_metadata"]
        actions = ", ".join(_ACTION_NAMES[a["type"]] for a in rule["actions"])
        write(
            f"  {rule['name']}: {len(metadata.get('keyword_filter', []))} keyword(s), "
            f"{len(metadata.get('regex_patterns', []))} pattern(s), "
            f"{len(metadata.get('allow_list', []))} allowed; {actions}"
        )
    if result.left_out:
        write(f"Not exported ({len(result.left_out)}):")
        for item in result.left_out:
            write(f"  {item}")
    kept = [name for name in result.others if name not in {i.rule for i in result.left_out}]
    if kept:
        write("Only keyword and regex rules become AutoMod rules; the bot alone checks:")
        write("  " + ", ".join(kept))
    if result.rules:
        write(
            "AutoMod matches keywords as written: disguises (sh1t, f.u.c.k, look-alike "
            "letters) are still caught only by the bot."
        )
        if hint:
            target = str(output) if output else "-"
            write(f"Apply with: python -m bot discord automod sync {target}")


_ACTION_NAMES = {
    limits.BLOCK_MESSAGE: "blocks",
    limits.SEND_ALERT_MESSAGE: "alerts",
    limits.TIMEOUT: "times out",
}


def parse_options(args: argparse.Namespace) -> ExportOptions | None:
    """``--alert-channel`` and ``--timeout`` checked; None after saying what is wrong."""
    channel = args.alert_channel
    if channel is not None and not channel.isdigit():
        print(
            f"--alert-channel {channel!r}: give the channel's ID (right-click the channel → "
            "Copy Channel ID; needs Developer Mode).",
            file=sys.stderr,
        )
        return None
    timeout = None
    if args.timeout is not None:
        try:
            timeout = parse_duration(args.timeout)
        except (UserError, ValueError) as error:
            print(f"--timeout {args.timeout!r}: {error}", file=sys.stderr)
            return None
        if not 0 < timeout.total_seconds() <= limits.TIMEOUT_MAX_SECONDS:
            print(f"--timeout {args.timeout!r}: between 1s and 28d.", file=sys.stderr)
            return None
    return ExportOptions(alert_channel=channel, timeout=timeout)


def _rules(
    path: Path | None, community: str | None
) -> tuple[tuple[AnyRuleSettings, ...], str] | None:
    """The rules the bot would use, and where they come from; None after saying why not."""
    if path is None:
        return parse_rules(DEFAULT_RULES), "the default rules"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        ruleset = load_rules_file(path, community)
    except OSError as error:
        print(f"{path}: cannot read the file: {error.strerror}", file=sys.stderr)
        return None
    except (UnicodeDecodeError, tomllib.TOMLDecodeError):
        print(
            f"{path}: not a TOML file in UTF-8; `python -m bot rules check {path}` shows where",
            file=sys.stderr,
        )
        return None
    except RulesConfigError as error:
        for problem in error.problems:
            print(f"{path}: {problem}", file=sys.stderr)
        return None
    if _rules_entry(data, community) is None:
        return parse_rules(DEFAULT_RULES), f"{path} (no rules listed: the default rules)"
    return tuple(ruleset.settings), str(path)


def _rules_entry(data: dict[str, Any], community: str | None) -> Any:
    own = data.get("communities", {}).get(community, {}) if community else {}
    for table in (own, data):
        rules = table.get("moderation", {}).get("rules") if isinstance(table, dict) else None
        if rules is not None:
            return rules
    return None


def _locale(path: Path | None, community: str | None) -> str:
    """The community's language, for the note a blocked author sees."""
    if path is None:
        return "en"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return "en"
    own = data.get("communities", {}).get(community, {}) if community else {}
    for table in (own, data):
        locale = table.get("community", {}).get("locale")
        if isinstance(locale, str):
            return locale
    return "en"


def _with_locale(options: ExportOptions, locale: str) -> ExportOptions:
    i18n = I18n.load([LOCALES])
    chosen = i18n.pick_locale(None, locale)
    return ExportOptions(
        alert_channel=options.alert_channel,
        timeout=options.timeout,
        block_message=lambda rule: i18n.text("automod.blocked", chosen, rule=rule),
    )
