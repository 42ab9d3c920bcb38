"""The public board at scale: its first page and a ticket page at 100,000 tickets.

The tickets of ``benchmarks.tickets`` (one in ten open, two years of them, seeded
reproducibly) with three public steps each are loaded into a fresh SQLite database; the
pages are requested through aiohttp's test client, so the time covers routing, the
queries, the template and the security headers. Target (issue 12): p95 under 50 ms for
the first page of the board and for a ticket page. Other views (every ticket, newest
first; a category; a search, which reads every title) are shown for comparison.
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
from bot.app.local_session import LocalSession
from bot.app.web.server import build, make_context
from bot.clock import VirtualClock
from bot.settings import Settings
from storage.database import Database
from storage.tickets import TicketRepository
from storage.timestamps import to_db

TARGET_P95_MS = 50.0
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
                numbers = [rng.randint(1, count) for _ in range(requests)]
                views = {
                    "board_first_page": [BOARD] * requests,
                    "ticket_page": [f"{BOARD}/{n}" for n in numbers],
                    "board_all_newest": [f"{BOARD}?show=all&sort=newest"] * requests,
                    "board_category": [f"{BOARD}?show=all&category=billing"] * requests,
                    "board_search": [f"{BOARD}?show=all&q=export"] * max(requests // 10, 5),
                }
                return {
                    name: round(p95(await timings(client, paths)), 2)
                    for name, paths in views.items()
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
    met = figures["board_first_page"] < TARGET_P95_MS and figures["ticket_page"] < TARGET_P95_MS
    print(
        json.dumps(
            {
                "benchmark": "web",
                "tickets": args.tickets,
                "requests": args.requests,
                "seed": args.seed,
                "p95_ms": figures,
                "target_p95_ms": TARGET_P95_MS,
                "meets_target": met,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
