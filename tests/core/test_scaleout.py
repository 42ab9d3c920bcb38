"""Several real bot processes on one PostgreSQL database (issue 11): follow-ups due at once
are posted exactly once between them, and the jobs of a process killed with SIGKILL while
holding their leases are posted once by another within the lease plus a second.

Each process is `benchmarks._scaleout_node`: a real `App` whose jobs write a post to the
outbox and deliver it, on a platform that logs every post it receives. Two moderators'
reactions reaching two instances: tests/core/test_exactly_once_across_processes.py (two
`App` instances with their own pools, on both backends).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from benchmarks._scaleout_cluster import (
    Tally,
    running,
    seed_jobs,
    taken_over,
    wait_until_done,
)
from storage.database import Database
from tests.postgres import PostgresServer

LEASE_SECONDS = 3.0  # the shortest lease the settings accept


@pytest.fixture
async def shared_url(
    request: pytest.FixtureRequest, postgres_server: PostgresServer
) -> AsyncIterator[str]:
    """A fresh PostgreSQL database; these tests have no SQLite version (one process)."""
    if request.config.getoption("--backend") == "sqlite":
        pytest.skip("several processes need PostgreSQL (--backend sqlite)")
    url = await postgres_server.fresh_database()
    yield url
    await postgres_server.drop(url)


@pytest.fixture
async def db(shared_url: str) -> AsyncIterator[Database]:
    opened = await Database.open(shared_url, pool_size=2)
    yield opened
    await opened.close()


async def test_three_processes_post_1000_follow_ups_due_at_once_each_exactly_once(
    shared_url: str, db: Database, tmp_path: Path
) -> None:
    async with running(shared_url, tmp_path, LEASE_SECONDS) as cluster:
        await cluster.add(3, latency=0.0)
        keys = await seed_jobs(db, 1000)
        await cluster.go()
        assert await wait_until_done(db, len(keys), within=60)
        posts = cluster.posts()
    assert Tally.of(keys, posts) == Tally(
        jobs=1000, posted=1000, duplicates=0, resent_recovering=0, lost=0
    )
    assert len({post.node for post in posts}) == 3  # all three took a share


async def test_a_process_killed_holding_leases_has_its_jobs_posted_once_elsewhere_in_time(
    shared_url: str, db: Database, tmp_path: Path
) -> None:
    async with running(shared_url, tmp_path, LEASE_SECONDS) as cluster:
        # The first process's platform never answers: it claims the jobs and hangs, as a
        # process does in the moment before it dies.
        (stuck,) = await cluster.add(1, latency=3600.0)
        others = await cluster.add(2, latency=0.0)
        keys = await seed_jobs(db, 20)
        await cluster.go([stuck])
        await _until_claimed(db)
        killed_at = cluster.kill(stuck)
        await cluster.go(others)
        assert await wait_until_done(db, len(keys), within=LEASE_SECONDS + 5)
        posts = cluster.posts()
        held = await taken_over(db)
    # The post it was sending when it died goes out once more elsewhere, as recovering
    # (the platform's nonce check answers it with the first post, had that arrived).
    assert Tally.of(keys, posts) == Tally(
        jobs=20, posted=20, duplicates=0, resent_recovering=1, lost=0
    )
    assert held, "the killed process held no lease"
    assert {post.node for post in posts} <= {1, 2}
    late = max(post.at for post in posts if post.key in held) - killed_at
    assert late <= LEASE_SECONDS + 1


async def _until_claimed(db: Database) -> None:
    """Until some jobs and a post are running under the first process's leases."""
    for _ in range(600):
        jobs = await db.fetch_value("SELECT COUNT(*) FROM jobs WHERE status = 'running'")
        posts = await db.fetch_value("SELECT COUNT(*) FROM outbox WHERE status = 'running'")
        if jobs and posts:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the first process claimed nothing")
