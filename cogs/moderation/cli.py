"""``python -m bot rules test|check|export``: try rules on a message, validate a rules file.

Moderators use these before deploying a rule: ``rules test`` shows what the engine reads
(the normalised text), which rules match and where; ``rules check`` lists every problem in
a file with its line, like a compiler. Exit codes follow grep: ``rules test`` exits 0 when
a rule matched and 1 when none did; ``rules check`` exits 0 when the file is valid and 1
when it is not; both exit 2 when the file cannot be used at all (unreadable, not UTF-8,
not TOML). Reasons are in English, like the rest of the command line, whatever language
the community speaks.
"""

from __future__ import annotations

import argparse
import json
import tomllib
import unicodedata
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.settings import Settings
from cogs.moderation.automod.cli import add_export
from cogs.moderation.reasons import in_english
from cogs.moderation.rules import (
    RuleProblem,
    RulesConfigError,
    TrialResult,
    load_rules_file,
    try_text,
    validate_rules_file,
)


def add_commands(subparsers: Any) -> None:
    rules = subparsers.add_parser("rules", help="try, check and export moderation rules")
    commands = rules.add_subparsers(title="rules commands", metavar="COMMAND")

    test = commands.add_parser(
        "test",
        help="show a message's normalised text, the rules it breaks and where",
        description="Check MESSAGE against the rules, as if a member posted it.",
    )
    test.add_argument("message", help="the message text (quote it)")
    test.add_argument(
        "--config",
        dest="rules_file",
        type=Path,
        metavar="FILE",
        help="TOML file with [[moderation.rules]] (default: the bot's configuration file)",
    )
    test.add_argument(
        "--community", metavar="KEY", help='use one community\'s own rules, e.g. "discord:123"'
    )
    test.add_argument("--channel", default="", help="as if posted in this channel (name or ID)")
    test.add_argument(
        "--role",
        dest="roles",
        action="append",
        default=[],
        metavar="ROLE",
        help="the author has this role (repeat for several), for exempt_roles",
    )
    test.add_argument("--json", action="store_true", help="print machine-readable JSON")
    test.set_defaults(handler=run_test)

    check = commands.add_parser(
        "check",
        help="validate the rules in a TOML file; every problem with its line",
    )
    check.add_argument("file", type=Path, help="the TOML file to check")
    check.set_defaults(handler=run_check)
    add_export(commands)  # rules export --discord-automod

    async def usage(args: argparse.Namespace, settings: Settings) -> int:
        rules.print_help()
        return 2

    rules.set_defaults(handler=usage)


async def run_test(args: argparse.Namespace, settings: Settings) -> int:
    path: Path | None = args.rules_file or settings.config_file
    if path is None:
        print("No rules to test: pass --config FILE or set BOTSCHAFTER_CONFIG.")
        return 2
    try:
        ruleset = load_rules_file(path, args.community)
    except OSError as error:
        print(f"{path}: cannot read the file: {error.strerror}")
        return 2
    except RulesConfigError as error:
        _print_problems(path, error.problems)
        return 2
    result = try_text(
        ruleset,
        args.message,
        at=datetime.now(UTC),
        channel=args.channel,
        roles=frozenset(args.roles),
    )
    if args.json:
        print(json.dumps(result.as_dict(in_english), ensure_ascii=False, indent=2))
    else:
        print(describe(result, len(ruleset.settings)))
    return 0 if result.matches else 1


async def run_check(args: argparse.Namespace, settings: Settings) -> int:
    path: Path = args.file
    if not _usable(path):
        return 2
    problems = validate_rules_file(path)
    if problems:
        _print_problems(path, problems)
        print(f"{len(problems)} problem(s); the bot would not start with this file.")
        return 1
    count = len(load_rules_file(path).settings)
    print(f"{path}: {count} rule(s), all valid.")
    return 0


def _usable(path: Path) -> bool:
    """Whether `path` is a readable TOML file; if not, says why.

    Like `config check`, a file that is not TOML cannot be used at all (exit 2), unlike a
    TOML file with problems in its rules (exit 1).
    """
    try:
        tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        print(f"{path}: cannot read the file: {error.strerror}")
        return False
    except UnicodeDecodeError:
        print(f"{path}: not a text file in UTF-8")
        return False
    except tomllib.TOMLDecodeError:
        _print_problems(path, validate_rules_file(path))  # the problem names the line
        return False
    return True


def describe(result: TrialResult, rule_count: int) -> str:
    """The human-readable report of one trial."""
    lines = [f"Message:    {result.text}", f"Normalised: {result.normalised}"]
    if not result.matches:
        lines.append(f"No rule matches ({rule_count} rule(s) checked).")
        return "\n".join(lines)
    lines.append(f"Matches:    {len(result.matches)}")
    for match in result.matches:
        start, end = match.span
        where = f"characters {start}–{end}, “{match.text}”" if end > start else "whole message"
        lines.append(f"  {match.rule} ({match.kind}, {match.action}): {where}")
        lines.append(f"    {in_english(match.reason)}")
        if end > start:
            lines.append(f"    {result.text}")
            lines.append("    " + " " * _width(result.text[:start]) + "^" * _width(match.text))
    return "\n".join(lines)


def _print_problems(path: Path, problems: tuple[RuleProblem, ...] | list[RuleProblem]) -> None:
    for problem in problems:
        where = f"{path}:{problem.line}" if problem.line else str(path)
        print(f"{where}: {replace(problem, line=None)}")


def _width(text: str) -> int:
    """Columns `text` takes in a terminal: wide characters take two, invisible ones none."""
    return sum(
        0 if unicodedata.category(ch) in _INVISIBLE else 2 if _wide(ch) else 1 for ch in text
    )


# Combining marks and format characters (zero-width space, joiners) take no column.
_INVISIBLE = frozenset({"Mn", "Me", "Cf"})


def _wide(char: str) -> bool:
    return unicodedata.east_asian_width(char) in "WF"
