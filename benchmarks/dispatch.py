"""Dispatcher throughput: events per second through trivial handlers, and the overhead the
dispatcher adds per event compared with awaiting the same handlers directly.

Target (issue 2): under 10 µs of overhead per event on one core. Run:
``python -m benchmarks.dispatch [--events N] [--seed S]``. The last line is JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from bot.app.local_session import LocalSession
from bot.clock import VirtualClock
from bot.cog import Cog, listen
from bot.events import MessagePosted, ReactionAdded
from bot.model import ChannelRef, Community, Member, MessageRef, PostedMessage
from bot.settings import Settings

TARGET_OVERHEAD_US = 10.0
HANDLERS_PER_EVENT = 3


class Counting(Cog):
    """Three trivial listeners, like three cogs that each glance at every message."""

    name = "counting"
    count = 0

    @listen(MessagePosted)
    async def first(self, event: MessagePosted) -> None:
        Counting.count += 1

    @listen(MessagePosted)
    async def second(self, event: MessagePosted) -> None:
        Counting.count += 1

    @listen(MessagePosted)
    async def third(self, event: MessagePosted) -> None:
        Counting.count += 1

    @listen(ReactionAdded)
    async def reacted(self, event: ReactionAdded) -> None:
        Counting.count += 1


def make_events(count: int, seed: int) -> list[MessagePosted]:
    rng = random.Random(seed)
    community = Community("local", "bench")
    channels = [ChannelRef(community, f"c{i}", f"channel-{i}") for i in range(20)]
    authors = [Member(community, f"u{i}", f"user{i}") for i in range(500)]
    words = ["hello", "ticket", "thanks", "update", "when", "release", "bug", "great", "docs"]
    return [
        MessagePosted(
            PostedMessage(
                ref=MessageRef(rng.choice(channels), str(number)),
                author=rng.choice(authors),
                text=" ".join(rng.choices(words, k=rng.randint(3, 12))),
            )
        )
        for number in range(count)
    ]


async def measure(event_count: int, seed: int) -> dict[str, float]:
    events = make_events(event_count, seed)
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(data_dir=Path(folder), _env_file=None)  # type: ignore[call-arg]
        session = await LocalSession.open(settings, clock=VirtualClock(), cog_types=[Counting])
        try:
            dispatcher = session.app.dispatcher
            cog = dispatcher.cogs[0]
            assert isinstance(cog, Counting)
            handlers = (cog.first, cog.second, cog.third)

            started = time.perf_counter()
            for event in events:
                for handler in handlers:
                    await handler(event)
            direct = time.perf_counter() - started

            Counting.count = 0
            started = time.perf_counter()
            for event in events:
                await dispatcher.dispatch(event)
            dispatched = time.perf_counter() - started
            assert Counting.count == event_count * HANDLERS_PER_EVENT
        finally:
            await session.app.close()
    overhead_us = (dispatched - direct) / event_count * 1e6
    return {
        "events": event_count,
        "handlers_per_event": HANDLERS_PER_EVENT,
        "events_per_second": round(event_count / dispatched),
        "direct_calls_events_per_second": round(event_count / direct),
        "overhead_us_per_event": round(overhead_us, 3),
        "ratio_dispatch_to_direct": round(dispatched / direct, 3),
        "target_overhead_us": TARGET_OVERHEAD_US,
        "meets_target": overhead_us < TARGET_OVERHEAD_US,
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.dispatch", description=__doc__)
    parser.add_argument("--events", type=int, default=200_000, help="events to dispatch")
    parser.add_argument("--seed", type=int, default=20261121, help="seed for the event mix")
    args = parser.parse_args(argv)
    figures = asyncio.run(measure(args.events, args.seed))
    print(f"dispatched {figures['events']:,} events with {HANDLERS_PER_EVENT} handlers each")
    print(f"  through the dispatcher: {figures['events_per_second']:,} events/s")
    print(f"  handlers awaited directly: {figures['direct_calls_events_per_second']:,} events/s")
    print(
        f"  overhead: {figures['overhead_us_per_event']} µs per event "
        f"(target < {TARGET_OVERHEAD_US} µs: {'met' if figures['meets_target'] else 'MISSED'})"
    )
    print(json.dumps({"benchmark": "dispatch", **figures}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
