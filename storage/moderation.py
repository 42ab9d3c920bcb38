"""Moderation state: flags, the messages and rule hits behind them, reports, votes and
infractions.

Everything a moderator can see is written here before it is posted, and every decision is
one transaction: a flag is claimed with ``UPDATE ... WHERE status = 'open'`` together with
the infraction and the audit entry, so two moderators reacting at the same moment produce
exactly one action, and a restart between flag and reaction loses nothing (the flag is
found again by its posted message).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from storage.audit import AuditLog
from storage.database import Database, Row, Transaction
from storage.locks import take_turn
from storage.outbox import PENDING, RUNNING
from storage.timestamps import from_db, optional_from_db, to_db


class FlagStatus(StrEnum):
    OPEN = "open"
    ACTING = "acting"  # claimed; the platform action is under way
    SETTLED = "settled"


class FlagKind(StrEnum):
    MESSAGE = "message"  # one or more messages (a burst) by one member
    ESCALATION = "escalation"  # the escalation ladder suggests an action for a member
    DIRECT = "direct"  # a moderator's /warn, /timeout, /kick or /ban, without a message


class DecisionKind(StrEnum):
    CLAIMED = "claimed"  # this moderator's decision won; carry it out
    PENDING = "pending"  # vote recorded; more moderators must confirm
    DUPLICATE_VOTE = "duplicate vote"  # this moderator already voted for this action
    CLOSED = "closed"  # someone else settled (or is settling) the flag
    MISSING = "missing"


@dataclass(frozen=True, slots=True)
class MessageSnapshot:
    """What a flag keeps of a message, so the record survives the message's deletion."""

    channel_id: str
    channel_name: str
    message_id: str
    author_id: str
    author_name: str
    excerpt: str
    permalink: str
    posted_at: datetime
    # A forward: '' from an unknown place or another server, else the original channel's id.
    forwarded_from: str | None = None
    forwarded_from_name: str = ""
    # The language of its channel ([community.languages]); '' where none is configured.
    language: str = ""


# A value a rule reason's text names: plain data, worded by each reader.
ReasonValue = str | int | float


@dataclass(frozen=True, slots=True)
class HitReason:
    """Why a rule matched, as data: a key of the moderation catalogs' ``[reason]`` table and
    the values its text names. Stored as JSON, so each reader sees it in their language."""

    key: str
    values: tuple[tuple[str, ReasonValue], ...] = ()


@dataclass(frozen=True, slots=True)
class NewHit:
    rule: str
    action: str
    matched: str  # what was typed, as shown to moderators (secrets already cut short)
    reasons: tuple[HitReason, ...] = ()  # why the rule matched, each place once
    flags: bool = True  # False for hits that only notify (watch words)


@dataclass(frozen=True, slots=True)
class Flag:
    id: int
    community: str
    kind: FlagKind
    author_id: str
    author_name: str
    status: FlagStatus
    outcome: str | None
    acted_by: str | None
    acted_at: datetime | None
    reason: str
    error: str
    suggested: str | None
    timeout_seconds: int | None
    details: dict[str, Any]
    post_channel_id: str | None
    post_message_id: str | None
    created_at: datetime
    last_activity_at: datetime
    # The language of the flagged message's channel ('' for none): `/flags open language:`
    # and the per-language desks go by it. A flag keeps the language of its first message.
    language: str = ""


@dataclass(frozen=True, slots=True)
class FlaggedMessage:
    channel_id: str
    channel_name: str
    message_id: str
    excerpt: str
    permalink: str
    posted_at: datetime
    deleted_at: datetime | None
    forwarded_from: str | None = None  # as in `MessageSnapshot`
    forwarded_from_name: str = ""


@dataclass(frozen=True, slots=True)
class Hit:
    channel_id: str
    message_id: str
    rule: str
    action: str
    matched: str
    reasons: tuple[HitReason, ...]
    at: datetime
    # Hits stored before migration 0007 have no `reasons`, only the engine's English words
    # of then ("keyword 'darn'"), which are shown as they are.
    legacy_reason: str = ""


@dataclass(frozen=True, slots=True)
class Report:
    id: int
    channel_id: str
    message_id: str
    reporter_id: str
    reporter_name: str
    reporter_locale: str | None
    reason: str
    at: datetime
    notified_at: datetime | None


@dataclass(frozen=True, slots=True)
class Vote:
    action: str
    moderator_id: str
    at: datetime


@dataclass(frozen=True, slots=True)
class FlagDetails:
    flag: Flag
    messages: tuple[FlaggedMessage, ...] = ()
    hits: tuple[Hit, ...] = ()
    reports: tuple[Report, ...] = ()
    votes: tuple[Vote, ...] = ()

    @property
    def rules(self) -> list[str]:
        return list(dict.fromkeys(hit.rule for hit in self.hits))


@dataclass(frozen=True, slots=True)
class Filed:
    """A flag that a hit or report went into, and whether it was new."""

    flag: Flag
    created: bool


@dataclass(frozen=True, slots=True)
class HitsRecorded:
    new: tuple[NewHit, ...]
    filed: Filed | None


@dataclass(frozen=True, slots=True)
class InfractionDraft:
    member_id: str
    member_name: str
    kind: str
    reason: str
    expires_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Infraction:
    id: int
    community: str
    member_id: str
    member_name: str
    kind: str
    reason: str
    moderator_id: str
    flag_id: int | None
    at: datetime
    expires_at: datetime | None
    status: str
    pardoned_by: str | None = None  # the moderator who pardoned it (status PARDONED)
    pardon_reason: str = ""
    # Every moderator it is credited to: all who voted for a quorum decision.
    credited: tuple[str, ...] = ()

    @property
    def deciders(self) -> tuple[str, ...]:
        return self.credited or (self.moderator_id,)


@dataclass(frozen=True, slots=True)
class Pardon:
    """The answer to a pardon: the infraction as it was, and whether this pardoned it."""

    infraction: Infraction | None  # None: no such infraction on record here
    done: bool  # False: it had been pardoned before, or waits for more votes
    votes: int = 0  # pardon votes so far, when it waits for more
    needed: int = 1  # votes a pardon takes: as many as the decision had
    repeated: bool = False  # this moderator had voted to pardon it before

    @property
    def waiting(self) -> bool:
        return not self.done and self.infraction is not None and self.infraction.status == ACTIVE


@dataclass(frozen=True, slots=True)
class Decision:
    kind: DecisionKind
    flag: Flag | None = None
    votes: tuple[Vote, ...] = ()
    infraction_id: int | None = None


class AlreadyReported(Exception):
    """This member already reported this message."""


class ReportLimitReached(Exception):
    """The member used up their reports for the window; they may report again at `retry_at`."""

    def __init__(self, retry_at: datetime) -> None:
        super().__init__(f"report limit reached until {retry_at.isoformat()}")
        self.retry_at = retry_at


@dataclass(frozen=True, slots=True)
class ReportLimit:
    count: int
    window: timedelta


# Infraction statuses: an infraction the platform refused to carry out is kept (the audit
# trail shows the attempt) but marked failed, so it never counts towards the ladder. A
# pardoned one (a moderator's mistake, or a change of heart) stays listed but counts no more.
ACTIVE = "active"
FAILED = "failed"
PARDONED = "pardoned"
# Who pardoned an infraction and why is its audit entry, joined in when listing.
_WITH_PARDON = (
    "SELECT i.*, a.actor_id AS pardoned_by, a.details AS pardon_details"
    " FROM moderation_infractions i LEFT JOIN audit_log a ON a.community = i.community"
    " AND a.action = 'moderation.pardon' AND a.subject = 'infraction:' || i.id"
)


class ModerationRepository:
    """Every write takes an optional `tx`: the cog passes its own, so the state change and
    the outbox entries that announce it commit together."""

    def __init__(self, db: Database, audit: AuditLog) -> None:
        self._db = db
        self._audit = audit

    @asynccontextmanager
    async def _within(self, tx: Transaction | None) -> AsyncIterator[Transaction]:
        """The caller's transaction, or a new one."""
        if tx is not None:
            yield tx
            return
        async with self._db.transaction() as own:
            yield own

    # -- filing hits and reports ------------------------------------------------------------

    async def record_hits(
        self,
        community: str,
        message: MessageSnapshot,
        hits: Sequence[NewHit],
        now: datetime,
        fold_since: datetime,
        tx: Transaction | None = None,
    ) -> HitsRecorded:
        """Store the hits not seen before on this message; file flagging ones into a flag.

        A rule that already hit this message (say, before an edit) is skipped, so the same
        message is never flagged twice for the same rule.
        """
        async with self._within(tx) as tx:
            seen = {
                row["rule"]
                for row in await tx.fetch_all(
                    "SELECT rule FROM moderation_hits"
                    " WHERE community = ? AND channel_id = ? AND message_id = ?",
                    (community, message.channel_id, message.message_id),
                )
            }
            new: list[NewHit] = []
            for hit in hits:
                if hit.rule not in seen:
                    seen.add(hit.rule)
                    new.append(hit)
            filed = None
            if any(hit.flags for hit in new):
                filed = await _file(tx, community, message, now, fold_since)
            for hit in new:
                await tx.execute(
                    "INSERT INTO moderation_hits (community, flag_id, channel_id, message_id,"
                    " rule, action, matched, reasons, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        community,
                        filed.flag.id if filed and hit.flags else None,
                        message.channel_id,
                        message.message_id,
                        hit.rule,
                        hit.action,
                        hit.matched,
                        _reasons_to_db(hit.reasons),
                        to_db(now),
                    ),
                )
            if filed is not None:
                filed = Filed(await _flag(tx, filed.flag.id), filed.created)
        return HitsRecorded(tuple(new), filed)

    async def file_report(
        self,
        community: str,
        message: MessageSnapshot,
        reporter_id: str,
        reporter_name: str,
        reporter_locale: str | None,
        reason: str,
        now: datetime,
        fold_since: datetime,
        limit: ReportLimit | None,
        tx: Transaction | None = None,
    ) -> Filed:
        """Store a member's report and fold it into the message's flag.

        Raises `AlreadyReported` or `ReportLimitReached`; then nothing is stored.
        """
        async with self._within(tx) as tx:
            await _check_report(
                tx, community, message.channel_id, message.message_id, reporter_id, now, limit
            )
            filed = await _file(tx, community, message, now, fold_since)
            report_id = await tx.insert(
                "INSERT INTO moderation_reports (community, flag_id, channel_id, message_id,"
                " reporter_id, reporter_name, reporter_locale, reason, at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    community,
                    filed.flag.id,
                    message.channel_id,
                    message.message_id,
                    reporter_id,
                    reporter_name,
                    reporter_locale,
                    reason,
                    to_db(now),
                ),
            )
            await self._audit.record(
                community,
                reporter_id,
                "moderation.report",
                now,
                subject=f"flag:{filed.flag.id}",
                details={"report": report_id, "message": message.message_id},
                tx=tx,
            )
            return Filed(await _flag(tx, filed.flag.id), filed.created)

    async def check_report(
        self,
        community: str,
        channel_id: str,
        message_id: str,
        reporter_id: str,
        now: datetime,
        limit: ReportLimit | None,
    ) -> None:
        """Raise `AlreadyReported` or `ReportLimitReached` if `file_report` would; lets the
        message action refuse before the member types a reason."""
        async with self._db.transaction() as tx:
            await _check_report(tx, community, channel_id, message_id, reporter_id, now, limit)

    async def file_escalation(
        self,
        community: str,
        member_id: str,
        member_name: str,
        suggested: str,
        duration: timedelta | None,
        details: dict[str, Any],
        now: datetime,
        tx: Transaction | None = None,
    ) -> Filed:
        """Open a flag suggesting an action for a member, unless one is already open."""
        async with self._within(tx) as tx:
            row = await tx.fetch_one(
                "SELECT id FROM moderation_flags WHERE community = ? AND author_id = ?"
                " AND kind = ? AND status != ?",
                (community, member_id, FlagKind.ESCALATION, FlagStatus.SETTLED),
            )
            if row is not None:
                return Filed(await _flag(tx, row["id"]), False)
            flag_id = await tx.insert(
                "INSERT INTO moderation_flags (community, kind, author_id, author_name,"
                " suggested, timeout_seconds, details, created_at, last_activity_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    community,
                    FlagKind.ESCALATION,
                    member_id,
                    member_name,
                    suggested,
                    int(duration.total_seconds()) if duration else None,
                    json.dumps(details),
                    to_db(now),
                    to_db(now),
                ),
            )
            return Filed(await _flag(tx, flag_id), True)

    # -- reading ----------------------------------------------------------------------------

    async def flag(
        self, community: str, flag_id: int, tx: Transaction | None = None
    ) -> Flag | None:
        row = await (tx or self._db).fetch_one(
            "SELECT * FROM moderation_flags WHERE community = ? AND id = ?", (community, flag_id)
        )
        return None if row is None else _flag_from(row)

    async def hold(self, tx: Transaction, community: str, flag_id: int) -> None:
        """Hold the flag's row until `tx` ends, before rendering it: on PostgreSQL, a
        transaction that read the flag before another one changed it (the kick's settling
        beside a message deletion's continuation) fails here and runs again, instead of
        writing the older state last. A no-op UPDATE takes the row lock on every backend."""
        await tx.execute(
            "UPDATE moderation_flags SET status = status WHERE community = ? AND id = ?",
            (community, flag_id),
        )

    async def flag_for_post(self, community: str, channel_id: str, message_id: str) -> Flag | None:
        """The flag whose moderators' message this is, if any."""
        row = await self._db.fetch_one(
            "SELECT * FROM moderation_flags WHERE community = ? AND post_channel_id = ?"
            " AND post_message_id = ?",
            (community, channel_id, message_id),
        )
        return None if row is None else _flag_from(row)

    async def details(
        self, community: str, flag_id: int, tx: Transaction | None = None
    ) -> FlagDetails | None:
        flag = await self.flag(community, flag_id, tx)
        db = tx or self._db
        if flag is None:
            return None
        messages = await db.fetch_all(
            "SELECT * FROM moderation_flag_messages WHERE flag_id = ? ORDER BY posted_at, id",
            (flag_id,),
        )
        hits = await db.fetch_all(
            "SELECT * FROM moderation_hits WHERE flag_id = ? ORDER BY id", (flag_id,)
        )
        reports = await db.fetch_all(
            "SELECT * FROM moderation_reports WHERE flag_id = ? ORDER BY id", (flag_id,)
        )
        votes = await db.fetch_all(
            "SELECT * FROM moderation_votes WHERE flag_id = ? ORDER BY at, id", (flag_id,)
        )
        return FlagDetails(
            flag,
            tuple(_message_from(r) for r in messages),
            tuple(_hit_from(r) for r in hits),
            tuple(_report_from(r) for r in reports),
            tuple(Vote(r["action"], r["moderator_id"], from_db(r["at"])) for r in votes),
        )

    async def file_direct(
        self,
        community: str,
        member_id: str,
        member_name: str,
        action: str,
        moderator_id: str,
        now: datetime,
        tx: Transaction | None = None,
    ) -> Filed:
        """A flag for a moderator's direct action against a member. A ban joins the open ban
        proposal about the member, if there is one (its quorum is counted on that flag);
        the member's turn is taken first, so two moderators proposing at once share one."""
        async with self._within(tx) as tx:
            await take_turn(tx, community, f"moderation:direct:{member_id}")
            if action == "ban":
                row = await tx.fetch_one(
                    "SELECT id FROM moderation_flags WHERE community = ? AND author_id = ?"
                    " AND kind = ? AND suggested = ? AND status = ? ORDER BY id LIMIT 1",
                    (community, member_id, FlagKind.DIRECT, action, FlagStatus.OPEN),
                )
                if row is not None:
                    return Filed(await _flag(tx, row["id"]), False)
            flag_id = await tx.insert(
                "INSERT INTO moderation_flags (community, kind, author_id, author_name,"
                " suggested, details, created_at, last_activity_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    community,
                    FlagKind.DIRECT,
                    member_id,
                    member_name,
                    action,
                    json.dumps({"by": moderator_id}),
                    to_db(now),
                    to_db(now),
                ),
            )
            return Filed(await _flag(tx, flag_id), True)

    async def open_about(self, tx: Transaction, community: str, member_id: str) -> list[int]:
        """The ids of a member's unsettled flags (to show a new note on them)."""
        rows = await tx.fetch_all(
            "SELECT id FROM moderation_flags WHERE community = ? AND author_id = ?"
            " AND status != ? ORDER BY id",
            (community, member_id, FlagStatus.SETTLED),
        )
        return [row["id"] for row in rows]

    async def open_flags(
        self, community: str, limit: int, language: str | None = None
    ) -> tuple[list[FlagDetails], int]:
        """The oldest unsettled flags first (up to `limit`), and how many there are; with
        `language`, only flags about messages in that language's channels."""
        where = "community = ? AND status != ?" + (" AND language = ?" if language else "")
        params: tuple[str, ...] = (community, FlagStatus.SETTLED)
        params += (language,) if language else ()
        total = await self._db.fetch_value(
            f"SELECT COUNT(*) FROM moderation_flags WHERE {where}", params
        )
        rows = await self._db.fetch_all(
            f"SELECT id FROM moderation_flags WHERE {where} ORDER BY created_at, id LIMIT ?",
            (*params, limit),
        )
        found = [await self.details(community, row["id"]) for row in rows]
        return [d for d in found if d is not None], int(total)

    async def recent_open_posts(self, community: str, limit: int) -> list[Flag]:
        """The newest open flags that have a message in the moderators' channel, at most
        `limit`: what a catch-up after a reconnect reads for moderators' reactions."""
        rows = await self._db.fetch_all(
            "SELECT * FROM moderation_flags WHERE community = ? AND status = ?"
            " AND post_message_id IS NOT NULL AND post_channel_id IS NOT NULL"
            " ORDER BY created_at DESC, id DESC LIMIT ?",
            (community, FlagStatus.OPEN, limit),
        )
        return [_flag_from(row) for row in rows]

    async def acting(self) -> list[Flag]:
        """Flags claimed but not yet settled: their actions wait in the outbox (or, for a
        claim stored by an older version, were never written there)."""
        rows = await self._db.fetch_all(
            "SELECT * FROM moderation_flags WHERE status = ? ORDER BY id", (FlagStatus.ACTING,)
        )
        return [_flag_from(row) for row in rows]

    async def unposted(self, tx: Transaction, community: str) -> list[Flag]:
        """Flags with no message in the moderators' channel and no post of theirs under way
        in the outbox: left by a broken channel, or stored by an older version."""
        rows = await tx.fetch_all(
            "SELECT * FROM moderation_flags f WHERE f.community = ? AND f.post_message_id IS NULL"
            " AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.idempotency_key LIKE"
            " 'moderation:flag:' || f.id || ':post%' AND o.status IN (?, ?)) ORDER BY f.id",
            (community, PENDING, RUNNING),
        )
        return [_flag_from(row) for row in rows]

    async def communities(self) -> list[str]:
        """Every community with a flag."""
        rows = await self._db.fetch_all("SELECT DISTINCT community FROM moderation_flags")
        return [row["community"] for row in rows]

    async def communities_with_unposted(self, tx: Transaction) -> list[str]:
        rows = await tx.fetch_all(
            "SELECT DISTINCT community FROM moderation_flags WHERE post_message_id IS NULL"
            " ORDER BY community"
        )
        return [row["community"] for row in rows]

    async def under_way(self, tx: Transaction, key_prefix: str) -> int | None:
        """The newest outbox entry whose key starts with `key_prefix` that is still to be
        carried out (a flag's post, so a change can queue its edit behind it; a community's
        retry of unposted flags), if any."""
        row = await tx.fetch_one(
            "SELECT id FROM outbox WHERE idempotency_key LIKE ? AND status IN (?, ?)"
            " ORDER BY id DESC LIMIT 1",
            (key_prefix.replace("%", "") + "%", PENDING, RUNNING),
        )
        return None if row is None else int(row["id"])

    # -- posting ----------------------------------------------------------------------------

    async def set_post(
        self, tx: Transaction, community: str, flag_id: int, channel_id: str, message_id: str
    ) -> None:
        await tx.execute(
            "UPDATE moderation_flags SET post_channel_id = ?, post_message_id = ?"
            " WHERE community = ? AND id = ?",
            (channel_id, message_id, community, flag_id),
        )

    async def mark_deleted(
        self,
        tx: Transaction,
        community: str,
        flag_id: int,
        channel_id: str,
        message_id: str,
        now: datetime,
    ) -> None:
        await tx.execute(
            "UPDATE moderation_flag_messages SET deleted_at = ? WHERE community = ?"
            " AND flag_id = ? AND channel_id = ? AND message_id = ? AND deleted_at IS NULL",
            (to_db(now), community, flag_id, channel_id, message_id),
        )

    async def mark_message_deleted(
        self,
        community: str,
        channel_id: str,
        message_id: str,
        now: datetime,
        tx: Transaction | None = None,
    ) -> list[int]:
        """Mark a message deleted on every flag that holds it; returns those flags' ids."""
        async with self._within(tx) as tx:
            rows = await tx.fetch_all(
                "SELECT flag_id FROM moderation_flag_messages WHERE community = ?"
                " AND channel_id = ? AND message_id = ? AND deleted_at IS NULL",
                (community, channel_id, message_id),
            )
            await tx.execute(
                "UPDATE moderation_flag_messages SET deleted_at = ? WHERE community = ?"
                " AND channel_id = ? AND message_id = ? AND deleted_at IS NULL",
                (to_db(now), community, channel_id, message_id),
            )
        return [row["flag_id"] for row in rows]

    # -- deciding ---------------------------------------------------------------------------

    async def decide(
        self,
        community: str,
        flag_id: int,
        action: str,
        moderator_id: str,
        reason: str,
        now: datetime,
        quorum: int,
        infraction: InfractionDraft | None,
        timeout_seconds: int | None = None,
        tx: Transaction | None = None,
    ) -> Decision:
        """Vote for `action`; once `quorum` moderators agree, claim the flag atomically.

        The claim, the infraction and the audit entry commit together, before anything
        happens on the platform; of two moderators deciding at the same moment exactly one
        gets `CLAIMED`, the other `CLOSED`. The flag's row is held from the first statement
        (a no-op UPDATE: a row lock on every backend), so votes on one flag are counted one
        decision at a time even by several processes on PostgreSQL: two moderators reaching
        the quorum together never both stay `PENDING`, each counting only their own vote.
        """
        async with self._within(tx) as tx:
            row = await tx.fetch_one(
                "UPDATE moderation_flags SET status = status WHERE community = ? AND id = ?"
                " RETURNING *",
                (community, flag_id),
            )
            if row is None:
                return Decision(DecisionKind.MISSING)
            if row["status"] != FlagStatus.OPEN:
                return Decision(DecisionKind.CLOSED, _flag_from(row))
            inserted = await tx.execute(
                "INSERT INTO moderation_votes (community, flag_id, action, moderator_id, at)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (flag_id, action, moderator_id) DO NOTHING",
                (community, flag_id, action, moderator_id, to_db(now)),
            )
            votes = await _votes(tx, flag_id, action)
            if len(votes) < quorum:
                if inserted:
                    await self._audit.record(
                        community,
                        moderator_id,
                        "moderation.vote",
                        now,
                        subject=f"flag:{flag_id}",
                        details={"action": action, "votes": len(votes), "needed": quorum},
                        tx=tx,
                    )
                kind = DecisionKind.PENDING if inserted else DecisionKind.DUPLICATE_VOTE
                return Decision(kind, _flag_from(row), votes)
            return await self._claim(
                tx, row, action, moderator_id, reason, now, votes, infraction, timeout_seconds
            )

    async def _claim(
        self,
        tx: Transaction,
        row: Row,
        action: str,
        moderator_id: str,
        reason: str,
        now: datetime,
        votes: tuple[Vote, ...],
        infraction: InfractionDraft | None,
        timeout_seconds: int | None,
    ) -> Decision:
        """Take the open flag for `action`, with its infraction and audit entry, or lose."""
        flag_id, community = row["id"], row["community"]
        claim = (FlagStatus.ACTING, action, moderator_id, to_db(now), reason, timeout_seconds)
        claimed = await tx.execute(
            "UPDATE moderation_flags SET status = ?, outcome = ?, acted_by = ?,"
            " acted_at = ?, reason = ?, error = '',"
            " timeout_seconds = COALESCE(?, timeout_seconds) WHERE id = ? AND status = ?",
            (*claim, flag_id, FlagStatus.OPEN),
        )
        if claimed != 1:
            return Decision(DecisionKind.CLOSED, _flag_from(row))
        infraction_id = None
        if infraction is not None:
            infraction_id = await _insert_infraction(
                tx, community, infraction, moderator_id, flag_id, now
            )
            for credited in dict.fromkeys([*(v.moderator_id for v in votes), moderator_id]):
                await tx.execute(
                    "INSERT INTO moderation_credits (infraction_id, moderator_id) VALUES (?, ?)"
                    " ON CONFLICT DO NOTHING",
                    (infraction_id, credited),
                )
        await self._audit.record(
            community,
            moderator_id,
            f"moderation.{action}",
            now,
            subject=f"flag:{flag_id}",
            details={
                "member": row["author_id"],
                "reason": reason,
                "confirmed_by": [v.moderator_id for v in votes],
                "infraction": infraction_id,
            },
            tx=tx,
        )
        return Decision(DecisionKind.CLAIMED, await _flag(tx, flag_id), votes, infraction_id)

    async def withdraw_vote(
        self,
        community: str,
        flag_id: int,
        action: str,
        moderator_id: str,
        now: datetime,
        tx: Transaction | None = None,
    ) -> bool:
        """Take back a vote on an open flag (the moderator removed their reaction)."""
        async with self._within(tx) as tx:
            removed = await tx.execute(
                "DELETE FROM moderation_votes WHERE flag_id = ? AND action = ?"
                " AND moderator_id = ? AND flag_id IN (SELECT id FROM moderation_flags"
                " WHERE community = ? AND status = ?)",
                (flag_id, action, moderator_id, community, FlagStatus.OPEN),
            )
            if removed:
                await self._audit.record(
                    community,
                    moderator_id,
                    "moderation.vote_withdrawn",
                    now,
                    subject=f"flag:{flag_id}",
                    details={"action": action},
                    tx=tx,
                )
            return bool(removed)

    async def finish(self, tx: Transaction, community: str, flag_id: int) -> bool:
        """The claimed action was carried out: the flag is settled for good. False if it
        was not acting (already settled, or reopened)."""
        changed = await tx.execute(
            "UPDATE moderation_flags SET status = ? WHERE community = ? AND id = ? AND status = ?",
            (FlagStatus.SETTLED, community, flag_id, FlagStatus.ACTING),
        )
        return changed == 1

    async def reopen(
        self,
        community: str,
        flag_id: int,
        error: str,
        actor_id: str,
        now: datetime,
        tx: Transaction | None = None,
    ) -> bool:
        """The platform refused the claimed action for good: record why and let moderators
        decide again. False (and nothing changed) if the flag was not acting."""
        async with self._within(tx) as tx:
            row = await tx.fetch_one(
                "SELECT outcome FROM moderation_flags WHERE community = ? AND id = ?",
                (community, flag_id),
            )
            reopened = await tx.execute(
                "UPDATE moderation_flags SET status = ?, outcome = NULL, acted_by = NULL,"
                " acted_at = NULL, error = ? WHERE community = ? AND id = ? AND status = ?",
                (FlagStatus.OPEN, error, community, flag_id, FlagStatus.ACTING),
            )
            if reopened != 1:
                return False
            await tx.execute("DELETE FROM moderation_votes WHERE flag_id = ?", (flag_id,))
            # The claim's infraction: the flag's only active one (earlier claims failed).
            await tx.execute(
                "UPDATE moderation_infractions SET status = ? WHERE community = ? AND flag_id = ?"
                " AND status = ?",
                (FAILED, community, flag_id, ACTIVE),
            )
            await self._audit.record(
                community,
                actor_id,
                "moderation.action_failed",
                now,
                subject=f"flag:{flag_id}",
                details={"action": row["outcome"] if row else None, "error": error},
                tx=tx,
            )
            return True

    # -- reporters --------------------------------------------------------------------------

    async def reports_to_notify(self, community: str, flag_id: int) -> list[Report]:
        rows = await self._db.fetch_all(
            "SELECT * FROM moderation_reports WHERE community = ? AND flag_id = ?"
            " AND notified_at IS NULL ORDER BY id",
            (community, flag_id),
        )
        return [_report_from(row) for row in rows]

    async def mark_notified(
        self, tx: Transaction, community: str, report_id: int, now: datetime
    ) -> None:
        await tx.execute(
            "UPDATE moderation_reports SET notified_at = ? WHERE community = ? AND id = ?",
            (to_db(now), community, report_id),
        )

    # -- infractions ------------------------------------------------------------------------

    async def record_infraction(
        self, community: str, draft: InfractionDraft, moderator_id: str, now: datetime
    ) -> int:
        """Record an infraction outside a flag (the escalation ladder applying a step)."""
        async with self._db.transaction() as tx:
            infraction_id = await _insert_infraction(tx, community, draft, moderator_id, None, now)
            await self._audit.record(
                community,
                moderator_id,
                f"moderation.{draft.kind}",
                now,
                subject=f"member:{draft.member_id}",
                details={"reason": draft.reason, "infraction": infraction_id},
                tx=tx,
            )
            return infraction_id

    async def mark_failed(self, community: str, infraction_id: int) -> None:
        await self._db.execute(
            "UPDATE moderation_infractions SET status = ? WHERE community = ? AND id = ?",
            (FAILED, community, infraction_id),
        )

    async def infractions(self, community: str, member_id: str, limit: int) -> list[Infraction]:
        """A member's infractions, newest first, pardoned ones too; failed attempts are
        left out."""
        rows = await self._db.fetch_all(
            f"{_WITH_PARDON} WHERE i.community = ? AND i.member_id = ? AND i.status IN (?, ?)"
            " ORDER BY i.at DESC, i.id DESC LIMIT ?",
            (community, member_id, ACTIVE, PARDONED, limit),
        )
        return await _with_credits(self._db, [_infraction_from(row) for row in rows])

    async def infraction(
        self, community: str, infraction_id: int, tx: Transaction | None = None
    ) -> Infraction | None:
        """One infraction on record (active or pardoned)."""
        source = tx or self._db
        row = await source.fetch_one(
            f"{_WITH_PARDON} WHERE i.community = ? AND i.id = ? AND i.status IN (?, ?)",
            (community, infraction_id, ACTIVE, PARDONED),
        )
        if row is None:
            return None
        return (await _with_credits(source, [_infraction_from(row)]))[0]

    async def latest_active(self, community: str, member_id: str, kind: str) -> Infraction | None:
        """A member's newest active infraction of `kind` (the ban an /unban lifts)."""
        row = await self._db.fetch_one(
            "SELECT id FROM moderation_infractions WHERE community = ? AND member_id = ?"
            " AND kind = ? AND status = ? ORDER BY at DESC, id DESC LIMIT 1",
            (community, member_id, kind, ACTIVE),
        )
        return None if row is None else await self.infraction(community, row["id"])

    async def pardon(
        self,
        community: str,
        infraction_id: int,
        moderator_id: str,
        reason: str,
        now: datetime,
        tx: Transaction | None = None,
    ) -> Pardon:
        """Vote to pardon an infraction; once as many moderators agree as decided it (one
        for most, all of a quorum's for a quorum decision), it stays on record but no longer
        counts. The infraction's row is locked first, so two last votes from two processes
        pardon it once."""
        async with self._within(tx) as tx:
            locked = await tx.execute(
                "UPDATE moderation_infractions SET status = status WHERE community = ? AND id = ?",
                (community, infraction_id),
            )
            infraction = await self.infraction(community, infraction_id, tx) if locked else None
            if infraction is None:
                return Pardon(None, done=False)
            if infraction.status != ACTIVE:
                return Pardon(infraction, done=False)
            needed = len(infraction.deciders)
            if needed > 1:
                inserted = await tx.execute(
                    "INSERT INTO moderation_pardon_votes (infraction_id, moderator_id, at)"
                    " VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                    (infraction_id, moderator_id, to_db(now)),
                )
                counted = await tx.fetch_one(
                    "SELECT COUNT(*) AS n FROM moderation_pardon_votes WHERE infraction_id = ?",
                    (infraction_id,),
                )
                votes = int(counted["n"]) if counted else 0
                if votes < needed:
                    if inserted:
                        await self._audit.record(
                            community,
                            moderator_id,
                            "moderation.pardon_vote",
                            now,
                            subject=f"infraction:{infraction_id}",
                            details={"member": infraction.member_id, "votes": votes},
                            tx=tx,
                        )
                    return Pardon(infraction, False, votes, needed, repeated=not inserted)
            await tx.execute(
                "UPDATE moderation_infractions SET status = ? WHERE id = ?",
                (PARDONED, infraction_id),
            )
            await self._audit.record(
                community,
                moderator_id,
                "moderation.pardon",
                now,
                subject=f"infraction:{infraction_id}",
                details={"member": infraction.member_id, "reason": reason},
                tx=tx,
            )
            return Pardon(infraction, done=True, needed=needed)

    async def find_member(self, community: str, text: str) -> tuple[str, str] | None:
        """(id, name) of someone with a record, by ID or name: they may have left or been banned."""
        row = await self._db.fetch_one(
            "SELECT member_id, member_name FROM moderation_infractions WHERE community = ?"
            " AND (member_id = ? OR LOWER(member_name) = LOWER(?)) ORDER BY at DESC LIMIT 1",
            (community, text, text),
        )
        return None if row is None else (row["member_id"], row["member_name"])

    async def infraction_counts(
        self, community: str, member_id: str, since: datetime, tx: Transaction | None = None
    ) -> dict[str, int]:
        """How many infractions of each kind a member received since `since`."""
        rows = await (tx or self._db).fetch_all(
            "SELECT kind, COUNT(*) AS n FROM moderation_infractions WHERE community = ?"
            " AND member_id = ? AND status = ? AND at >= ? GROUP BY kind",
            (community, member_id, ACTIVE, to_db(since)),
        )
        return {row["kind"]: int(row["n"]) for row in rows}


# -- exports ------------------------------------------------------------------------------

# An export reads in chunks of this many rows, so it never holds a whole table in memory.
EXPORT_CHUNK = 500


async def export_flags(db: Database, community: str | None) -> AsyncIterator[Flag]:
    """Every flag (of one community, or all), oldest first."""
    async for row in _chunks(db, "moderation_flags", community):
        yield _flag_from(row)


async def export_infractions(db: Database, community: str | None) -> AsyncIterator[Infraction]:
    """Every infraction (failed attempts too: the status says so), oldest first."""
    async for row in _chunks(db, "moderation_infractions", community):
        full = await db.fetch_one(f"{_WITH_PARDON} WHERE i.id = ?", (row["id"],))
        assert full is not None
        yield (await _with_credits(db, [_infraction_from(full)]))[0]


async def _chunks(db: Database, table: str, community: str | None) -> AsyncIterator[Row]:
    last = 0
    while True:
        rows = await db.fetch_all(
            f"SELECT * FROM {table} WHERE id > ? AND (? = '' OR community = ?) ORDER BY id LIMIT ?",
            (last, community or "", community or "", EXPORT_CHUNK),
        )
        for row in rows:
            yield row
        if len(rows) < EXPORT_CHUNK:
            return
        last = rows[-1]["id"]


async def delivery_state(db: Database, key: str) -> str | None:
    """The outbox status of the entry with idempotency key `key` (a member's notice), or
    None if there is none: what a moderator is told about whether the member heard."""
    row = await db.fetch_one("SELECT status FROM outbox WHERE idempotency_key = ?", (key,))
    return None if row is None else str(row["status"])


# -- helpers ------------------------------------------------------------------------------


async def _with_credits(
    source: Database | Transaction, infractions: list[Infraction]
) -> list[Infraction]:
    """The infractions with every moderator each is credited to."""
    if not infractions:
        return infractions
    marks = ", ".join("?" for _ in infractions)
    rows = await source.fetch_all(
        f"SELECT infraction_id, moderator_id FROM moderation_credits"
        f" WHERE infraction_id IN ({marks}) ORDER BY moderator_id",
        tuple(i.id for i in infractions),
    )
    credited: dict[int, list[str]] = {}
    for row in rows:
        credited.setdefault(row["infraction_id"], []).append(row["moderator_id"])
    return [replace(i, credited=tuple(credited.get(i.id, ()))) for i in infractions]


async def _file(
    tx: Transaction, community: str, message: MessageSnapshot, now: datetime, fold_since: datetime
) -> Filed:
    """Find the flag for this message, or the author's recent open flag, or open a new one."""
    # One filing at a time per community: two processes flagging one author's messages at
    # the same moment (a burst heard by two Slack replicas) must find one open flag, not
    # open two. Flags are rare, so the wait costs nothing on the hot path.
    await take_turn(tx, community, "moderation:file")
    row = await tx.fetch_one(
        "SELECT f.id FROM moderation_flags f JOIN moderation_flag_messages m ON m.flag_id = f.id"
        " WHERE m.community = ? AND m.channel_id = ? AND m.message_id = ? AND f.status != ?",
        (community, message.channel_id, message.message_id, FlagStatus.SETTLED),
    )
    created = False
    if row is None:
        row = await tx.fetch_one(
            "SELECT id FROM moderation_flags WHERE community = ? AND author_id = ? AND kind = ?"
            " AND status = ? AND last_activity_at >= ? ORDER BY last_activity_at DESC LIMIT 1",
            (community, message.author_id, FlagKind.MESSAGE, FlagStatus.OPEN, to_db(fold_since)),
        )
    if row is None:
        flag_id = await tx.insert(
            "INSERT INTO moderation_flags (community, kind, author_id, author_name, created_at,"
            " last_activity_at, language) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                community,
                FlagKind.MESSAGE,
                message.author_id,
                message.author_name,
                to_db(now),
                to_db(now),
                message.language,
            ),
        )
        created = True
    else:
        flag_id = row["id"]
        await tx.execute(
            "UPDATE moderation_flags SET last_activity_at = ? WHERE id = ?", (to_db(now), flag_id)
        )
    await tx.execute(
        "INSERT INTO moderation_flag_messages (community, flag_id, channel_id, channel_name,"
        " message_id, excerpt, permalink, posted_at, forwarded_from, forwarded_from_name)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (flag_id, channel_id, message_id) DO UPDATE SET excerpt = excluded.excerpt",
        (
            community,
            flag_id,
            message.channel_id,
            message.channel_name,
            message.message_id,
            message.excerpt,
            message.permalink,
            to_db(message.posted_at),
            message.forwarded_from,
            message.forwarded_from_name,
        ),
    )
    return Filed(await _flag(tx, flag_id), created)


async def _check_report(
    tx: Transaction,
    community: str,
    channel_id: str,
    message_id: str,
    reporter_id: str,
    now: datetime,
    limit: ReportLimit | None,
) -> None:
    duplicate = await tx.fetch_one(
        "SELECT id FROM moderation_reports WHERE community = ? AND channel_id = ?"
        " AND message_id = ? AND reporter_id = ?",
        (community, channel_id, message_id, reporter_id),
    )
    if duplicate is not None:
        raise AlreadyReported()
    if limit is not None:
        await _check_report_limit(tx, community, reporter_id, now, limit)


async def _check_report_limit(
    tx: Transaction, community: str, reporter_id: str, now: datetime, limit: ReportLimit
) -> None:
    rows = await tx.fetch_all(
        "SELECT at FROM moderation_reports WHERE community = ? AND reporter_id = ? AND at > ?"
        " ORDER BY at",
        (community, reporter_id, to_db(now - limit.window)),
    )
    if len(rows) >= limit.count:
        # The member may report again once the oldest report in the window ages out.
        raise ReportLimitReached(from_db(rows[len(rows) - limit.count]["at"]) + limit.window)


async def _votes(tx: Transaction, flag_id: int, action: str) -> tuple[Vote, ...]:
    rows = await tx.fetch_all(
        "SELECT * FROM moderation_votes WHERE flag_id = ? AND action = ? ORDER BY at, id",
        (flag_id, action),
    )
    return tuple(Vote(r["action"], r["moderator_id"], from_db(r["at"])) for r in rows)


async def _insert_infraction(
    tx: Transaction,
    community: str,
    draft: InfractionDraft,
    moderator_id: str,
    flag_id: int | None,
    now: datetime,
) -> int:
    return await tx.insert(
        "INSERT INTO moderation_infractions (community, member_id, member_name, kind, reason,"
        " moderator_id, flag_id, at, expires_at, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            community,
            draft.member_id,
            draft.member_name,
            draft.kind,
            draft.reason,
            moderator_id,
            flag_id,
            to_db(now),
            to_db(draft.expires_at) if draft.expires_at else None,
            ACTIVE,
        ),
    )


async def _flag(tx: Transaction, flag_id: int) -> Flag:
    row = await tx.fetch_one("SELECT * FROM moderation_flags WHERE id = ?", (flag_id,))
    assert row is not None, f"flag {flag_id} vanished inside its own transaction"
    return _flag_from(row)


def _flag_from(row: Row) -> Flag:
    return Flag(
        id=row["id"],
        community=row["community"],
        kind=FlagKind(row["kind"]),
        author_id=row["author_id"],
        author_name=row["author_name"],
        status=FlagStatus(row["status"]),
        outcome=row["outcome"],
        acted_by=row["acted_by"],
        acted_at=optional_from_db(row["acted_at"]),
        reason=row["reason"],
        error=row["error"],
        suggested=row["suggested"],
        timeout_seconds=row["timeout_seconds"],
        details=json.loads(row["details"]),
        post_channel_id=row["post_channel_id"],
        post_message_id=row["post_message_id"],
        created_at=from_db(row["created_at"]),
        last_activity_at=from_db(row["last_activity_at"]),
        language=row["language"],
    )


def _message_from(row: Row) -> FlaggedMessage:
    return FlaggedMessage(
        channel_id=row["channel_id"],
        channel_name=row["channel_name"],
        message_id=row["message_id"],
        excerpt=row["excerpt"],
        permalink=row["permalink"],
        posted_at=from_db(row["posted_at"]),
        deleted_at=optional_from_db(row["deleted_at"]),
        forwarded_from=row["forwarded_from"],
        forwarded_from_name=row["forwarded_from_name"],
    )


def _hit_from(row: Row) -> Hit:
    return Hit(
        channel_id=row["channel_id"],
        message_id=row["message_id"],
        rule=row["rule"],
        action=row["action"],
        matched=row["matched"],
        reasons=_reasons_from_db(row["reasons"]),
        at=from_db(row["at"]),
        legacy_reason=row["reason"],
    )


def _reasons_to_db(reasons: Sequence[HitReason]) -> str:
    """``[{"key": "burst", "values": {"count": 5, ...}}, ...]``"""
    return json.dumps(
        [{"key": reason.key, "values": dict(reason.values)} for reason in reasons],
        ensure_ascii=False,
    )


def _reasons_from_db(text: str) -> tuple[HitReason, ...]:
    return tuple(
        HitReason(str(entry["key"]), tuple(entry.get("values", {}).items()))
        for entry in json.loads(text)
    )


def _report_from(row: Row) -> Report:
    return Report(
        id=row["id"],
        channel_id=row["channel_id"],
        message_id=row["message_id"],
        reporter_id=row["reporter_id"],
        reporter_name=row["reporter_name"],
        reporter_locale=row["reporter_locale"],
        reason=row["reason"],
        at=from_db(row["at"]),
        notified_at=optional_from_db(row["notified_at"]),
    )


def _infraction_from(row: Row) -> Infraction:
    """An infraction from a row of a `_WITH_PARDON` query."""
    return Infraction(
        id=row["id"],
        community=row["community"],
        member_id=row["member_id"],
        member_name=row["member_name"],
        kind=row["kind"],
        reason=row["reason"],
        moderator_id=row["moderator_id"],
        flag_id=row["flag_id"],
        at=from_db(row["at"]),
        expires_at=optional_from_db(row["expires_at"]),
        status=row["status"],
        pardoned_by=row["pardoned_by"],
        pardon_reason=json.loads(row["pardon_details"] or "{}").get("reason", ""),
    )
