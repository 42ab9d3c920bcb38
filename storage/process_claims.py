"""Exclusive claims of live processes on one database: who serves what right now.

A claim is a row per thing served (a Discord shard of one application); its holder renews
``heartbeat_at`` while it runs. A claim whose heartbeat is older than the caller's
``lapse`` belongs to a process that stopped without saying so (SIGKILL, a lost machine)
and may be taken over. All of one process's claims are taken in one transaction: either
it gets every one or none.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from storage.database import Database, Row
from storage.timestamps import from_db, to_db


@dataclass(frozen=True)
class Holder:
    """A live process's claim, as another process sees it."""

    claim: str
    detail: str
    process: str
    host: str
    pid: int
    heartbeat_at: datetime


@dataclass(frozen=True)
class Claim:
    key: str
    detail: str = ""


class ClaimTaken(Exception):
    """A claim is held by another live process."""

    def __init__(self, holder: Holder) -> None:
        super().__init__(holder.claim)
        self.holder = holder


class ProcessClaimRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def holders(self, prefix: str, now: datetime, lapse: timedelta) -> list[Holder]:
        """Claims starting with `prefix` whose holders are alive (renewed within `lapse`)."""
        rows = await self._db.fetch_all(
            "SELECT claim, detail, process, host, pid, heartbeat_at FROM process_claims"
            " WHERE claim LIKE ? ESCAPE '\\' AND heartbeat_at > ? ORDER BY claim",
            (_escaped(prefix) + "%", to_db(now - lapse)),
        )
        return [_holder(row) for row in rows]

    async def take(
        self,
        claims: Sequence[Claim],
        process: str,
        host: str,
        pid: int,
        now: datetime,
        lapse: timedelta,
        *,
        gone: Sequence[str] = (),
    ) -> None:
        """Take every claim or none; raises `ClaimTaken` naming a live holder.

        Lapsed claims, the caller's own, and those of `gone` processes (known dead, e.g.
        a PID no longer running on this host) are taken over.
        """
        async with self._db.transaction() as tx:
            for claim in claims:
                await tx.execute(
                    "DELETE FROM process_claims WHERE claim = ?"
                    " AND (heartbeat_at <= ? OR process = ?"
                    + "".join(" OR process = ?" for _ in gone)
                    + ")",
                    (claim.key, to_db(now - lapse), process, *gone),
                )
                inserted = await tx.execute(
                    "INSERT INTO process_claims (claim, detail, process, host, pid, heartbeat_at)"
                    " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (claim) DO NOTHING",
                    (claim.key, claim.detail, process, host, pid, to_db(now)),
                )
                if inserted != 1:
                    row = await tx.fetch_one(
                        "SELECT claim, detail, process, host, pid, heartbeat_at"
                        " FROM process_claims WHERE claim = ?",
                        (claim.key,),
                    )
                    assert row is not None
                    raise ClaimTaken(_holder(row))  # rolls the transaction back

    async def holder(self, key: str) -> Holder | None:
        row = await self._db.fetch_one(
            "SELECT claim, detail, process, host, pid, heartbeat_at FROM process_claims"
            " WHERE claim = ?",
            (key,),
        )
        return None if row is None else _holder(row)

    async def renew(self, process: str, now: datetime) -> int:
        """Renew the process's claims; how many it still holds (0: taken over meanwhile)."""
        return await self._db.execute(
            "UPDATE process_claims SET heartbeat_at = ? WHERE process = ?", (to_db(now), process)
        )

    async def release(self, process: str) -> None:
        await self._db.execute("DELETE FROM process_claims WHERE process = ?", (process,))


def _holder(row: Row) -> Holder:
    return Holder(
        claim=row["claim"],
        detail=row["detail"],
        process=row["process"],
        host=row["host"],
        pid=int(row["pid"]),
        heartbeat_at=from_db(row["heartbeat_at"]),
    )


def _escaped(prefix: str) -> str:
    """`prefix` matched literally by LIKE (claims are ours, but a name may hold ``_``)."""
    return prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
