"""Kudos: public thank-yous between members, counted per member and month."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from storage.database import Database, Transaction
from storage.locks import take_turn
from storage.timestamps import from_db, to_db

# A giver who saw no answer (a crash, a timeout) sends the same command again within
# minutes; the same thanks later is meant again.
SAME_THANKS_WITHIN = timedelta(minutes=10)


@dataclass(frozen=True, slots=True)
class KudosGiven:
    """A kudos was stored; the receiver's counts include it."""

    id: int
    receiver_total: int
    receiver_since: int


@dataclass(frozen=True, slots=True)
class RateLimited:
    """The giver used up their kudos for the window; they may give again at `retry_at`."""

    given: int
    retry_at: datetime


@dataclass(frozen=True, slots=True)
class LeaderboardEntry:
    receiver_id: str
    receiver_name: str
    count: int


class KudosRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def give(
        self,
        tx: Transaction,
        community: str,
        giver_id: str,
        receiver_id: str,
        receiver_name: str,
        reason: str,
        at: datetime,
        *,
        limit: int,
        window: timedelta,
        count_since: datetime,
    ) -> KudosGiven | RateLimited:
        """Store a kudos unless the giver reached `limit` within `window`; atomic, so two
        quick commands cannot both slip under the limit; written in the caller's transaction
        so the public thank-you is an outbox entry committed with it.

        The same thanks again within `SAME_THANKS_WITHIN` is the giver retrying a command
        that got no answer (a crash, a timeout): it is the kudos already stored, not another.
        The community's kudos turn is taken first (`storage.locks`), so the limit holds across
        processes on PostgreSQL too.
        """
        await take_turn(tx, community, "welcome.kudos")  # one row per community, not per giver
        repeated = await tx.fetch_one(
            "SELECT id FROM kudos WHERE community = ? AND giver_id = ? AND receiver_id = ?"
            " AND reason = ? AND given_at > ? ORDER BY given_at DESC",
            (community, giver_id, receiver_id, reason, to_db(at - SAME_THANKS_WITHIN)),
        )
        if repeated is not None:
            return await self._given(tx, int(repeated["id"]), community, receiver_id, count_since)
        recent = await tx.fetch_all(
            "SELECT given_at FROM kudos WHERE community = ? AND giver_id = ?"
            " AND given_at > ? ORDER BY given_at",
            (community, giver_id, to_db(at - window)),
        )
        if len(recent) >= limit:
            oldest = from_db(recent[len(recent) - limit]["given_at"])
            return RateLimited(len(recent), oldest + window)
        kudos_id = await tx.insert(
            "INSERT INTO kudos (community, giver_id, receiver_id, receiver_name, reason,"
            " given_at) VALUES (?, ?, ?, ?, ?, ?)",
            (community, giver_id, receiver_id, receiver_name, reason, to_db(at)),
        )
        return await self._given(tx, kudos_id, community, receiver_id, count_since)

    async def _given(
        self,
        tx: Transaction,
        kudos_id: int,
        community: str,
        receiver_id: str,
        count_since: datetime,
    ) -> KudosGiven:
        counts = await tx.fetch_one(
            "SELECT COUNT(*) AS total,"
            " SUM(CASE WHEN given_at >= ? THEN 1 ELSE 0 END) AS recent"
            " FROM kudos WHERE community = ? AND receiver_id = ?",
            (to_db(count_since), community, receiver_id),
        )
        assert counts is not None
        return KudosGiven(kudos_id, int(counts["total"]), int(counts["recent"] or 0))

    async def received(self, community: str, receiver_id: str, since: datetime) -> int:
        value = await self._db.fetch_value(
            "SELECT COUNT(*) FROM kudos WHERE community = ? AND receiver_id = ? AND given_at >= ?",
            (community, receiver_id, to_db(since)),
        )
        return int(value or 0)

    async def leaderboard(
        self, community: str, since: datetime, limit: int
    ) -> list[LeaderboardEntry]:
        """Most-thanked members since `since`; ties go to whoever reached the count first."""
        rows = await self._db.fetch_all(
            "SELECT receiver_id, MAX(receiver_name) AS name, COUNT(*) AS count,"
            " MAX(given_at) AS latest FROM kudos WHERE community = ? AND given_at >= ?"
            " GROUP BY receiver_id ORDER BY count DESC, latest, receiver_id LIMIT ?",
            (community, to_db(since), limit),
        )
        return [LeaderboardEntry(row["receiver_id"], row["name"], row["count"]) for row in rows]
