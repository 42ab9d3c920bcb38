"""The public board at scale: its first page and a ticket page at 100,000 tickets.

The tickets of ``benchmarks.tickets`` (one in ten open, two years of them, seeded
reproducibly) with three public steps each are loaded into a fresh SQLite database; the
pages are requested through aiohttp's test client, so the time covers routing, the
queries, the template and the security headers. Target (issue 12): p95 under 50 ms for
the first page of the board and for a ticket page. Other views (every ticket, newest
first; a category; a search, which reads every title) are shown for comparison.

The insights page of the same community (signed in as its ambassador) over the last year
(half the tickets, 20,000 joins, 5,000 flags and kudos) and over both years is timed too:
target under 500 ms (``insights_year``).
Run ``python -m benchmarks.web [--tickets N] [--requests N] [--seed S]``; the last line
is JSON.
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
from datetime import timedelta
from pathlib import Path

from aiohttp.test_utils import TestClient, TestServer

from benchmarks.tickets import CATEGORIES, NOW, bench_community, make_tickets
from bot import signin
from bot.app.local_session import LocalSession
from bot.app.web.server import build, make_context
from bot.app.web.sessions import COOKIE
from bot.clock import VirtualClock
from bot.settings import Settings
from storage.database import Database
from storage.tickets import TicketRepository
from storage.timestamps import to_db

TARGET_P95_MS = 50.0
TARGET_INSIGHTS_MS = 500.0
INSIGHTS = "/insights/local/bench"
COMMUNITY = "local:bench"
BOARD = "/board/local/bench"
STEPS = ("opened", "claimed", "updated")


async def seed(settings: Settings, count: int, rng: random.Random) -> None:
    tickets = make_tickets(count, rng)
    db = await Database.open(settings.database_location)
    try:
        await TicketRepository(db).insert_many(COMMUNITY, tickets)
        rows = [
            (COMMUNITY, t.number, to_db(t.opened_at + timedelta(hours=i)), "amb1", "Amy", step)
            for t in tickets
            for i, step in enumerate(STEPS)
        ]
        async with db.transaction() as tx:
            await tx.executemany(
                "INSERT INTO ticket_history (community, number, at, actor_id, actor_name,"
                " action, note) VALUES (?, ?, ?, ?, ?, ?, 'a public note')",
                rows,
            )
    finally:
        await db.close()


async def timings(client: TestClient, paths: list[str]) -> list[float]:
    found = []
    for path in paths:
        started = time.perf_counter()
        response = await client.get(path)
        await response.read()
        found.append((time.perf_counter() - started) * 1000)
        if response.status != 200:
            raise RuntimeError(f"{path} answered {response.status}")
    return found


async def insights_timings(
    client: TestClient, session: LocalSession, count: int, rng: random.Random
) -> dict[str, float]:
    """The insights page for the last year and for both years, signed in as Amy (the
    community's ambassador); the slowest of a few requests each, the page's worst case."""
    services = session.app.services
    await seed_community(services.db, count, rng)
    key = await signin.signing_key(services)
    token = signin.issue(key, signin.Kind.SESSION, COMMUNITY, "amy", services.clock.now())
    client.session.cookie_jar.update_cookies({COOKIE: token})
    last = NOW.date()
    year = f"{INSIGHTS}?from={last - timedelta(days=364)}&to={last}"
    both = f"{INSIGHTS}?from={last - timedelta(days=729)}&to={last}"
    await timings(client, [year])  # warm the caches
    return {
        "insights_year": round(max(await timings(client, [year] * 5)), 2),
        "insights_two_years": round(max(await timings(client, [both] * 3)), 2),
    }


async def seed_community(db: Database, count: int, rng: random.Random) -> None:
    """Joins, kudos and flags in proportion to `count` tickets, spread over two years."""
    span = int(timedelta(days=730).total_seconds())

    def moment() -> str:
        return to_db(NOW - timedelta(seconds=rng.randrange(span)))

    joins = [(COMMUNITY, f"m{i}", f"Member {i}", moment()) for i in range(count // 5)]
    kudos = [(COMMUNITY, f"m{i}", moment()) for i in range(count // 20)]
    flags = [
        (i + 1, COMMUNITY, moment(), rng.choice(("dismiss", "warn", "delete")))
        for i in range(count // 20)
    ]
    async with db.transaction() as tx:
        await tx.executemany(
            "INSERT INTO welcome_members (community, member_id, name, joined_at, accepted_at)"
            " VALUES (?, ?, ?, ?, ?)",
            [(*row, row[3] if i % 3 else None) for i, row in enumerate(joins)],
        )
        await tx.executemany(
            "INSERT INTO kudos (community, giver_id, receiver_id, receiver_name, reason,"
            " given_at) VALUES (?, ?, 'amy', 'Amy', 'thanks', ?)",
            kudos,
        )
        await tx.executemany(
            "INSERT INTO moderation_flags (id, community, author_id, author_name, status,"
            " outcome, acted_at, created_at, last_activity_at) VALUES"
            " (?, ?, 'ben', 'Ben', 'settled', ?, ?, ?, ?)",
            [(i, c, outcome, at, at, at) for i, c, at, outcome in flags],
        )
        await tx.executemany(
            "INSERT INTO moderation_hits (community, flag_id, channel_id, message_id, rule,"
            " action, at) VALUES (?, ?, 'general', ?, ?, 'flag', ?)",
            [(c, i, f"m{i}", rng.choice(("links", "caps", "burst")), at) for i, c, at, _ in flags],
        )


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


async def measure(count: int, requests: int, seed_value: int) -> dict[str, float]:
    rng = random.Random(seed_value)
    with tempfile.TemporaryDirectory() as folder:
        config = Path(folder) / "community.toml"
        categories = ", ".join(f'"{c}"' for c in CATEGORIES if c)
        config.write_text(f"[tickets]\ncategories = [{categories}]\n", encoding="utf-8")
        settings = Settings(  # type: ignore[call-arg]
            data_dir=Path(folder), config_file=config, _env_file=None
        )
        await seed(settings, count, rng)
        session = await LocalSession.open(
            settings, clock=VirtualClock(NOW), community=bench_community()
        )
        try:
            context = make_context(session.app.services, settings, served=[COMMUNITY])
            async with TestClient(TestServer(build(context))) as client:
                await timings(client, [BOARD, f"{BOARD}/1"])  # warm the caches
                insights = await insights_timings(client, session, count, rng)
                numbers = [rng.randint(1, count) for _ in range(requests)]
                views = {
                    "board_first_page": [BOARD] * requests,
                    "ticket_page": [f"{BOARD}/{n}" for n in numbers],
                    "board_all_newest": [f"{BOARD}?show=all&sort=newest"] * requests,
                    "board_category": [f"{BOARD}?show=all&category=billing"] * requests,
                    "board_search": [f"{BOARD}?show=all&q=export"] * max(requests // 10, 5),
                }
                return {
                    **{
                        name: round(p95(await timings(client, paths)), 2)
                        for name, paths in views.items()
                    },
                    **insights,
                }
        finally:
            await session.app.close()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.web", description=__doc__)
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--seed", type=int, default=20260105)
    args = parser.parse_args(argv)
    logging.getLogger("cogs.tickets").setLevel(logging.ERROR)  # the first start re-arms
    figures = asyncio.run(measure(args.tickets, args.requests, args.seed))
    for name, value in figures.items():
        print(f"{name:>18}: p95 {value:8.2f} ms", file=sys.stderr)
    met = (
        figures["board_first_page"] < TARGET_P95_MS
        and figures["ticket_page"] < TARGET_P95_MS
        and figures["insights_year"] < TARGET_INSIGHTS_MS
    )
    print(
        json.dumps(
            {
                "benchmark": "web",
                "tickets": args.tickets,
                "requests": args.requests,
                "seed": args.seed,
                "p95_ms": figures,
                "target_p95_ms": TARGET_P95_MS,
                "target_insights_ms": TARGET_INSIGHTS_MS,
                "meets_target": met,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
