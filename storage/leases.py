"""Leases and routing: how several processes share the queues of jobs and outbox entries.

A process takes a row (a due job, an outbox entry) by writing itself into it as the lease
owner with an expiry; while it lives it renews the expiry of everything it holds. A row
whose lease has passed was held by a process that died: another process (or the same one
after a restart) takes it over and carries it out once more, as recovering. A row is only
taken by a process that serves its community: the right platform and, on Discord, one of
its shards. Process-wide work that belongs to no community (scheduled backups, retention
purges) is kept under the platform `ANY_PROCESS`: whichever process claims it first does it.

The claim is atomic on both backends: SQLite has one writer (``BEGIN IMMEDIATE``), and on
PostgreSQL the claiming ``SELECT`` adds ``FOR UPDATE SKIP LOCKED``, so two processes
claiming at once take different rows and neither waits on the other.

Lease times are wall-clock time (`Holder.now`), whatever clock the jobs run on: a lease
says whether a process is alive, and a virtual clock in a test or a console jumping ahead
a day must not make a live process look dead. Processes on several machines need clocks
in step to well within the lease (NTP does that).
"""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from storage.database import Database
from storage.timestamps import from_db, to_db

# The platform of jobs that belong to no community: every process serves them, and as with
# any job one process claims each (a job's community is then e.g. ``process:backup``).
ANY_PROCESS = "process"
# How long a claim holds without renewal. Renewed every third of it, so one missed renewal
# (a slow database moment) loses nothing; a dead process's work waits at most this long.
LEASE_SECONDS = 30.0
# A Discord server id's low 22 bits are not its creation time; its shard is the rest
# modulo the shard count (Discord's formula: (guild_id >> 22) % shard_count).
_SNOWFLAKE_TIME_SHIFT = 22


class Shards(Protocol):
    """A share of Discord shards (see `bot.serving.DiscordShards`)."""

    @property
    def ids(self) -> frozenset[int]: ...

    @property
    def count(self) -> int: ...


class Served(Protocol):
    """What a process serves (see `bot.serving.Serves`); storage reads only these."""

    @property
    def platforms(self) -> frozenset[str]: ...

    @property
    def discord_shards(self) -> Shards | None: ...

    @property
    def discord_guilds(self) -> frozenset[int]: ...


@dataclass(frozen=True, slots=True)
class Holder:
    """Who claims rows, for how long, and for which communities (None: every one).

    `shared` says other processes may claim from the same database (PostgreSQL): then
    nobody's old leases are cleared at start-up; they run out instead.
    """

    owner: str
    seconds: float = LEASE_SECONDS
    serves: Served | None = None
    shared: bool = False

    @classmethod
    def for_this_process(
        cls, serves: Served | None = None, *, shared: bool = False, seconds: float = LEASE_SECONDS
    ) -> Holder:
        return cls(process_owner(), seconds, serves, shared)

    def now(self) -> datetime:
        return datetime.now(UTC)

    def until(self) -> str:
        """The expiry of a lease taken or renewed now, as stored."""
        return to_db(self.now() + timedelta(seconds=self.seconds))


def process_owner() -> str:
    """A lease owner name unique to this process: machine, pid and a random part (a pid is
    reused after a restart, and in containers every process may be pid 1)."""
    return f"{this_machine()}:{os.getpid()}:{secrets.token_hex(4)}"


def this_machine() -> str:
    """Where this process's pids mean something: the host name and, on Linux, the pid
    namespace. Containers sharing the host's name (``--network host``) each count their
    own pids, so a pid missing here says nothing about a process in another container."""
    try:
        namespace = Path("/proc/self/ns/pid").stat().st_ino
    except OSError:
        return socket.gethostname()
    return f"{socket.gethostname()}/{namespace}"


class Leases:
    """The lease side of one queue table (``jobs`` or ``outbox``): the rows this process is
    working on, their renewal, and giving leases back or clearing those of a dead process.

    Only the ids this process is working on are renewed, so a row it lost track of (a
    batch cut short, a claim whose commit reply was lost, a result that could not be
    recorded) runs out and is taken again instead of being held while the process lives.
    """

    def __init__(self, db: Database, holder: Holder, table: str) -> None:
        self._db = db
        self.holder = holder
        self._table = table
        self._held: set[int] = set()

    def hold(self, ids: Iterable[int]) -> None:
        """Renew these rows' leases from now on: this process has just claimed them."""
        self._held.update(ids)

    def let_go(self, ids: Iterable[int]) -> None:
        """Stop renewing these rows' leases: settled, or left to run out and be taken again
        by whichever process serves them."""
        self._held.difference_update(ids)

    async def renew(self) -> int:
        """Extend the leases of the rows this process is working on; returns how many."""
        held = sorted(self._held)
        if not held:
            return 0
        return await self._db.execute(
            f"UPDATE {self._table} SET lease_expires = ? WHERE lease_owner = ?"
            f" AND status = 'running' AND id IN ({_marks(held)})",
            (self.holder.until(), self.holder.owner, *held),
        )

    async def next_takeover_at(self) -> datetime | None:
        """When the earliest lease another process holds here runs out (if it is not
        renewed by then, its process died and this one takes the row over)."""
        served, params = served_by(self.holder.serves)
        value = await self._db.fetch_value(
            f"SELECT MIN(lease_expires) FROM {self._table} WHERE status = 'running'"
            f" AND lease_owner <> ? AND {served}",
            (self.holder.owner, *params),
        )
        return None if value is None else from_db(value)

    async def release(self) -> int:
        """Give up this process's leases (at shutdown): what it was working on is taken over
        at once, by another process or by this one restarted, not after the lease."""
        return await self._db.execute(
            f"UPDATE {self._table} SET lease_owner = NULL, lease_expires = NULL"
            " WHERE lease_owner = ? AND status = 'running'",
            (self.holder.owner,),
        )

    async def expire(self, owners: Collection[str] | None = None) -> int:
        """Clear the leases of `owners` (None: every lease), so what they were working on is
        taken again at once: all of them for a process alone on its database (SQLite) at
        start-up, only dead processes' ones when others may share it."""
        sql = (
            f"UPDATE {self._table} SET lease_owner = NULL, lease_expires = NULL"
            " WHERE status = 'running'"
        )
        if owners is None:
            return await self._db.execute(sql)
        if not owners:
            return 0
        return await self._db.execute(f"{sql} AND lease_owner IN ({_marks(owners)})", (*owners,))

    async def owners(self) -> list[str]:
        """Who holds running rows now (to find dead processes' leases at start-up)."""
        rows = await self._db.fetch_all(
            f"SELECT DISTINCT lease_owner FROM {self._table}"
            " WHERE status = 'running' AND lease_owner IS NOT NULL"
        )
        return [row["lease_owner"] for row in rows]


def route(community: str) -> tuple[str, int | None]:
    """The platform and shard key stored with a row of this community (see the 0011
    migration): a Discord server's shard is ``shard_key % shard_count``."""
    platform, _, community_id = community.partition(":")
    if platform == "discord" and community_id.isdigit():
        return platform, int(community_id) >> _SNOWFLAKE_TIME_SHIFT
    return platform, None


def claimable(holder: Holder, alias: str = "") -> tuple[str, list[Any]]:
    """SQL (and its parameters) true for a row this holder may take now, whatever its
    due time: a waiting row, or a running one whose lease has run out; of a served
    community."""
    p = f"{alias}." if alias else ""
    sql = (
        f"({p}status = 'pending' OR ({p}status = 'running'"
        f" AND ({p}lease_expires IS NULL OR {p}lease_expires < ?)))"
    )
    served, params = served_by(holder.serves, alias)
    return f"{sql} AND {served}", [to_db(holder.now()), *params]


def served_by(serves: Served | None, alias: str = "") -> tuple[str, list[Any]]:
    """SQL true for rows of communities `serves` covers, and process-wide ones (every
    row for None)."""
    if serves is None:
        return "1 = 1", []
    p = f"{alias}." if alias else ""
    clauses = [f"{p}platform IN ({_marks(serves.platforms)})"]
    params: list[Any] = [ANY_PROCESS, *sorted(serves.platforms)]
    shards = serves.discord_shards
    if shards is not None:
        clauses.append(f"({p}platform <> 'discord' OR {p}shard_key % ? IN ({_marks(shards.ids)}))")
        params += [shards.count, *sorted(shards.ids)]
    if serves.discord_guilds:
        clauses.append(
            f"({p}platform <> 'discord' OR {p}community IN ({_marks(serves.discord_guilds)}))"
        )
        params += [f"discord:{guild}" for guild in sorted(serves.discord_guilds)]
    return f"({p}platform = ? OR ({' AND '.join(clauses)}))", params


def skip_locked(backend: str) -> str:
    """The end of a claiming ``SELECT``: on PostgreSQL, lock the rows taken and skip rows
    another process is taking; SQLite's single writer needs nothing."""
    return " FOR UPDATE SKIP LOCKED" if backend == "postgresql" else ""


def _marks(values: Collection[Any]) -> str:
    """Placeholders for an IN list; a list that matches nothing when `values` is empty."""
    return ", ".join("?" for _ in values) or "NULL"
