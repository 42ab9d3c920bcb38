"""Appeals: a member asks the moderators to look again at one of their infractions.

One appeal per infraction (taken in turn per infraction, and a UNIQUE constraint behind
it). Moderators decide by votes: upholding takes one moderator, lifting as many as decided
the infraction (a quorum's ban is lifted by a quorum), and either needs at least one
moderator the infraction is not credited to: whoever acted never decides their own appeal
alone. The appeal's row is locked first, so two last votes from two processes decide once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from storage.audit import AuditLog
from storage.database import Database, Row, Transaction
from storage.locks import take_turn
from storage.moderation import ACTIVE, PARDONED, Infraction
from storage.timestamps import from_db, optional_from_db, to_db


class AppealStatus(StrEnum):
    OPEN = "open"
    UPHELD = "upheld"
    LIFTED = "lifted"


class AppealDecision(StrEnum):
    UPHOLD = "uphold"
    LIFT = "lift"

    @property
    def status(self) -> AppealStatus:
        return AppealStatus.UPHELD if self is AppealDecision.UPHOLD else AppealStatus.LIFTED


@dataclass(frozen=True, slots=True)
class Appeal:
    id: int
    community: str
    infraction_id: int
    member_id: str
    member_name: str
    member_locale: str | None
    text: str
    status: AppealStatus
    decided_by: str | None
    decided_at: datetime | None
    reason: str
    post_channel_id: str | None
    post_message_id: str | None
    at: datetime


class VoteResult(StrEnum):
    DECIDED = "decided"  # this vote decided the appeal
    PENDING = "pending"  # recorded; more (or other) moderators must agree
    REPEATED = "repeated"  # this moderator had cast this vote before
    CLOSED = "closed"  # decided before
    MISSING = "missing"


@dataclass(frozen=True, slots=True)
class AppealVote:
    result: VoteResult
    appeal: Appeal | None = None
    votes: tuple[str, ...] = ()  # moderators who voted for this decision so far
    needed: int = 1


class AlreadyAppealed(Exception):
    """The member appealed this infraction before; `appeal` is that appeal."""

    def __init__(self, appeal: Appeal) -> None:
        super().__init__(f"infraction {appeal.infraction_id} was appealed as #{appeal.id}")
        self.appeal = appeal


class Appeals:
    def __init__(self, db: Database, audit: AuditLog) -> None:
        self._db = db
        self._audit = audit

    async def file(
        self,
        tx: Transaction,
        infraction: Infraction,
        member_locale: str | None,
        text: str,
        now: datetime,
    ) -> Appeal:
        """Store the member's appeal; raises `AlreadyAppealed` (and stores nothing) for a
        second appeal of the same infraction."""
        community = infraction.community
        await take_turn(tx, community, f"moderation:appeal:{infraction.id}")
        row = await tx.fetch_one(
            "SELECT * FROM moderation_appeals WHERE community = ? AND infraction_id = ?",
            (community, infraction.id),
        )
        if row is not None:
            raise AlreadyAppealed(_appeal_from(row))
        appeal_id = await tx.insert(
            "INSERT INTO moderation_appeals (community, infraction_id, member_id, member_name,"
            " member_locale, text, at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                community,
                infraction.id,
                infraction.member_id,
                infraction.member_name,
                member_locale,
                text,
                to_db(now),
            ),
        )
        await self._audit.record(
            community,
            infraction.member_id,
            "moderation.appeal",
            now,
            subject=f"appeal:{appeal_id}",
            details={"member": infraction.member_id, "infraction": infraction.id},
            tx=tx,
        )
        appeal = await self.get(community, appeal_id, tx)
        assert appeal is not None
        return appeal

    async def get(
        self, community: str, appeal_id: int, tx: Transaction | None = None
    ) -> Appeal | None:
        row = await (tx or self._db).fetch_one(
            "SELECT * FROM moderation_appeals WHERE community = ? AND id = ?",
            (community, appeal_id),
        )
        return None if row is None else _appeal_from(row)

    async def for_post(self, community: str, channel_id: str, message_id: str) -> Appeal | None:
        row = await self._db.fetch_one(
            "SELECT * FROM moderation_appeals WHERE community = ? AND post_channel_id = ?"
            " AND post_message_id = ?",
            (community, channel_id, message_id),
        )
        return None if row is None else _appeal_from(row)

    async def recent_open_posts(self, community: str, limit: int) -> list[Appeal]:
        """The newest open appeals that have a post on the moderators' desk, at most
        `limit`: what a catch-up after a reconnect reads for moderators' reactions."""
        rows = await self._db.fetch_all(
            "SELECT * FROM moderation_appeals WHERE community = ? AND status = ?"
            " AND post_channel_id IS NOT NULL AND post_message_id IS NOT NULL"
            " ORDER BY at DESC, id DESC LIMIT ?",
            (community, AppealStatus.OPEN, limit),
        )
        return [_appeal_from(row) for row in rows]

    async def open_count(self, community: str) -> int:
        return int(
            await self._db.fetch_value(
                "SELECT COUNT(*) FROM moderation_appeals WHERE community = ? AND status = ?",
                (community, AppealStatus.OPEN),
            )
        )

    async def set_post(
        self, tx: Transaction, community: str, appeal_id: int, channel_id: str, message_id: str
    ) -> None:
        await tx.execute(
            "UPDATE moderation_appeals SET post_channel_id = ?, post_message_id = ?"
            " WHERE community = ? AND id = ?",
            (channel_id, message_id, community, appeal_id),
        )

    async def votes(self, tx: Transaction, appeal_id: int) -> dict[str, tuple[str, ...]]:
        """Who voted for which decision, in the order they voted."""
        rows = await tx.fetch_all(
            "SELECT decision, moderator_id FROM moderation_appeal_votes WHERE appeal_id = ?"
            " ORDER BY at, moderator_id",
            (appeal_id,),
        )
        found: dict[str, list[str]] = {}
        for row in rows:
            found.setdefault(row["decision"], []).append(row["moderator_id"])
        return {decision: tuple(names) for decision, names in found.items()}

    async def vote(
        self,
        tx: Transaction,
        community: str,
        appeal_id: int,
        decision: AppealDecision,
        moderator_id: str,
        infraction: Infraction,
        reason: str,
        now: datetime,
    ) -> AppealVote:
        """Count a moderator's vote; decide the appeal once enough (and independent
        enough) moderators agree. Lifting pardons the infraction in the same transaction."""
        row = await tx.fetch_one(
            "UPDATE moderation_appeals SET status = status WHERE community = ? AND id = ?"
            " RETURNING *",
            (community, appeal_id),
        )
        if row is None:
            return AppealVote(VoteResult.MISSING)
        appeal = _appeal_from(row)
        if appeal.status is not AppealStatus.OPEN:
            return AppealVote(VoteResult.CLOSED, appeal)
        inserted = await tx.execute(
            "INSERT INTO moderation_appeal_votes (appeal_id, decision, moderator_id, at)"
            " VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (appeal_id, decision, moderator_id, to_db(now)),
        )
        votes = (await self.votes(tx, appeal_id)).get(decision, ())
        needed = len(infraction.deciders) if decision is AppealDecision.LIFT else 1
        independent = any(v not in infraction.deciders for v in votes)
        if len(votes) < needed or not independent:
            if not inserted:
                return AppealVote(VoteResult.REPEATED, appeal, votes, needed)
            await self._audit.record(
                community,
                moderator_id,
                "moderation.appeal_vote",
                now,
                subject=f"appeal:{appeal_id}",
                details={"member": appeal.member_id, "decision": decision.value},
                tx=tx,
            )
            return AppealVote(VoteResult.PENDING, appeal, votes, needed)
        await tx.execute(
            "UPDATE moderation_appeals SET status = ?, decided_by = ?, decided_at = ?,"
            " reason = ? WHERE id = ?",
            (decision.status, moderator_id, to_db(now), reason, appeal_id),
        )
        await self._audit.record(
            community,
            moderator_id,
            f"moderation.appeal_{decision.status.value}",
            now,
            subject=f"appeal:{appeal_id}",
            details={
                "member": appeal.member_id,
                "infraction": infraction.id,
                "reason": reason,
                "confirmed_by": list(votes),
            },
            tx=tx,
        )
        if decision is AppealDecision.LIFT:
            await self._lift(tx, community, appeal, infraction, moderator_id, reason, now)
        decided = await self.get(community, appeal_id, tx)
        return AppealVote(VoteResult.DECIDED, decided, votes, needed)

    async def _lift(
        self,
        tx: Transaction,
        community: str,
        appeal: Appeal,
        infraction: Infraction,
        moderator_id: str,
        reason: str,
        now: datetime,
    ) -> None:
        changed = await tx.execute(
            "UPDATE moderation_infractions SET status = ? WHERE community = ? AND id = ?"
            " AND status = ?",
            (PARDONED, community, infraction.id, ACTIVE),
        )
        if changed:
            await self._audit.record(
                community,
                moderator_id,
                "moderation.pardon",
                now,
                subject=f"infraction:{infraction.id}",
                details={
                    "member": infraction.member_id,
                    "reason": reason or f"appeal #{appeal.id}",
                    "appeal": appeal.id,
                },
                tx=tx,
            )


def _appeal_from(row: Row) -> Appeal:
    return Appeal(
        id=row["id"],
        community=row["community"],
        infraction_id=row["infraction_id"],
        member_id=row["member_id"],
        member_name=row["member_name"],
        member_locale=row["member_locale"],
        text=row["text"],
        status=AppealStatus(row["status"]),
        decided_by=row["decided_by"],
        decided_at=optional_from_db(row["decided_at"]),
        reason=row["reason"],
        post_channel_id=row["post_channel_id"],
        post_message_id=row["post_message_id"],
        at=from_db(row["at"]),
    )
