"""Refuse, at start-up, a process that would serve what a live process already serves.

Several processes may share one PostgreSQL database (docs/scaling.md), but not every split
works. Two processes connected to the same Discord shard would each receive every event of
its servers and both act on it, and a server's in-process state (spam windows, the edit
filter) assumes one process sees all of its events. So each process claims its Discord
shards in the database (`storage.process_claims`) before it connects, renews the claim
while it runs, and a second process that finds a shard claimed by a live process stops
with one line that says why and exits 2. All processes must also agree on the shard count
(Discord assigns servers by ``(id >> 22) % count``).

A hot standby (``DISCORD_STANDBY=true``) waits instead of refusing: it logs one line, looks
again every `STANDBY_POLL`, and takes the claims the moment they are free, when the active
process stops (it releases them) or its claim lapses (it died). A claim lapses after the
lease length (``BOTSCHAFTER_LEASE_SECONDS``), like the jobs and platform actions the dead
process held, so the standby connects and takes those over within the lease and a second.

Slack needs no claim: Slack delivers each event to one of the app's connections or HTTP
replicas, and the Inbox claims event ids in the database (docs/scaling.md). SQLite needs
none either: its file lock already keeps a second process out (bot/data_lock.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from adapters.discord.cli import application_id_from_token
from bot.clock import Clock
from bot.settings import Settings
from storage.database import Database, TransactionConflict
from storage.leases import this_machine
from storage.process_claims import Claim, ClaimTaken, Holder, ProcessClaimRepository

log = logging.getLogger(__name__)

# A claim not renewed for the lease length (`lapse`) belongs to a process that stopped
# without releasing it (SIGKILL, a lost machine). It is renewed this many times per lapse,
# as job leases are, so a busy moment or one slow renewal never loses it.
RENEWALS_PER_LAPSE = 3
# How often a standby looks whether the claims it waits for are free. Half a second keeps
# a takeover within a second of the lapse, for one small query per poll.
STANDBY_POLL = timedelta(milliseconds=500)


class TopologyRefused(Exception):
    """This process would serve what a live process serves; the message says what to do."""


class StoodDown(Exception):
    """A standby was asked to stop before it took anything over."""


def lapse(settings: Settings) -> timedelta:
    """How long a claim lives without renewal: the lease length."""
    return timedelta(seconds=settings.lease_seconds)


@dataclass(frozen=True)
class Identity:
    """Where a process runs, to tell a live holder from one that is gone."""

    host: str
    pid: int

    @classmethod
    def current(cls) -> Identity:
        return cls(this_machine(), os.getpid())


def discord_claims(settings: Settings) -> list[Claim]:
    """One claim per Discord shard this process connects, carrying the shard count."""
    if not settings.wants_discord:
        return []
    assert settings.discord_token is not None
    application = settings.discord_application_id or application_id_from_token(
        settings.discord_token.get_secret_value()
    )
    prefix = f"{discord_prefix(application)}"
    count = settings.discord_shard_count
    if count is None or count == "auto":
        return [Claim(f"{prefix}0", "1" if count is None else "auto")]
    ids = settings.discord_shard_ids if settings.discord_shard_ids is not None else range(count)
    return [Claim(f"{prefix}{shard}", str(count)) for shard in sorted(ids)]


def discord_prefix(application: int | None) -> str:
    return f"discord:{application or 'bot'}:shard:"


@asynccontextmanager
async def claimed(
    db: Database,
    settings: Settings,
    clock: Clock,
    on_lost: Callable[[str], None],
    identity: Identity | None = None,
    *,
    until: Callable[[], Awaitable[None]] | None = None,
) -> AsyncIterator[None]:
    """Hold this process's claims while the body runs; raise `TopologyRefused` first if a
    live process holds one of them or runs another shard count.

    With ``DISCORD_STANDBY``, wait for held claims instead, until they are free or `until`
    returns (then raise `StoodDown`).
    """
    claims = discord_claims(settings)
    if not claims:
        yield
        return
    repository = ProcessClaimRepository(db)
    identity = identity or Identity.current()
    me = f"{identity.host}:{identity.pid}:{clock.now().isoformat()}"
    lapses = lapse(settings)
    # Two processes starting together race for a claim: the loser's transaction conflicts
    # (PostgreSQL), and run again it sees the winner's claim and refuses in one line.
    take = partial(db.retrying, partial(_take, repository, claims, me, identity, clock, lapses))
    if settings.discord_standby:
        await _stand_by(take, clock, lapses, until)
    else:
        try:
            await take()
        except ClaimTaken as taken:
            raise TopologyRefused(_refusal(taken.holder, clock, lapses)) from None
    log.info("serving %s", ", ".join(c.key for c in claims))
    renewing = asyncio.create_task(_renew(repository, me, clock, lapses, on_lost), name="claims")
    try:
        yield
    finally:
        renewing.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await renewing
        with contextlib.suppress(Exception):  # a lapsed claim is taken over anyway
            await repository.release(me)


async def _stand_by(
    take: Callable[[], Awaitable[None]],
    clock: Clock,
    lapses: timedelta,
    until: Callable[[], Awaitable[None]] | None,
) -> None:
    """Take the claims as soon as they are free; say once that this process waits."""
    stop = asyncio.ensure_future(until()) if until is not None else None
    waiting = False
    try:
        while True:
            try:
                await take()
                if waiting:
                    log.info("standby: the claims are free; taking over")
                return
            except ClaimTaken as taken:
                if not waiting:
                    log.info(
                        "standing by: %s; taking over when it stops, or %g s after it last"
                        " renewed its claim",
                        _served_by(taken.holder, clock),
                        lapses.total_seconds(),
                    )
                    waiting = True
            except TransactionConflict as error:  # the database may be back at the next look
                log.warning("standby: could not look at the claims: %s", error)
            if stop is None:
                await asyncio.sleep(STANDBY_POLL.total_seconds())
            elif (await asyncio.wait({stop}, timeout=STANDBY_POLL.total_seconds()))[0]:
                raise StoodDown
    finally:
        if stop is not None:
            stop.cancel()


async def _take(
    repository: ProcessClaimRepository,
    claims: list[Claim],
    me: str,
    identity: Identity,
    clock: Clock,
    lapses: timedelta,
) -> None:
    """Take every claim; `ClaimTaken` if a live process holds one, `TopologyRefused` if a
    live process runs another shard count."""
    now = clock.now()
    prefix = claims[0].key.rsplit(":", 1)[0] + ":"
    live = await repository.holders(prefix, now, lapses)
    gone = [h.process for h in live if _is_gone(h, identity) and h.process != me]
    others = [h for h in live if h.process not in gone and h.process != me]
    for holder in others:
        if holder.detail != claims[0].detail:
            raise TopologyRefused(
                f"another process runs this Discord bot with DISCORD_SHARD_COUNT={holder.detail}"
                f" ({_who(holder, clock)}), this one with {claims[0].detail}: every process"
                " must use the same count. Set the same DISCORD_SHARD_COUNT everywhere, or"
                " stop that process first."
            )
    await repository.take(claims, me, identity.host, identity.pid, now, lapses, gone=gone)


async def _renew(
    repository: ProcessClaimRepository,
    me: str,
    clock: Clock,
    lapses: timedelta,
    on_lost: Callable[[str], None],
) -> None:
    while True:
        await asyncio.sleep(lapses.total_seconds() / RENEWALS_PER_LAPSE)
        try:
            held = await repository.renew(me, clock.now())
        except Exception as error:  # the database may be back by the next heartbeat
            log.warning("could not renew this process's claims: %s", error)
            continue
        if held == 0:
            on_lost(
                "this process's Discord shards were taken over by another process after it"
                f" went {lapses.total_seconds():g} s without renewing them"
            )
            return


def _is_gone(holder: Holder, identity: Identity) -> bool:
    """A holder on this machine whose PID no longer runs (or is ours: a container restarted
    with the same PID) stopped without releasing its claims."""
    if holder.host != identity.host:
        return False
    if holder.pid == identity.pid:
        return True
    try:
        os.kill(holder.pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def _refusal(holder: Holder, clock: Clock, lapses: timedelta) -> str:
    return (
        f"{_served_by(holder, clock)}; two processes on one shard would both act on every"
        " event. Give this process other DISCORD_SHARD_IDS, stop that one first (a claim"
        f" lapses {lapses.total_seconds():g} s after its process stops), or set"
        " DISCORD_STANDBY=true to wait and take over when it stops."
    )


def _served_by(holder: Holder, clock: Clock) -> str:
    shard = holder.claim.rsplit(":", 1)[1]
    what = (
        "this Discord bot"
        if holder.detail in ("1", "auto")
        else f"Discord shard {shard} of {holder.detail}"
    )
    return f"{what} is already served by another process ({_who(holder, clock)})"


def _who(holder: Holder, clock: Clock) -> str:
    seen = max(0, int((clock.now() - holder.heartbeat_at).total_seconds()))
    return f"PID {holder.pid} on {holder.host}, seen {seen} s ago"
