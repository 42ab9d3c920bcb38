"""Newcomers and join waves: what the welcome feature must remember across restarts.

A newcomer row remembers when a member joined, was welcomed, accepted the rules and was
reminded, so a restart neither welcomes nor reminds anyone twice. A wave row remembers the
moderators' alert it raised, so a restart in the middle of a raid edits that alert instead
of posting a second one.

Every write takes the caller's transaction: the welcome cog writes the state change and
the outbox entries that announce it together. Reads take an optional transaction, so a
decision (is this join part of a wave?) can be read and written in one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from storage.database import Database, Row, Transaction
from storage.locks import take_turn
from storage.timestamps import from_db, optional_from_db, to_db


@dataclass(frozen=True, slots=True)
class Newcomer:
    community: str
    member_id: str
    name: str
    account_created_at: datetime | None
    joined_at: datetime | None
    welcomed_at: datetime | None
    accepted_at: datetime | None
    reminded_at: datetime | None


@dataclass(frozen=True, slots=True)
class Wave:
    id: int
    community: str
    started_at: datetime
    last_join_at: datetime
    ended_at: datetime | None
    # The alert's channel and message; until the alert is posted the message is the
    # outbox's placeholder for it, so edits written meanwhile go to the right message.
    alert_channel_id: str | None
    alert_message_id: str | None


@dataclass(frozen=True, slots=True)
class WaveMember:
    member_id: str
    name: str
    account_created_at: datetime | None
    joined_at: datetime


class WelcomeRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    def _reader(self, tx: Transaction | None) -> Database | Transaction:
        return self._db if tx is None else tx

    # -- newcomers ------------------------------------------------------------------------

    async def record_join(
        self,
        tx: Transaction,
        community: str,
        member_id: str,
        name: str,
        account_created_at: datetime | None,
        at: datetime,
    ) -> None:
        """Remember a join (a rejoin moves `joined_at` and forgets the first post, which
        counts from the latest join; acceptance and welcome stay)."""
        created = None if account_created_at is None else to_db(account_created_at)
        await tx.execute(
            "INSERT INTO welcome_members (community, member_id, name, account_created_at,"
            " joined_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (community, member_id) DO UPDATE"
            " SET name = excluded.name, account_created_at = excluded.account_created_at,"
            " joined_at = excluded.joined_at, first_post_at = NULL",
            (community, member_id, name, created, to_db(at)),
        )

    async def record_first_post(self, community: str, member_id: str, at: datetime) -> None:
        """Mark a joined member's first message after their join; later ones change
        nothing (and a member the welcome never saw join has no row to mark)."""
        await self._db.execute(
            "UPDATE welcome_members SET first_post_at = ? WHERE community = ?"
            " AND member_id = ? AND first_post_at IS NULL AND joined_at IS NOT NULL",
            (to_db(at), community, member_id),
        )

    async def get(
        self, community: str, member_id: str, tx: Transaction | None = None
    ) -> Newcomer | None:
        row = await self._reader(tx).fetch_one(
            "SELECT * FROM welcome_members WHERE community = ? AND member_id = ?",
            (community, member_id),
        )
        return None if row is None else _newcomer(row)

    async def joined_since(
        self, community: str, since: datetime, tx: Transaction | None = None
    ) -> list[Newcomer]:
        """Members whose latest join is at or after `since`, earliest first."""
        rows = await self._reader(tx).fetch_all(
            "SELECT * FROM welcome_members WHERE community = ? AND joined_at >= ?"
            " ORDER BY joined_at, member_id",
            (community, to_db(since)),
        )
        return [_newcomer(row) for row in rows]

    async def claim_welcome(
        self,
        tx: Transaction,
        community: str,
        member_ids: list[str],
        at: datetime,
        unless_since: datetime,
    ) -> list[str]:
        """Mark these members welcomed at `at`, except those welcomed after `unless_since`;
        returns the ones marked, so a replayed join or re-run job welcomes nobody twice."""
        claimed = []
        for member_id in member_ids:
            changed = await tx.execute(
                "INSERT INTO welcome_members (community, member_id, welcomed_at)"
                " VALUES (?, ?, ?) ON CONFLICT (community, member_id) DO UPDATE"
                " SET welcomed_at = excluded.welcomed_at"
                " WHERE welcome_members.welcomed_at IS NULL"
                " OR welcome_members.welcomed_at <= ?",
                (community, member_id, to_db(at), to_db(unless_since)),
            )
            if changed:
                claimed.append(member_id)
        return claimed

    async def accept(
        self, tx: Transaction, community: str, member_id: str, name: str, at: datetime
    ) -> bool:
        """Record a rules acceptance; False when the member had already accepted."""
        existing = await tx.fetch_one(
            "SELECT accepted_at FROM welcome_members WHERE community = ? AND member_id = ?",
            (community, member_id),
        )
        if existing is None:
            await tx.execute(
                "INSERT INTO welcome_members (community, member_id, name, accepted_at)"
                " VALUES (?, ?, ?, ?)",
                (community, member_id, name, to_db(at)),
            )
            return True
        if existing["accepted_at"] is not None:
            return False
        await tx.execute(
            "UPDATE welcome_members SET accepted_at = ? WHERE community = ? AND member_id = ?",
            (to_db(at), community, member_id),
        )
        return True

    async def claim_reminder(
        self, tx: Transaction, community: str, member_id: str, at: datetime
    ) -> bool:
        """Mark the one reminder as sent, unless the member accepted or was reminded."""
        changed = await tx.execute(
            "UPDATE welcome_members SET reminded_at = ? WHERE community = ? AND member_id = ?"
            " AND accepted_at IS NULL AND reminded_at IS NULL",
            (to_db(at), community, member_id),
        )
        return changed == 1

    # -- waves ----------------------------------------------------------------------------

    async def take_wave_turn(self, tx: Transaction, community: str) -> None:
        """Decide about the community's join wave alone until `tx` ends (`storage.locks`)."""
        await take_turn(tx, community, "welcome.waves")

    async def open_wave(self, community: str, tx: Transaction | None = None) -> Wave | None:
        row = await self._reader(tx).fetch_one(
            "SELECT * FROM welcome_waves WHERE community = ? AND ended_at IS NULL"
            " ORDER BY id DESC LIMIT 1",
            (community,),
        )
        return None if row is None else _wave(row)

    async def wave(self, wave_id: int, tx: Transaction | None = None) -> Wave | None:
        row = await self._reader(tx).fetch_one(
            "SELECT * FROM welcome_waves WHERE id = ?", (wave_id,)
        )
        return None if row is None else _wave(row)

    async def start_wave(
        self, tx: Transaction, community: str, members: list[Newcomer], at: datetime
    ) -> int:
        """Open a wave holding the members whose joins made it one; returns its id."""
        started = min((m.joined_at for m in members if m.joined_at), default=at)
        wave_id = await tx.insert(
            "INSERT INTO welcome_waves (community, started_at, last_join_at) VALUES (?, ?, ?)",
            (community, to_db(started), to_db(at)),
        )
        for member in members:
            await _add_member(tx, community, wave_id, member, member.joined_at or at)
        return wave_id

    async def join_wave(self, tx: Transaction, wave: Wave, member: Newcomer, at: datetime) -> None:
        await _add_member(tx, wave.community, wave.id, member, at)
        await tx.execute(
            "UPDATE welcome_waves SET last_join_at = ? WHERE id = ?", (to_db(at), wave.id)
        )

    async def set_alert(
        self, tx: Transaction, wave_id: int, channel_id: str | None, message_id: str | None
    ) -> None:
        await tx.execute(
            "UPDATE welcome_waves SET alert_channel_id = ?, alert_message_id = ? WHERE id = ?",
            (channel_id, message_id, wave_id),
        )

    async def end_wave(self, tx: Transaction, wave_id: int, at: datetime) -> bool:
        """Close the wave; False when it was closed already (so the end runs once)."""
        changed = await tx.execute(
            "UPDATE welcome_waves SET ended_at = ? WHERE id = ? AND ended_at IS NULL",
            (to_db(at), wave_id),
        )
        return changed == 1

    async def in_wave(self, wave_id: int, member_id: str) -> bool:
        row = await self._db.fetch_one(
            "SELECT 1 FROM welcome_wave_members WHERE wave_id = ? AND member_id = ?",
            (wave_id, member_id),
        )
        return row is not None

    async def wave_members(self, wave_id: int, tx: Transaction | None = None) -> list[WaveMember]:
        rows = await self._reader(tx).fetch_all(
            "SELECT * FROM welcome_wave_members WHERE wave_id = ? ORDER BY joined_at, member_id",
            (wave_id,),
        )
        return [
            WaveMember(
                member_id=row["member_id"],
                name=row["name"],
                account_created_at=optional_from_db(row["account_created_at"]),
                joined_at=from_db(row["joined_at"]),
            )
            for row in rows
        ]


async def _add_member(
    tx: Transaction, community: str, wave_id: int, member: Newcomer, at: datetime
) -> None:
    created = None if member.account_created_at is None else to_db(member.account_created_at)
    await tx.execute(
        "INSERT INTO welcome_wave_members (community, wave_id, member_id, name,"
        " account_created_at, joined_at) VALUES (?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (wave_id, member_id) DO NOTHING",
        (community, wave_id, member.member_id, member.name, created, to_db(at)),
    )


def _newcomer(row: Row) -> Newcomer:
    return Newcomer(
        community=row["community"],
        member_id=row["member_id"],
        name=row["name"],
        account_created_at=optional_from_db(row["account_created_at"]),
        joined_at=optional_from_db(row["joined_at"]),
        welcomed_at=optional_from_db(row["welcomed_at"]),
        accepted_at=optional_from_db(row["accepted_at"]),
        reminded_at=optional_from_db(row["reminded_at"]),
    )


def _wave(row: Row) -> Wave:
    return Wave(
        id=row["id"],
        community=row["community"],
        started_at=from_db(row["started_at"]),
        last_join_at=from_db(row["last_join_at"]),
        ended_at=optional_from_db(row["ended_at"]),
        alert_channel_id=row["alert_channel_id"],
        alert_message_id=row["alert_message_id"],
    )
