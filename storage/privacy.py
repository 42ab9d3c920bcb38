"""What the database holds about one member, and erasing it (``python -m bot privacy``).

Every table that names members is one entry in `REGISTRY`: which columns hold a member's
id, which columns name that member, and which free text that member wrote (or that was
written about them) is blanked when they are forgotten. A table whose rows belong to a
member through a parent row (the message snapshots of a flag about them) is a `Through`
entry. A column that looks like it names a member but does not (or is covered otherwise)
is listed in `NOT_PERSONAL` with the reason. tests/core/test_privacy_registry.py fails for
any member-like column a migration adds that is in neither place, so a new table cannot be
forgotten by the export or the erasure.

Forgetting keeps rows, so counts, ticket numbers, votes and the audit trail stay whole:
the member's id and names become one pseudonym for the run (``forgotten-`` and random hex:
not derived from the id, so nobody who knows the id can find the rows again), and the
texts they wrote are blanked. A last sweep goes through every text column of the
community's rows and replaces what is left of the id, the names and the texts collected on
the way: inside stored JSON (job and outbox payloads, flag and audit details, where the bot
copied them), and in plain columns only the id where it is a key's part (``user:ID``,
``<@ID>``). Plain text is other people's words, ticket statuses and categories: a member
called "Open" or "Anna", or a kudos reason "great work", must not rewrite another member's
title or every open ticket's status.
"""

from __future__ import annotations

import contextlib
import json
import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from storage.copy import tables
from storage.database import Database, Row, Transaction
from storage.timestamps import to_db

PSEUDONYM_PREFIX = "forgotten-"
# Names and texts shorter than this are not swept out of other columns: replacing "ok" or
# "Al" wherever it occurs would damage other people's text. Columns that hold only the
# member's name or text are replaced whatever their length.
SWEEP_MIN_LENGTH = 4


@dataclass(frozen=True)
class Role:
    """One column holding a member id, with what goes with it when it is that member."""

    column: str
    names: tuple[str, ...] = ()  # columns naming that member: pseudonymised
    texts: tuple[str, ...] = ()  # free text blanked on forget


@dataclass(frozen=True)
class Keyed:
    """Rows naming the member directly in one or more columns."""

    table: str
    about: str  # what the rows are, shown in the export
    roles: tuple[Role, ...]
    hidden: tuple[str, ...] = ()  # other people's data, left out of the export
    # For a table without a community column: (its column, the parent table whose `id` it
    # names and whose community the row belongs to).
    within: tuple[str, str] | None = None

    @property
    def name(self) -> str:
        return self.table

    @property
    def scope(self) -> str:
        """The condition that limits rows to one community (one parameter)."""
        if self.within is None:
            return "community = ?"
        column, parent = self.within
        return f"{column} IN (SELECT id FROM {parent} WHERE community = ?)"


@dataclass(frozen=True)
class Through:
    """Rows belonging to a parent row that is about the member (a flag's messages)."""

    name: str  # the export's section; the table may have a `Keyed` entry too
    table: str
    about: str
    parent: str
    link: tuple[tuple[str, str], ...]  # (this table's column, the parent's column)
    parent_member: str  # the parent's column holding the member id
    texts: tuple[str, ...] = ()
    hidden: tuple[str, ...] = ()


Entry = Keyed | Through

REGISTRY: tuple[Entry, ...] = (
    Keyed(
        "welcome_members",
        "joining, being welcomed and accepting the rules",
        (Role("member_id", names=("name",)),),
    ),
    Keyed(
        "welcome_wave_members",
        "joins counted in a join wave the moderators were alerted to",
        (Role("member_id", names=("name",)),),
    ),
    Keyed(
        "welcome_raid_steps",
        "time-outs the bot placed when the member joined during a raid, and what became of them",
        (Role("member_id", names=("name",)),),
    ),
    Keyed(
        "welcome_raids",
        "raid states the member ended or undid as a moderator",
        (Role("ended_by"), Role("undone_by")),
    ),
    Keyed(
        "kudos",
        "kudos given and received, with the reason",
        (Role("giver_id", texts=("reason",)), Role("receiver_id", ("receiver_name",), ("reason",))),
    ),
    Keyed(
        "moderation_flags",
        "flags about the member's messages or conduct, and flags they settled as moderator",
        (Role("author_id", names=("author_name",)), Role("acted_by")),
    ),
    Through(
        "flagged_messages",
        "moderation_flag_messages",
        "snapshots of the member's flagged messages",
        parent="moderation_flags",
        link=(("flag_id", "id"),),
        parent_member="author_id",
        texts=("excerpt",),
    ),
    Through(
        "rule_matches",
        "moderation_hits",
        "the moderation rules the member's messages matched",
        parent="moderation_flags",
        link=(("flag_id", "id"),),
        parent_member="author_id",
        texts=("matched",),
    ),
    Through(
        "reports_about_member",
        "moderation_reports",
        "reports by others about the member's messages (who reported is not shown)",
        parent="moderation_flags",
        link=(("flag_id", "id"),),
        parent_member="author_id",
        texts=("reason",),
        hidden=("reporter_id", "reporter_name", "reporter_locale"),
    ),
    Keyed(
        "moderation_reports",
        "reports the member filed, with their text",
        (Role("reporter_id", names=("reporter_name",), texts=("reason",)),),
    ),
    Keyed(
        "moderation_votes",
        "the member's votes as moderator on flags",
        (Role("moderator_id"),),
    ),
    Keyed(
        "moderation_automod_executions",
        "Discord's AutoMod acting on the member's messages (a hash of the text, never the text)",
        (Role("user_id", texts=("content_hash",)),),
    ),
    Keyed(
        "moderation_credits",
        "infractions credited to the member as one of the deciding moderators",
        (Role("moderator_id"),),
        within=("infraction_id", "moderation_infractions"),
    ),
    Keyed(
        "moderation_pardon_votes",
        "the member's votes as moderator to pardon an infraction",
        (Role("moderator_id"),),
        within=("infraction_id", "moderation_infractions"),
    ),
    Keyed(
        "moderation_notes",
        "notes moderators wrote about the member (their text), and notes they wrote",
        (Role("member_id", names=("member_name",), texts=("text",)), Role("author_id")),
    ),
    Keyed(
        "moderation_appeals",
        "the member's appeals against infractions (their text), and appeals they decided",
        (Role("member_id", names=("member_name",), texts=("text",)), Role("decided_by")),
    ),
    Keyed(
        "moderation_appeal_votes",
        "the member's votes as moderator on appeals",
        (Role("moderator_id"),),
        within=("appeal_id", "moderation_appeals"),
    ),
    Keyed(
        "moderation_infractions",
        "warnings, timeouts, kicks and bans of the member, and those they gave as moderator",
        (Role("member_id", names=("member_name",)), Role("moderator_id")),
    ),
    Keyed(
        "tickets",
        "tickets the member opened (their text), owns or resolved as ambassador",
        (
            Role("opener_id", names=("opener_name",), texts=("details",)),
            Role("owner_id", names=("owner_name",)),
            Role("resolved_by"),
        ),
    ),
    Through(
        "history_of_their_tickets",
        "ticket_history",
        "the history of the tickets the member opened",
        parent="tickets",
        link=(("community", "community"), ("number", "number")),
        parent_member="opener_id",
    ),
    Keyed(
        "ticket_history",
        "ticket changes the member made",
        (Role("actor_id", names=("actor_name",)),),
    ),
    Keyed(
        "rule_window_authors",
        "when the member last posted, for the spam rules (kept an hour)",
        (Role("author"),),
    ),
    Keyed(
        "rule_window_posts",
        "the member's recent posts as the spam rules count them, never their text (an hour)",
        (Role("author"),),
    ),
    Keyed("ticket_votes", "the member's votes on tickets", (Role("member_id"),)),
    Keyed(
        "ticket_watchers",
        "tickets the member watches",
        (Role("member_id", names=("member_name",)),),
    ),
    Keyed(
        "moderation_watch_notices",
        "the ambassadors' notices that the member mentioned a watched topic",
        (Role("member_id", names=("author_name",), texts=("excerpt",)),),
    ),
    Keyed(
        "audit_log",
        "audit entries where the member acted or was the subject",
        (Role("actor_id"), Role("subject"), Role("member_id")),
    ),
    Keyed(
        "community_overrides",
        "configuration the member changed as admin",
        (Role("updated_by"),),
    ),
    Keyed(
        "reaction_marks",
        "the member's reactions the bot handled on flags and ticket trackers",
        (Role("user_id"),),
    ),
    Keyed(
        "web_used_links",
        "sign-in links to the insights pages the member used (kept until they expire)",
        (Role("member_id"),),
    ),
    Keyed(
        "member_languages",
        "the languages the member said they handle, and those they set for others as admin",
        (Role("member_id"), Role("set_by")),
    ),
    Keyed(
        "privacy_requests",
        "the member's requests to see or erase their data",
        (Role("member_id", names=("member_name",)), Role("decided_by")),
    ),
)

# Member-like columns that are not a member's id, each with the reason.
NOT_PERSONAL: dict[tuple[str, str], str] = {
    ("jobs", "lease_owner"): "the bot process carrying the job out",
    ("outbox", "lease_owner"): "the bot process delivering the entry",
    ("tickets", "opener_locale"): "the language of the opener's notices; names nobody",
    ("moderation_reports", "reporter_locale"): "the language of the reporter's notice",
    ("moderation_appeals", "member_locale"): "the language of the appellant's notices",
}

# A column whose name says it may hold a member id: the registry must account for it.
MEMBER_LIKE = re.compile(
    r"(author|member|user|opener|owner|actor|moderator|reporter|giver|receiver|voter|watcher"
    r"|assignee|assigned|appellant|acted_by|resolved_by|updated_by|decided_by|created_by"
    r"|edited_by|subject)",
)


@dataclass
class Found:
    """One entry's rows about the member in one community."""

    entry: Entry
    rows: list[dict[str, Any]]


@dataclass
class Forgotten:
    """What a forget changed: rows per table, and the pseudonym that replaced the id."""

    pseudonym: str
    rows: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.rows.values())


def new_pseudonym() -> str:
    """Random, not a hash of the id: a hash would let anyone holding the id find the rows."""
    return PSEUDONYM_PREFIX + secrets.token_hex(6)


async def communities_of(db: Database, member_id: str) -> list[str]:
    """The communities holding any row keyed by this member id."""
    found: set[str] = set()
    for entry in REGISTRY:
        if isinstance(entry, Keyed):
            source = entry.table
            if entry.within is not None:
                column, parent = entry.within
                source = f"{entry.table} JOIN {parent} ON {parent}.id = {entry.table}.{column}"
            for role in entry.roles:
                rows = await db.fetch_all(
                    f"SELECT DISTINCT community FROM {source}"
                    f" WHERE {entry.table}.{role.column} = ?",
                    (member_id,),
                )
                found.update(row[0] for row in rows)
    return sorted(found)


async def export(db: Database, community: str, member_id: str) -> list[Found]:
    """Every registry entry with its rows about the member (possibly none)."""
    result = []
    keys = {table.name: table.key for table in await tables(db)}
    for entry in REGISTRY:
        order = ", ".join(keys[entry.table])  # a stable order: the primary key's
        rows = await _select(db, entry, community, member_id, order)
        shown = [_readable(row, entry.hidden) for row in rows]
        result.append(Found(entry, shown))
    return result


async def forget(
    db: Database, community: str, member_id: str, *, actor: str, at: datetime
) -> Forgotten:
    """Pseudonymise and blank everything about the member in one transaction, and record
    in the audit log that it happened (never what was erased)."""

    async def work(tx: Transaction) -> Forgotten:
        done = Forgotten(new_pseudonym())
        names: set[str] = set()
        texts: set[str] = set()
        for entry in (e for e in REGISTRY if isinstance(e, Through)):
            count = await _blank_through(tx, entry, community, member_id, texts)
            _add(done.rows, entry.table, count)
        for entry in (e for e in REGISTRY if isinstance(e, Keyed)):
            for role in entry.roles:
                count = await _replace_role(
                    tx, entry, role, community, member_id, done, names, texts
                )
                _add(done.rows, entry.table, count)
        if not done.total:
            return done
        swept = await _sweep(db, tx, community, member_id, done.pseudonym, names, texts)
        for table, count in swept.items():
            _add(done.rows, table, count)
        details = {"rows": done.total, "tables": dict(sorted(done.rows.items()))}
        await tx.execute(
            "INSERT INTO audit_log (community, at, actor_id, action, subject, details)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (community, to_db(at), actor, "privacy.forget", done.pseudonym, json.dumps(details)),
        )
        return done

    return await db.atomic(work)


async def _select(
    db: Database, entry: Entry, community: str, member_id: str, order: str
) -> list[Row]:
    if isinstance(entry, Keyed):
        matches = " OR ".join(f"{role.column} = ?" for role in entry.roles)
        return await db.fetch_all(
            f"SELECT * FROM {entry.table} WHERE {entry.scope} AND ({matches}) ORDER BY {order}",
            (community, *(member_id for _ in entry.roles)),
        )
    where, params = _through_where(entry, community, member_id)
    return await db.fetch_all(f"SELECT * FROM {entry.table} WHERE {where} ORDER BY {order}", params)


def _through_where(entry: Through, community: str, member_id: str) -> tuple[str, tuple[Any, ...]]:
    child = ", ".join(column for column, _ in entry.link)
    parent = ", ".join(column for _, column in entry.link)
    where = (
        f"community = ? AND ({child}) IN (SELECT {parent} FROM {entry.parent}"
        f" WHERE community = ? AND {entry.parent_member} = ?)"
    )
    return where, (community, community, member_id)


def _readable(row: Row, hidden: Sequence[str]) -> dict[str, Any]:
    """The row as JSON-ready values: stored JSON decoded, other people's data left out."""
    shown = {}
    for key, value in dict(row).items():
        if key in hidden:
            continue
        if key in ("details", "reasons", "payload") and isinstance(value, str):
            with contextlib.suppress(ValueError):
                value = json.loads(value)
        shown[key] = value
    return shown


async def _blank_through(
    tx: Transaction, entry: Through, community: str, member_id: str, texts: set[str]
) -> int:
    if not entry.texts:
        return 0
    where, params = _through_where(entry, community, member_id)
    filled = " OR ".join(f"{column} <> ''" for column in entry.texts)
    rows = await tx.fetch_all(
        f"SELECT {', '.join(entry.texts)} FROM {entry.table} WHERE {where} AND ({filled})",
        params,
    )
    if not rows:
        return 0
    texts.update(str(value) for row in rows for value in row if value)
    blanks = ", ".join(f"{column} = ''" for column in entry.texts)
    return await tx.execute(f"UPDATE {entry.table} SET {blanks} WHERE {where}", params)


async def _replace_role(
    tx: Transaction,
    entry: Keyed,
    role: Role,
    community: str,
    member_id: str,
    done: Forgotten,
    names: set[str],
    texts: set[str],
) -> int:
    table = entry.table
    where = f"{entry.scope} AND {role.column} = ?"
    kept = (*role.names, *role.texts)
    if kept:
        rows = await tx.fetch_all(
            f"SELECT {', '.join(kept)} FROM {table} WHERE {where}", (community, member_id)
        )
        for row in rows:
            names.update(str(row[column]) for column in role.names if row[column])
            texts.update(str(row[column]) for column in role.texts if row[column])
    assignments = [f"{role.column} = ?", *(f"{column} = ?" for column in role.names)]
    assignments += [f"{column} = ''" for column in role.texts]
    params = (done.pseudonym, *(done.pseudonym for _ in role.names), community, member_id)
    return await tx.execute(f"UPDATE {table} SET {', '.join(assignments)} WHERE {where}", params)


async def _sweep(
    db: Database,
    tx: Transaction,
    community: str,
    member_id: str,
    pseudonym: str,
    names: Iterable[str],
    texts: Iterable[str],
) -> dict[str, int]:
    """Replace what is left of the member anywhere in the community's rows: ids and names
    by the pseudonym, their texts by nothing (JSON stays JSON)."""
    replace = _Replacer(member_id, pseudonym, names, texts)
    changed: dict[str, int] = {}
    for table in await tables(db):
        if "community" not in table.columns:
            continue
        rows = await tx.fetch_all(f"SELECT * FROM {table.name} WHERE community = ?", (community,))
        for row in rows:
            updates = {
                column: new
                for column in table.columns
                if column != "community"
                if isinstance(row[column], str) and (new := replace(row[column])) != row[column]
            }
            if not updates:
                continue
            sets = ", ".join(f"{column} = ?" for column in updates)
            match = " AND ".join(f"{column} = ?" for column in table.key)
            await tx.execute(
                f"UPDATE {table.name} SET {sets} WHERE {match}",
                (*updates.values(), *(row[column] for column in table.key)),
            )
            _add(changed, table.name, 1)
    return changed


class _Replacer:
    """Replaces a member's id and names by a pseudonym and their texts by nothing inside
    JSON string values (what the bot stored), each where it stands alone as words; a JSON
    value that is exactly a name or a text is replaced whatever its length. In plain text
    only the id as part of a key or a mention is replaced: the rest of a plain column is
    a status, a category or someone else's words, which a common name must not rewrite."""

    def __init__(
        self, member_id: str, pseudonym: str, names: Iterable[str], texts: Iterable[str]
    ) -> None:
        names, texts = set(names), set(texts)
        self._pseudonym = pseudonym
        self._exact = {**dict.fromkeys(texts, ""), **dict.fromkeys(names, pseudonym)}
        by_pseudonym = [member_id, *(n for n in names if len(n) >= SWEEP_MIN_LENGTH)]
        self._ids = [_word(value) for value in sorted(set(by_pseudonym), key=len, reverse=True)]
        long_texts = {t for t in texts if len(t) >= SWEEP_MIN_LENGTH}
        self._texts = [_word(text) for text in sorted(long_texts, key=len, reverse=True)]
        member = re.escape(member_id)
        self._id_in_key = re.compile(rf"^{member}$|(?<=[:@!/]){member}(?![\w])")

    def __call__(self, value: str) -> str:
        if value[:1] in "[{":
            try:
                decoded = json.loads(value)
            except ValueError:
                pass
            else:
                cleaned = self._walk(decoded)
                return value if cleaned == decoded else json.dumps(cleaned, ensure_ascii=False)
        return self._id_in_key.sub(self._pseudonym, value)

    def _walk(self, value: Any) -> Any:
        if isinstance(value, str):
            return self._exact.get(value, self._text(value))
        if isinstance(value, list):
            return [self._walk(item) for item in value]
        if isinstance(value, dict):
            return {key: self._walk(item) for key, item in value.items()}
        return value

    def _text(self, value: str) -> str:
        for text in self._texts:
            value = text.sub("", value)
        for pattern in self._ids:
            value = pattern.sub(self._pseudonym, value)
        return value


def _word(value: str) -> re.Pattern[str]:
    """`value` where it stands alone: the id 12 is not replaced inside 3124."""
    return re.compile(rf"(?<![\w]){re.escape(value)}(?![\w])")


def _add(counts: dict[str, int], table: str, count: int) -> None:
    if count:
        counts[table] = counts.get(table, 0) + count
