"""Connecting the platforms at start-up, and again while one cannot be reached.

After a power cut the bot may start before the router: the network is "online" but
Discord or Slack cannot be reached yet. A platform whose start fails with
`PlatformUnreachable` (the network, DNS, a refused connection, a timeout, the platform's
own 5xx) is tried again after a wait that doubles from 5 seconds to at most 5 minutes,
with one WARNING line per failed attempt, until it connects or the bot is stopped. A
refusal (a rejected token, missing intents, a wrong setting) stays a `ConfigError` that
stops the start at once: no retry can cure it. Platforms are started side by side, so one
that cannot be reached never holds up another; /readyz reports it not ready meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from bot.commands import format_duration
from bot.errors import PlatformUnreachable
from bot.host import Adapter, Host

log = logging.getLogger(__name__)

# What runs for platforms once they are connected (the start-up community check).
OnConnected = Callable[[Sequence[Adapter]], Awaitable[object]]


@dataclass(frozen=True)
class Backoff:
    """The waits between attempts. The first is short because most outages at boot are a
    router still starting; the cap keeps a long outage from costing more than one try
    every few minutes; the jitter keeps bots restarted together (one power cut, one
    network) from knocking at the same moment."""

    first: float = 5.0
    most: float = 300.0
    jitter: float = 0.2  # each wait is shortened by up to this share, at random
    random: random.Random = field(default_factory=random.Random, compare=False)

    def wait(self, failed: int) -> float:
        """Seconds to wait after the `failed`-th failed attempt in a row."""
        doubled = self.first * 2.0 ** min(failed - 1, 32)
        return min(self.most, doubled) * (1 - self.jitter * self.random.random())


async def connect(
    adapters: Sequence[Adapter],
    host: Host,
    backoff: Backoff,
    stopping: asyncio.Event,
    on_connected: OnConnected,
) -> list[asyncio.Task[None]]:
    """Start every adapter side by side; return once each has connected or failed a first
    time (or the bot is stopping), with the tasks that keep trying the unreachable ones.

    A refusal from any adapter cancels the other attempts and is raised."""
    firsts = {asyncio.create_task(_attempt(a, host), name=f"connect-{a.name}"): a for a in adapters}
    outcomes = await _first_attempts(firsts, stopping)
    connected = [a for a in adapters if a in outcomes and outcomes[a] is None]
    if connected:
        await on_connected(connected)
    failed = {a: e for a, e in outcomes.items() if e is not None}
    if stopping.is_set():
        return []
    return [
        asyncio.create_task(
            _keep_trying(adapter, host, backoff, stopping, error, on_connected),
            name=f"reconnect-{adapter.name}",
        )
        for adapter, error in failed.items()
    ]


async def _first_attempts(
    firsts: dict[asyncio.Task[PlatformUnreachable | None], Adapter], stopping: asyncio.Event
) -> dict[Adapter, PlatformUnreachable | None]:
    """Wait for the first attempts; how each ended (None: connected). Those still under
    way when the bot is stopped are cancelled and left out."""
    outcomes: dict[Adapter, PlatformUnreachable | None] = {}
    pending = set(firsts)
    stop = asyncio.create_task(stopping.wait())
    try:
        while pending and not stop.done():
            done, pending = await asyncio.wait(
                pending | {stop}, return_when=asyncio.FIRST_COMPLETED
            )
            pending.discard(stop)
            for task in done - {stop}:
                outcomes[firsts[task]] = task.result()  # a refusal is raised here
    finally:
        for task in (*pending, stop):
            task.cancel()
        await asyncio.gather(*pending, stop, return_exceptions=True)
    return outcomes


async def _keep_trying(
    adapter: Adapter,
    host: Host,
    backoff: Backoff,
    stopping: asyncio.Event,
    error: PlatformUnreachable,
    on_connected: OnConnected,
) -> None:
    """Wait, try again, and so on while the platform cannot be reached; a refusal ends
    the task with its `ConfigError` (the app stops on it)."""
    failures = 1
    failed: PlatformUnreachable | None = error
    while failed is not None:
        delay = backoff.wait(failures)
        log.warning("%s Attempt %d failed; trying again in %s.", failed, failures, _span(delay))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stopping.wait(), delay)
            return  # stopped while waiting
        failed = await _attempt(adapter, host)
        failures += 1
    log.info("connected to %s after %d failed attempts", adapter.name, failures - 1)
    try:
        await on_connected([adapter])
    except Exception:
        log.exception("the check after connecting to %s failed", adapter.name)


async def _attempt(adapter: Adapter, host: Host) -> PlatformUnreachable | None:
    """One start: None once connected, the error if the platform could not be reached."""
    try:
        await adapter.start(host)
    except PlatformUnreachable as error:
        return error
    return None


def _span(seconds: float) -> str:
    """A wait as commands write durations ("5s", "4m48s"); a second at least."""
    return format_duration(timedelta(seconds=max(1, round(seconds))))
