"""Tickets at scale: /ticket list, start-up reload and the scheduler's cost per wake-up.

For 1,000, 10,000 and 100,000 tickets (times ``--scale``), 10% of them open, seeded
reproducibly into a fresh SQLite database, it measures:

- ``/ticket list``, first page, end to end through the dispatcher (target < 20 ms at 100k);
- start-up with every open ticket's follow-up pending: opening the app (schema check, the
  tickets cog's look for lost jobs, scheduler start) up to the first next-due query
  (target < 1 s at 100k);
- one scheduler wake-up that fires one follow-up (claim the job, post in the thread, edit
  the tracker, arm the next one, finish, find the next due time): it must not grow with the
  number of open tickets.

Also shown: re-arming every open ticket's follow-up from nothing, the one-time cost of the
first start after an upgrade. Run ``python -m benchmarks.tickets [--scale S] [--seed N]``;
the last line is JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from adapters.local import LocalCommunity
from adapters.local.identity import BOT_ID
from bot.app.local_session import LocalSession
from bot.clock import VirtualClock
from bot.settings import Settings
from cogs.tickets.followups import KIND_FOLLOW_UP
from storage.database import Database
from storage.jobs import JobRepository
from storage.ticket_jobs import FOLLOW_UP, job_key
from storage.tickets import Outcome, Status, Ticket, TicketRepository

LEVELS = (1_000, 10_000, 100_000)
OPEN_SHARE = 10  # one ticket in ten is open, as in a community that keeps up
TARGET_LIST_MS = 20.0
TARGET_RELOAD_MS = 1000.0
# Wake-up cost counts as independent of the queue if the largest level costs less than
# this multiple of the smallest (timer noise on a busy machine stays well inside it).
INDEPENDENT_RATIO = 1.5
LIST_RUNS = 30
WAKEUPS = 100
NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
HISTORY = timedelta(days=730)  # tickets spread over two years
AMBASSADORS = [f"amb{i}" for i in range(20)]
CATEGORIES = ["app", "billing", "website", "events", "docs", ""]


@dataclass(frozen=True, slots=True)
class LevelFigures:
    tickets: int
    open: int
    list_first_page_ms: float
    list_variants_worst_ms: float
    reload_ms: float
    rearm_all_s: float
    wakeup_us: float


def make_tickets(count: int, rng: random.Random) -> list[Ticket]:
    """`count` tickets, one in ten open, each open one followed up just now."""
    active = set(rng.sample(range(1, count + 1), count // OPEN_SHARE))
    step = HISTORY / count
    tickets = []
    for number in range(1, count + 1):
        opened = NOW - HISTORY + step * number
        status = _status(rng, number in active)
        owner = None if status is Status.OPEN else rng.choice(AMBASSADORS)
        resolved = status is Status.RESOLVED
        updated = opened + timedelta(hours=rng.randint(1, 48))
        tickets.append(
            Ticket(
                community="local:bench",
                number=number,
                title=f"Ticket {number}: " + rng.choice(["dark mode", "export", "login", "app"]),
                details="",
                category=rng.choice(CATEGORIES),
                status=status,
                opener_id="ben" if number % 97 == 0 else f"member{rng.randint(1, 5000)}",
                opener_name="Member",
                opener_locale=None,
                owner_id=owner,
                owner_name=owner,
                opened_at=opened,
                updated_at=updated,
                claimed_at=updated if owner else None,
                first_response_at=updated if owner else None,
                first_response_escalated_at=None if owner else opened + timedelta(days=1),
                last_public_update_at=updated if owner else None,
                last_public_note="",
                next_update_due=None,
                promise_seq=0,
                reminded_seq=0,
                follow_up_seq=0,
                last_follow_up_at=NOW if number in active else None,
                resolved_at=updated if resolved else None,
                resolved_by=owner if resolved else None,
                resolution="Done" if resolved else "",
                closed_at=None if number in active else updated,
                merged_into=None,
                vote_count=min(int(rng.paretovariate(1.2)) - 1, 500),
                channel_id="tickets",
                tracker_message_id="1",
                thread_id=None,
                tracker_url="local:/tickets/1",
                outcome=Outcome.DONE if resolved else None,
            )
        )
    return tickets


def _status(rng: random.Random, active: bool) -> Status:
    if active:
        return rng.choice([Status.OPEN, Status.CLAIMED, Status.CLAIMED, Status.WAITING])
    return Status.RESOLVED if rng.random() < 0.85 else Status.WITHDRAWN


def bench_community() -> LocalCommunity:
    community = LocalCommunity("Benchmark", "bench")
    community.add_member("Ben")
    community.add_member("Amy", roles=("Ambassadors",))
    community.record("tickets", BOT_ID, "the tracker every seeded ticket points to")
    return community


async def measure_level(count: int, seed: int) -> LevelFigures:
    rng = random.Random(seed + count)
    with tempfile.TemporaryDirectory() as folder:
        config = Path(folder) / "community.toml"
        categories = ", ".join(f'"{c}"' for c in CATEGORIES if c)
        config.write_text(f"[tickets]\ncategories = [{categories}]\n", encoding="utf-8")
        settings = Settings(  # type: ignore[call-arg]
            data_dir=Path(folder), config_file=config, _env_file=None
        )
        tickets = make_tickets(count, rng)
        open_numbers = [t.number for t in tickets if t.active]
        due_now = set(rng.sample(open_numbers, min(WAKEUPS, len(open_numbers))))
        tickets = [_overdue(t) if t.number in due_now else t for t in tickets]
        db = await Database.open(settings.database_location)
        await TicketRepository(db).insert_many("local:bench", tickets)
        await db.close()

        clock = VirtualClock(NOW)
        community = bench_community()
        started = time.perf_counter()
        session = await LocalSession.open(settings, clock=clock, community=community)
        rearm_all = time.perf_counter() - started
        await session.app.close()

        started = time.perf_counter()
        session = await LocalSession.open(settings, clock=clock, community=community)
        await JobRepository(session.app.services.db).next_due_at()
        reload_ms = (time.perf_counter() - started) * 1000
        try:
            list_ms, worst_ms = await _list_timings(session)
            wakeup_us = await _wakeup_cost(session, sorted(due_now))
        finally:
            await session.app.close()
    return LevelFigures(
        tickets=count,
        open=len(open_numbers),
        list_first_page_ms=round(list_ms, 3),
        list_variants_worst_ms=round(worst_ms, 3),
        reload_ms=round(reload_ms, 1),
        rearm_all_s=round(rearm_all, 3),
        wakeup_us=round(wakeup_us, 1),
    )


def _overdue(ticket: Ticket) -> Ticket:
    return replace(ticket, last_follow_up_at=None, last_public_update_at=NOW - timedelta(days=30))


async def _list_timings(session: LocalSession) -> tuple[float, float]:
    """Median of the default first page, and the slowest median among common variants."""
    community = session.community
    ben = community.member("Ben")
    medians = []
    for line in (
        "/ticket list",
        "/ticket list sort:age",
        "/ticket list mine:yes all",
        "/ticket list resolved",
        "/ticket list all",
        "/ticket list category:billing sort:newest",
    ):
        await community.run(ben, line)
        timings = []
        for _ in range(LIST_RUNS):
            started = time.perf_counter()
            await community.run(ben, line)
            timings.append((time.perf_counter() - started) * 1000)
        assert community.last_private(ben).startswith(("**Tickets", "No tickets"))
        medians.append(statistics.median(timings))
    return medians[0], max(medians)


async def _wakeup_cost(session: LocalSession, numbers: list[int]) -> float:
    """Median µs of a wake-up that fires exactly one follow-up."""
    services = session.app.services
    scheduler, jobs = services.scheduler, JobRepository(services.db)
    community = session.community.community
    later = services.clock.now() + timedelta(days=365)
    for number in numbers:  # park the measured tickets' follow-ups far away first
        key = job_key(community.key, number, FOLLOW_UP, 0)
        await scheduler.schedule(
            community, KIND_FOLLOW_UP, later, key, {"number": number, "seq": 0}
        )
    timings = []
    for number in numbers:
        key = job_key(community.key, number, FOLLOW_UP, 0)
        payload = {"number": number, "seq": 0}
        await scheduler.schedule(community, KIND_FOLLOW_UP, services.clock.now(), key, payload)
        started = time.perf_counter()
        fired = await scheduler.run_due()
        await jobs.next_due_at()
        timings.append((time.perf_counter() - started) * 1e6)
        assert fired == 1, fired
    posted = sum(1 for m in session.community.messages if m.text.startswith("⏰"))
    assert posted == len(numbers), posted
    return statistics.median(timings)


async def measure(scale: float, seed: int) -> list[LevelFigures]:
    return [await measure_level(max(10, round(level * scale)), seed) for level in LEVELS]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.tickets", description=__doc__)
    parser.add_argument(
        "--scale", type=float, default=1.0, help="multiply the ticket counts (0.01 for a smoke run)"
    )
    parser.add_argument("--seed", type=int, default=20260105, help="seed for the data")
    args = parser.parse_args(argv)
    # The first start after seeding re-arms every follow-up on purpose; no need to warn.
    logging.getLogger("cogs.tickets").setLevel(logging.ERROR)
    levels = asyncio.run(measure(args.scale, args.seed))
    print_table(levels)
    largest, smallest = levels[-1], levels[0]
    ratio = largest.wakeup_us / smallest.wakeup_us
    verdict = {
        "list": largest.list_first_page_ms < TARGET_LIST_MS,
        "reload": largest.reload_ms < TARGET_RELOAD_MS,
        "wakeup": ratio < INDEPENDENT_RATIO,
    }
    print(
        f"/ticket list first page at {largest.tickets:,} tickets: "
        f"{largest.list_first_page_ms} ms (target < {TARGET_LIST_MS:g} ms: "
        f"{'met' if verdict['list'] else 'MISSED'})"
    )
    print(
        f"start-up reload with {largest.open:,} pending follow-ups: {largest.reload_ms} ms "
        f"(target < {TARGET_RELOAD_MS:g} ms: {'met' if verdict['reload'] else 'MISSED'})"
    )
    print(
        f"wake-up cost at {largest.tickets:,} vs {smallest.tickets:,} tickets: ×{ratio:.2f} "
        f"(independent if < ×{INDEPENDENT_RATIO}: {'yes' if verdict['wakeup'] else 'NO'})"
    )
    figures = {
        "benchmark": "tickets",
        "scale": args.scale,
        "seed": args.seed,
        "levels": [_as_dict(level) for level in levels],
        "list_first_page_ms": largest.list_first_page_ms,
        "reload_ms": largest.reload_ms,
        "wakeup_ratio_largest_to_smallest": round(ratio, 3),
        "targets": {
            "list_first_page_ms": TARGET_LIST_MS,
            "reload_ms": TARGET_RELOAD_MS,
            "wakeup_ratio": INDEPENDENT_RATIO,
        },
        "meets_targets": all(verdict.values()),
    }
    print(json.dumps(figures))
    return 0


def print_table(levels: list[LevelFigures]) -> None:
    print(
        f"{'tickets':>9} {'open':>7} {'list p1 ms':>11} {'worst list ms':>14} "
        f"{'reload ms':>10} {'wake-up µs':>11} {'re-arm all s':>13}"
    )
    for level in levels:
        print(
            f"{level.tickets:>9,} {level.open:>7,} {level.list_first_page_ms:>11} "
            f"{level.list_variants_worst_ms:>14} {level.reload_ms:>10} {level.wakeup_us:>11} "
            f"{level.rearm_all_s:>13}"
        )


def _as_dict(level: LevelFigures) -> dict[str, float | int]:
    return {name: getattr(level, name) for name in LevelFigures.__dataclass_fields__}


if __name__ == "__main__":
    sys.exit(main())
