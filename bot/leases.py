"""The live side of leases (`storage.leases`): renewing what this process holds, and
looking for work that other processes add or abandon.

The scheduler and the delivery loop each run `renew_forever` beside their loop, so every
job and outbox entry this process holds stays its own for as long as the process lives;
when it dies, renewal stops with it and the leases run out. With other processes on the
same database (`Holder.shared`), a loop never sleeps longer than `POLL_SECONDS`: an
earlier job scheduled by another process, or a lease that ran out there, wakes nobody
here, so the loop looks again instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from datetime import datetime

from bot.clock import Clock
from storage.leases import Holder, Leases, this_machine

log = logging.getLogger(__name__)

# The longest a loop sleeps when other processes share the database: work they schedule
# for now is started within this, and a dead process's work within its lease plus this.
POLL_SECONDS = 1.0
# Woken this much after a lease's expiry, so the expiry has passed when the loop looks.
_LATE = 0.01


def dead_here(owner: str) -> bool:
    """Whether a lease owner (``machine:pid:random``, `storage.leases.process_owner`) was a
    process on this machine and pid namespace that is gone: its leases need not run out
    before a restart takes its work over. Another machine's or container's process, or a
    pid alive now (perhaps reused), is left to its lease."""
    machine, _, rest = owner.partition(":")
    pid_text = rest.partition(":")[0]
    if machine != this_machine() or not pid_text.isdigit() or int(pid_text) == os.getpid():
        return False
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return True
    except OSError:  # e.g. PermissionError: a live process of another user
        return False
    return False


async def take_back_cut_off(leases: Leases) -> int:
    """At start-up, take again at once what the last run was working on when it stopped:
    alone on the database (SQLite) every old lease was this bot's; with other processes,
    only those of processes on this machine that are gone, the rest when their leases run
    out (a lease alone cannot tell a dead process from a live one)."""
    owners = None
    if leases.holder.shared:
        owners = [owner for owner in await leases.owners() if dead_here(owner)]
    return await leases.expire(owners)


async def renew_forever(leases: Leases, what: str) -> None:
    """Renew this process's leases every third of their length, until cancelled; one
    failed renewal (a slow or briefly unreachable database) is retried at the next turn."""
    while True:
        await asyncio.sleep(leases.holder.seconds / 3)
        try:
            await leases.renew()
        except Exception as error:
            log.warning("could not renew the leases on %s: %s", what, error)


async def sleep_until(
    clock: Clock,
    holder: Holder,
    moment: datetime | None,
    wake: asyncio.Event,
    takeover_at: datetime | None = None,
) -> None:
    """Sleep until `moment` (None: until woken) or until `wake` is set, and not past
    `takeover_at` (wall-clock time: when a lease runs out unless it is renewed, another
    process's or one this process let go of). When other processes share the database,
    no longer than `POLL_SECONDS` either."""
    if not holder.shared and takeover_at is None:
        await _sleep(clock, moment, wake)
        return
    limit = POLL_SECONDS if holder.shared else float("inf")
    if takeover_at is not None:
        limit = min(limit, max((takeover_at - holder.now()).total_seconds(), 0.0) + _LATE)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(_sleep(clock, moment, wake), limit)


async def _sleep(clock: Clock, moment: datetime | None, wake: asyncio.Event) -> None:
    if moment is None:
        await wake.wait()
    elif moment > clock.now():
        await clock.sleep_until(moment, wake)
