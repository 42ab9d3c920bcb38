"""Scale-out on PostgreSQL: several real bot processes sharing one database's jobs.

On a throwaway local PostgreSQL (tests/postgres.py starts it; or the server named by
``BOTSCHAFTER_TEST_DATABASE_URL``), with platform posts taking a fixed ``--latency``
(20 ms), it measures:

- follow-ups fired per second by 1, 2 and 4 processes (``--jobs`` each, due at once);
  the baseline is the one-process run of the same benchmark (target: 2 processes ≥ 1.6×);
- duplicates and losses across ``--kill-jobs`` (10,000) jobs on 4 processes with one
  SIGKILLed when about a third are posted (target: 0 and 0), and the takeover time: from
  the kill until the last job or post the dead process held went out elsewhere (target ≤
  lease + 1 s; lease ``--lease``, 3 s);
- ``/ticket list``, first page, at ``--tickets`` (100,000) tickets on SQLite and on
  PostgreSQL (target < 20 ms on both).

Each process is `benchmarks._scaleout_node`. Run ``python -m benchmarks.scaleout``; the
last line is JSON.
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
from dataclasses import asdict
from pathlib import Path
from typing import Any

from benchmarks._scaleout_cluster import Tally, running, seed_jobs, taken_over, wait_until_done
from benchmarks.tickets import CATEGORIES, TARGET_LIST_MS, bench_community, make_tickets
from bot.app.local_session import LocalSession
from bot.clock import VirtualClock
from bot.settings import Settings
from storage.database import Database
from storage.tickets import TicketRepository
from tests.postgres import PostgresServer

INSTANCES = (1, 2, 4)
TARGET_SPEEDUP_2 = 1.6
KILL_INSTANCES = 4
KILL_AT_SHARE = 0.3  # the kill comes when this share of the jobs is posted
LIST_RUNS = 30


async def throughput(server: PostgresServer, instances: int, jobs: int, args: Any) -> dict:
    """Jobs per second for `instances` processes firing `jobs` follow-ups due at once."""
    url = await server.fresh_database()
    try:
        db = await Database.open(url, pool_size=2)
        with tempfile.TemporaryDirectory() as folder:
            async with running(url, Path(folder), args.lease) as cluster:
                await cluster.add(instances, args.latency)
                keys = await seed_jobs(db, jobs)
                started = await cluster.go()
                await wait_until_done(db, jobs, within=3600)
                posts = cluster.posts()
        await db.close()
    finally:
        await server.drop(url)
    tally = Tally.of(keys, posts)
    seconds = max(p.at for p in posts) - started
    return {"instances": instances, "jobs_per_second": round(jobs / seconds, 1), **asdict(tally)}


async def kill_run(server: PostgresServer, jobs: int, args: Any) -> dict:
    """`jobs` follow-ups on several processes, one SIGKILLed mid-run."""
    url = await server.fresh_database()
    try:
        db = await Database.open(url, pool_size=2)
        with tempfile.TemporaryDirectory() as folder:
            async with running(url, Path(folder), args.lease) as cluster:
                await cluster.add(KILL_INSTANCES, args.latency)
                keys = await seed_jobs(db, jobs)
                await cluster.go()
                victim = cluster.nodes[random.Random(args.seed).randrange(KILL_INSTANCES)]
                while True:  # polls the post logs, which the nodes append to
                    if len(cluster.posts()) >= jobs * KILL_AT_SHARE:
                        break
                    await asyncio.sleep(0.05)
                killed_at = cluster.kill(victim)
                done = await wait_until_done(db, jobs, within=3600)
                posts = cluster.posts()
                held = await taken_over(db)
        await db.close()
    finally:
        await server.drop(url)
    # None: the killed process held nothing at that moment (nothing to take over).
    alive = [p.at - killed_at for p in posts if p.key in held and p.at > killed_at]
    first, last = (round(min(alive), 3), round(max(alive), 3)) if alive else (None, None)
    return {
        "instances": KILL_INSTANCES,
        "finished": done,
        "taken_over": len(held),
        "takeover_first_s": first,
        "takeover_s": last,
        **asdict(Tally.of(keys, posts)),
    }


async def ticket_list_ms(tickets: int, seed: int, url: str | None) -> float:
    """Median ms of ``/ticket list`` (first page) at `tickets` tickets; SQLite for None."""
    with tempfile.TemporaryDirectory() as folder:
        config = Path(folder) / "community.toml"
        categories = ", ".join(f'"{c}"' for c in CATEGORIES if c)
        config.write_text(f"[tickets]\ncategories = [{categories}]\n", encoding="utf-8")
        settings = Settings(  # type: ignore[call-arg]
            data_dir=Path(folder), config_file=config, database_url=url, _env_file=None
        )
        db = await Database.open(settings.database_location)
        await TicketRepository(db).insert_many(
            "local:bench", make_tickets(tickets, random.Random(seed))
        )
        await db.close()
        community = bench_community()
        session = await LocalSession.open(settings, clock=VirtualClock(), community=community)
        try:
            ben = community.member("Ben")
            await community.run(ben, "/ticket list")
            timings = []
            for _ in range(LIST_RUNS):
                started = time.perf_counter()
                await community.run(ben, "/ticket list")
                timings.append((time.perf_counter() - started) * 1000)
            assert community.last_private(ben).startswith("**Tickets")
        finally:
            await session.app.close()
    return round(statistics.median(timings), 3)


async def measure(args: Any, server: PostgresServer) -> dict:
    runs = []
    for count in INSTANCES:
        runs.append(await throughput(server, count, args.jobs, args))
        print(f"  {count} process(es): {runs[-1]['jobs_per_second']} jobs/s", file=sys.stderr)
    killed = await kill_run(server, args.kill_jobs, args)
    print(f"  kill run: {killed}", file=sys.stderr)
    url = await server.fresh_database()
    try:
        lists = {
            "sqlite": await ticket_list_ms(args.tickets, args.seed, None),
            "postgresql": await ticket_list_ms(args.tickets, args.seed, url),
        }
    finally:
        await server.drop(url)
    return {"throughput": runs, "kill": killed, "ticket_list_ms": lists}


def verdict(figures: dict, lease: float) -> dict[str, bool]:
    rates = {run["instances"]: run["jobs_per_second"] for run in figures["throughput"]}
    killed = figures["kill"]
    every_run = [*figures["throughput"], killed]
    return {
        "no_duplicates": all(run["duplicates"] == 0 for run in every_run),
        "nothing_lost": all(run["lost"] == 0 for run in every_run),
        "two_instances_speedup": rates[2] >= TARGET_SPEEDUP_2 * rates[1],
        "takeover": killed["takeover_s"] is not None and killed["takeover_s"] <= lease + 1,
        "ticket_list": all(ms < TARGET_LIST_MS for ms in figures["ticket_list_ms"].values()),
    }


def report(figures: dict, met: dict[str, bool], args: Any) -> None:
    def mark(name: str) -> str:
        return "met" if met[name] else "MISSED"

    rates = {run["instances"]: run["jobs_per_second"] for run in figures["throughput"]}
    print(f"follow-ups fired per second, platform latency {args.latency * 1000:g} ms:")
    for count, rate in rates.items():
        print(f"  {count} process(es): {rate:>8} jobs/s  (×{rate / rates[1]:.2f} of one)")
    print(f"  2 processes ≥ {TARGET_SPEEDUP_2}× one: {mark('two_instances_speedup')}")
    k = figures["kill"]
    print(
        f"{k['jobs']:,} jobs on {k['instances']} processes, one SIGKILLed: "
        f"{k['duplicates']} duplicates, {k['lost']} lost ({mark('no_duplicates')}, "
        f"{mark('nothing_lost')}); {k['resent_recovering']} post(s) sent again as recovering"
    )
    print(
        f"takeover of {k['taken_over']} held job(s)/post(s): first after {k['takeover_first_s']}"
        f" s, last after {k['takeover_s']} s (lease {args.lease:g} s, target ≤"
        f" {args.lease + 1:g} s: {mark('takeover')})"
    )
    for backend, ms in figures["ticket_list_ms"].items():
        print(f"/ticket list first page at {args.tickets:,} tickets on {backend}: {ms} ms")
    print(f"  target < {TARGET_LIST_MS:g} ms on both: {mark('ticket_list')}")


def main(argv: Sequence[str] | None = None, server: PostgresServer | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.scaleout", description=__doc__)
    parser.add_argument("--jobs", type=int, default=1_000, help="jobs per throughput run")
    parser.add_argument("--kill-jobs", type=int, default=10_000, help="jobs in the kill run")
    parser.add_argument("--tickets", type=int, default=100_000, help="tickets for /ticket list")
    parser.add_argument("--latency", type=float, default=0.02, help="seconds per platform post")
    parser.add_argument("--lease", type=float, default=3.0, help="lease seconds (at least 3)")
    parser.add_argument("--seed", type=int, default=20261205, help="seed for the data")
    args = parser.parse_args(argv)
    logging.getLogger("cogs.tickets").setLevel(logging.ERROR)
    own = server is None
    server = server or PostgresServer.start()
    try:
        figures = asyncio.run(measure(args, server))
    finally:
        if own:
            server.stop()
    met = verdict(figures, args.lease)
    report(figures, met, args)
    summary = {
        "benchmark": "scaleout",
        **{k: getattr(args, k) for k in ("jobs", "kill_jobs", "tickets", "latency", "lease")},
        "seed": args.seed,
        **figures,
        "targets": {
            "duplicates": 0,
            "lost": 0,
            "speedup_2_instances": TARGET_SPEEDUP_2,
            "takeover_s": args.lease + 1,
            "ticket_list_ms": TARGET_LIST_MS,
        },
        "met": met,
        "meets_targets": all(met.values()),
    }
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
