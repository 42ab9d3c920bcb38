"""``python -m bot privacy export|forget MEMBER``: answer a member's request to see or erase
their data (GDPR articles 15 and 17; docs/privacy.md).

What counts as a member's data is `storage.privacy.REGISTRY`; this module names the member,
finds the communities holding them, prints, asks and reports. Both commands work while
the bot runs: the erasure is one transaction.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from bot.settings import Settings
from storage import privacy
from storage.database import Database

# <@123>, <@!123> (Discord), <@U123> and <@U123|name> (Slack).
MENTION = re.compile(r"^<@!?([A-Za-z0-9_.-]+)(?:\|[^>]*)?>$")
FIND_AN_ID = (
    "Give the member's platform id or a mention: on Discord, developer mode on, then"
    " right-click the member and Copy User ID (<@123...>); on Slack, the member's profile,"
    " ⋮, Copy member ID (U0...)."
)


def add_commands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The ``privacy`` command group with ``export`` and ``forget``."""
    group = subparsers.add_parser("privacy", help="show or erase what is stored about a member")
    commands = group.add_subparsers(title="privacy commands", metavar="COMMAND")

    export = commands.add_parser(
        "export",
        help="every record about a member as one JSON document",
        description="Print every record about MEMBER (an id or a mention such as <@123>) as "
        "one JSON document: tickets, votes, reports, flags and message snapshots, "
        "infractions, kudos, audit entries, welcome and rules acceptance.",
    )
    _member_arguments(export)
    export.add_argument("--out", type=Path, metavar="FILE", help="write to FILE, not stdout")
    export.set_defaults(handler=run_export)

    forget = commands.add_parser(
        "forget",
        help="erase a member's personal data, keeping counts and history",
        description="Replace MEMBER's id and names by a pseudonym and blank the texts they "
        "wrote (message snapshots, report and kudos texts, ticket details), in one "
        "transaction. Counts, ticket history and the audit trail stay; the audit log "
        "records that a forget happened. Asks first unless --yes.",
    )
    _member_arguments(forget)
    forget.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    forget.set_defaults(handler=run_forget)

    async def usage(args: argparse.Namespace, settings: Settings) -> int:
        group.print_help()
        return 2

    group.set_defaults(handler=usage)


def _member_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("member", metavar="MEMBER", help="platform id, or a mention like <@123>")
    parser.add_argument(
        "--community",
        metavar="KEY",
        help='only this community, e.g. "discord:123" (default: every community naming them)',
    )


def member_id(text: str) -> str:
    """The id in what an admin would paste: an id, a mention, or @id."""
    text = text.strip()
    if found := MENTION.match(text):
        return found.group(1)
    return text.removeprefix("@")


async def run_export(args: argparse.Namespace, settings: Settings) -> int:
    member = member_id(args.member)
    if not member:
        return _no_member()
    async with _opened(settings) as db:
        communities = await _communities(db, member, args.community)
        if not communities:
            print(_nothing_found(member, args.community), file=sys.stderr)
            return 1
        document = await export_document(db, member, communities)
    text = json.dumps(document, indent=2, ensure_ascii=False, default=str) + "\n"
    if args.out is None:
        sys.stdout.write(text)
        return 0
    try:
        _write_private(args.out, text)
    except OSError as error:
        print(f"{args.out}: cannot write the export: {error.strerror}", file=sys.stderr)
        return 2
    count = sum(
        len(section["rows"]) for c in document["communities"].values() for section in c.values()
    )
    print(f"Wrote {count} record(s) about {member} in {_list(communities)} to {args.out}.")
    return 0


async def export_document(db: Database, member: str, communities: list[str]) -> dict[str, Any]:
    """The export: per community, every registry section with what it is and its rows."""
    document: dict[str, Any] = {
        "member": member,
        "exported_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "communities": {},
    }
    for community in communities:
        found = await privacy.export(db, community, member)
        document["communities"][community] = {
            item.entry.name: {"about": item.entry.about, "rows": item.rows} for item in found
        }
    return document


async def run_forget(args: argparse.Namespace, settings: Settings) -> int:
    member = member_id(args.member)
    if not member:
        return _no_member()
    async with _opened(settings) as db:
        communities = await _communities(db, member, args.community)
        if not communities:
            where = f"in {args.community}" if args.community else "in any community"
            print(f"Nothing left to forget about {member!r} {where}.")
            return 0
        print(f"About {member}:")
        for community in communities:
            found = await privacy.export(db, community, member)
            tables = {item.entry.name: len(item.rows) for item in found if item.rows}
            shown = ", ".join(f"{name} {count}" for name, count in tables.items())
            print(f"  {community}: {shown}")
        print(
            "Forgetting replaces their id and names by a pseudonym and blanks the texts they"
            " wrote; counts, ticket history and the audit trail stay. It cannot be undone."
        )
        if not args.yes and not _confirmed(sys.stdin, sys.stdout):
            print("Nothing changed.")
            return 1
        for community in communities:
            done = await privacy.forget(db, community, member, actor="cli", at=datetime.now(UTC))
            print(
                f"Forgotten in {community}: {member} is now {done.pseudonym}"
                f" ({done.total} row(s) changed in {len(done.rows)} table(s))."
                " The audit log records that it happened."
            )
    return 0


def _confirmed(stdin: TextIO, stdout: TextIO) -> bool:
    stdout.write("Type yes to forget them: ")
    stdout.flush()
    answer = stdin.readline()
    return answer.strip().casefold() == "yes"


async def _communities(db: Database, member: str, only: str | None) -> list[str]:
    found = await privacy.communities_of(db, member)
    return [c for c in found if c == only] if only else found


def _no_member() -> int:
    """An empty MEMBER (an unset shell variable, a bare @) would match every row whose
    member column is empty, and forget them all: refused before the database opens."""
    print(f"No member given. {FIND_AN_ID}", file=sys.stderr)
    return 2


def _nothing_found(member: str, community: str | None) -> str:
    where = f"in {community}" if community else "in any community"
    return f"No records about member {member!r} {where}. {FIND_AN_ID}"


def _list(communities: list[str]) -> str:
    noun = "community" if len(communities) == 1 else "communities"
    return f"{len(communities)} {noun}"


def _write_private(path: Path, text: str) -> None:
    """Readable by the operator only: the file holds a member's personal data."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(text)


@asynccontextmanager
async def _opened(settings: Settings) -> AsyncIterator[Database]:
    """The existing, up-to-date database (neither created nor migrated here)."""
    db = await Database.open(
        settings.database_location,
        migrate=False,
        create=False,
        pool_size=settings.database_pool_size,
    )
    try:
        yield db
    finally:
        await db.close()
