"""Connecting the platforms at start-up, and again while one cannot be reached.

After a power cut the bot may start before the router: the network is "online" but
Discord or Slack cannot be reached yet. A platform whose start fails with
`PlatformUnreachable` (the network, DNS, a refused connection, a timeout, the platform's
own 5xx) is tried again after a wait that doubles from 5 seconds to at most 5 minutes,
with one WARNING line per failed attempt, until it connects or the bot is stopped. A
refusal (a rejected token, missing intents, a wrong setting) stays a `ConfigError` that
stops the start at once: no retry can cure it. Platforms are started side by side, so one
that cannot be reached never holds up another; /readyz reports it not ready meanwhile. A
first attempt still under way after `Backoff.first_attempt` (a network that drops packets
takes minutes to time out) goes on in the background, and the others serve meanwhile; a
refusal it ends with still stops the bot (exit 2).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

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
    # How long the start waits for the first attempts before the connected platforms serve:
    # a refused connection or a rejected token answers within a second or two, and a
    # start (Discord's READY, Slack's channel check) takes seconds; one that takes longer
    # still connects then, and its deliveries meanwhile are retried, not lost.
    first_attempt: float = 30.0
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
    time, or `backoff.first_attempt` has passed (or the bot is stopping), with the tasks
    that keep trying the unreachable ones and finish the attempts still under way.

    A refusal from any adapter within that time cancels the other attempts and is raised."""
    firsts = {asyncio.create_task(_attempt(a, host), name=f"connect-{a.name}"): a for a in adapters}
    outcomes, under_way = await _first_attempts(firsts, stopping, backoff.first_attempt)
    connected = [a for a in adapters if a in outcomes and outcomes[a] is None]
    if connected:
        await on_connected(connected)  # also when stopping: those connected are checked
    if stopping.is_set():
        return []
    going_on = [(a, t) for t, a in firsts.items() if t in under_way]
    going_on += [(a, t) for t, a in firsts.items() if outcomes.get(a) is not None]
    return [
        asyncio.create_task(
            _keep_trying(adapter, host, backoff, stopping, first, on_connected),
            name=f"reconnect-{adapter.name}",
        )
        for adapter, first in going_on
    ]


async def _first_attempts(
    firsts: dict[asyncio.Task[PlatformUnreachable | None], Adapter],
    stopping: asyncio.Event,
    most: float,
) -> tuple[dict[Adapter, PlatformUnreachable | None], set[asyncio.Task[Any]]]:
    """Wait up to `most` seconds for the first attempts: how each that ended did (None:
    connected), and the attempts still under way, left running. When the bot is stopped,
    or an attempt is refused, those still under way are cancelled instead."""
    outcomes: dict[Adapter, PlatformUnreachable | None] = {}
    pending: set[asyncio.Task[Any]] = set(firsts)
    stop = asyncio.create_task(stopping.wait())
    deadline = asyncio.get_running_loop().time() + most
    ended = False
    try:
        while pending and not stop.done():
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                break
            done, pending = await asyncio.wait(
                pending | {stop}, timeout=left, return_when=asyncio.FIRST_COMPLETED
            )
            pending.discard(stop)
            for task in done - {stop}:
                outcomes[firsts[task]] = task.result()  # a refusal is raised here
        ended = not stop.done()
    finally:
        cancelled = (stop,) if ended else (*pending, stop)
        for task in cancelled:
            task.cancel()
        await asyncio.gather(*cancelled, return_exceptions=True)
    return outcomes, pending if ended else set()


async def _keep_trying(
    adapter: Adapter,
    host: Host,
    backoff: Backoff,
    stopping: asyncio.Event,
    first: asyncio.Task[PlatformUnreachable | None],
    on_connected: OnConnected,
) -> None:
    """See the `first` attempt to its end (failed already, or still under way), then wait,
    try again, and so on while the platform cannot be reached; a refusal ends the task
    with its `ConfigError` (the app stops on it)."""
    failures = 0
    failed = await first
    while failed is not None:
        failures += 1
        delay = backoff.wait(failures)
        log.warning("%s Attempt %d failed; trying again in %s.", failed, failures, _span(delay))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stopping.wait(), delay)
            return  # stopped while waiting
        failed = await _attempt(adapter, host)
    log.info("connected to %s after %d failed attempts", adapter.name, failures)
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
