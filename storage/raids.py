"""Raid state and its measures: what the bot did by itself during a join wave, and how to
take it back.

A raid row is the state a wave raised; a step row is one measure with the value it
replaced, written before the measure goes to the platform and never overwritten, so an
undo after any crash restores what was there before the raid (not what a half-done retry
saw). Steps are keyed by what they act on: writing the same step twice adds nothing.
Every write takes the caller's transaction, together with the outbox entries it causes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from storage.database import Database, Row, Transaction
from storage.locks import take_turn
from storage.timestamps import from_db, optional_from_db, to_db

ACTIVE, ENDED, UNDONE = "active", "ended", "undone"


@dataclass(frozen=True, slots=True)
class Raid:
    wave_id: int
    community: str
    started_at: datetime
    last_join_at: datetime
    state: str
    ended_at: datetime | None
    ended_by: str | None
    undone_by: str | None


@dataclass(frozen=True, slots=True)
class Step:
    wave_id: int
    kind: str
    channel_id: str
    member_id: str
    name: str
    setting: str
    previous: str
    status: str
    error: str


@dataclass(frozen=True, slots=True)
class NewStep:
    """A measure about to be written; `status` "pending" goes to the platform."""

    kind: str
    status: str
    channel_id: str = ""
    member_id: str = ""
    name: str = ""
    setting: str = ""
    previous: str = ""
    error: str = ""


class RaidRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    def _reader(self, tx: Transaction | None) -> Database | Transaction:
        return self._db if tx is None else tx

    async def take_turn(self, tx: Transaction, community: str) -> None:
        """Decide about the community's raid alone until `tx` ends (`storage.locks`)."""
        await take_turn(tx, community, "welcome.raids")

    async def active(self, community: str, tx: Transaction | None = None) -> Raid | None:
        row = await self._reader(tx).fetch_one(
            "SELECT * FROM welcome_raids WHERE community = ? AND state = ?", (community, ACTIVE)
        )
        return None if row is None else _raid(row)

    async def get(self, wave_id: int, tx: Transaction | None = None) -> Raid | None:
        row = await self._reader(tx).fetch_one(
            "SELECT * FROM welcome_raids WHERE wave_id = ?", (wave_id,)
        )
        return None if row is None else _raid(row)

    async def by_alert(self, community: str, channel_id: str, message_id: str) -> Raid | None:
        """The raid shown on this wave alert, if any."""
        row = await self._db.fetch_one(
            "SELECT r.* FROM welcome_raids r JOIN welcome_waves w ON w.id = r.wave_id"
            " WHERE w.community = ? AND w.alert_channel_id = ? AND w.alert_message_id = ?",
            (community, channel_id, message_id),
        )
        return None if row is None else _raid(row)

    async def watched_alerts(self, community: str, limit: int) -> list[tuple[str, str]]:
        """The (channel, message) of the newest alerts whose controls can still change
        something (raids not undone), for catching up on reactions after a reconnect."""
        rows = await self._db.fetch_all(
            "SELECT w.alert_channel_id, w.alert_message_id FROM welcome_raids r"
            " JOIN welcome_waves w ON w.id = r.wave_id"
            " WHERE r.community = ? AND r.state <> ? AND w.alert_message_id IS NOT NULL"
            " ORDER BY r.wave_id DESC LIMIT ?",
            (community, UNDONE, limit),
        )
        return [(row[0], row[1]) for row in rows]

    async def start(self, tx: Transaction, community: str, wave_id: int, at: datetime) -> None:
        await tx.execute(
            "INSERT INTO welcome_raids (wave_id, community, started_at, last_join_at)"
            " VALUES (?, ?, ?, ?) ON CONFLICT (wave_id) DO NOTHING",
            (wave_id, community, to_db(at), to_db(at)),
        )

    async def joined(self, tx: Transaction, wave_id: int, at: datetime) -> None:
        """A join while the raid lasts: its quiet period starts again."""
        await tx.execute(
            "UPDATE welcome_raids SET last_join_at = ? WHERE wave_id = ?", (to_db(at), wave_id)
        )

    async def finish(
        self, tx: Transaction, wave_id: int, state: str, by: str, at: datetime
    ) -> bool:
        """Move the raid to ENDED or UNDONE; False when that cannot happen any more (an
        undone raid stays undone, an ended one is not ended twice)."""
        if state == ENDED:
            return bool(
                await tx.execute(
                    "UPDATE welcome_raids SET state = ?, ended_at = ?, ended_by = ?"
                    " WHERE wave_id = ? AND state = ?",
                    (ENDED, to_db(at), by, wave_id, ACTIVE),
                )
            )
        return bool(
            await tx.execute(
                "UPDATE welcome_raids SET state = ?, undone_at = ?, undone_by = ?,"
                " ended_at = COALESCE(ended_at, ?), ended_by = COALESCE(ended_by, ?)"
                " WHERE wave_id = ? AND state <> ?",
                (UNDONE, to_db(at), by, to_db(at), by, wave_id, UNDONE),
            )
        )

    async def add_steps(
        self, tx: Transaction, community: str, wave_id: int, steps: list[NewStep]
    ) -> list[NewStep]:
        """Write the steps not written yet; returns those that are new (a re-run, or a
        second process, finds the first one's rows and their `previous` values kept)."""
        added = []
        for step in steps:
            count = await tx.execute(
                "INSERT INTO welcome_raid_steps (wave_id, community, kind, channel_id,"
                " member_id, name, setting, previous, status, error)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (wave_id, kind, channel_id, member_id) DO NOTHING",
                (
                    wave_id,
                    community,
                    step.kind,
                    step.channel_id,
                    step.member_id,
                    step.name,
                    step.setting,
                    step.previous,
                    step.status,
                    step.error,
                ),
            )
            if count:
                added.append(step)
        return added

    async def steps(self, wave_id: int, tx: Transaction | None = None) -> list[Step]:
        rows = await self._reader(tx).fetch_all(
            "SELECT * FROM welcome_raid_steps WHERE wave_id = ?"
            " ORDER BY kind, channel_id, member_id",
            (wave_id,),
        )
        return [_step(row) for row in rows]

    async def holding(
        self,
        community: str,
        kind: str,
        channel_id: str,
        statuses: tuple[str, ...],
        tx: Transaction | None = None,
    ) -> Step | None:
        """The newest raid's step on this channel (or the invites) whose measure may still
        be in place (`statuses`): a later raid takes the value to restore from it, not from
        the platform, which may still show that raid's own measure."""
        marks = ", ".join("?" * len(statuses))
        row = await self._reader(tx).fetch_one(
            "SELECT * FROM welcome_raid_steps WHERE community = ? AND kind = ?"
            f" AND channel_id = ? AND status IN ({marks}) ORDER BY wave_id DESC LIMIT 1",
            (community, kind, channel_id, *statuses),
        )
        return None if row is None else _step(row)

    async def set_status(
        self,
        tx: Transaction,
        wave_id: int,
        kind: str,
        channel_id: str,
        member_id: str,
        status: str,
        error: str = "",
    ) -> None:
        await tx.execute(
            "UPDATE welcome_raid_steps SET status = ?, error = ?"
            " WHERE wave_id = ? AND kind = ? AND channel_id = ? AND member_id = ?",
            (status, error, wave_id, kind, channel_id, member_id),
        )


def _raid(row: Row) -> Raid:
    return Raid(
        wave_id=int(row["wave_id"]),
        community=row["community"],
        started_at=from_db(row["started_at"]),
        last_join_at=from_db(row["last_join_at"]),
        state=row["state"],
        ended_at=optional_from_db(row["ended_at"]),
        ended_by=row["ended_by"],
        undone_by=row["undone_by"],
    )


def _step(row: Row) -> Step:
    return Step(
        wave_id=int(row["wave_id"]),
        kind=row["kind"],
        channel_id=row["channel_id"],
        member_id=row["member_id"],
        name=row["name"],
        setting=row["setting"],
        previous=row["previous"],
        status=row["status"],
        error=row["error"],
    )
