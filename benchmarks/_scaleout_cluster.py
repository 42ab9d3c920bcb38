"""Several real bot processes (`benchmarks._scaleout_node`) on one PostgreSQL database.

Used by ``python -m benchmarks.scaleout`` and by tests/core/test_scaleout.py: start nodes,
seed follow-up jobs due now, let the nodes go, kill one with SIGKILL, and read back what
reached the platform (each node's post log) and what the database says happened.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from benchmarks._scaleout_node import KIND
from storage.database import Database
from storage.jobs import JobRepository, JobRequest

COMMUNITY = "local:bench"
ROOT = Path(__file__).resolve().parent.parent
# How long a node may take to open the database and set up its cog.
READY_TIMEOUT = 60.0


@dataclass(frozen=True, slots=True)
class Post:
    """One post the simulated platform received."""

    key: str
    recovering: bool
    at: float  # unix time
    node: int


@dataclass(frozen=True, slots=True)
class Tally:
    """What reached the platform, per job, against what was asked for."""

    jobs: int
    posted: int  # jobs posted at least once
    duplicates: int  # extra posts a platform would show (sent again, not as recovering)
    resent_recovering: int  # sent as recovering (taken over): a nonce check skips repeats
    lost: int  # jobs never posted

    @classmethod
    def of(cls, keys: list[str], posts: list[Post]) -> Tally:
        sends = Counter(p.key for p in posts)
        fresh = Counter(p.key for p in posts if not p.recovering)
        wanted = set(keys)
        return cls(
            jobs=len(keys),
            posted=len(wanted & sends.keys()),
            duplicates=sum(max(n - 1, 0) for n in fresh.values()) + len(sends.keys() - wanted),
            resent_recovering=sum(sends.values()) - sum(fresh.values()),
            lost=len(wanted - sends.keys()),
        )


@dataclass
class Node:
    process: asyncio.subprocess.Process
    log: Path
    killed_at: float | None = None


@dataclass
class Cluster:
    """Nodes on one database; `folder` holds their post logs."""

    url: str
    folder: Path
    lease: float = 3.0
    nodes: list[Node] = field(default_factory=list)

    async def add(self, count: int, latency: float) -> list[Node]:
        """Start `count` nodes and wait until each is set up (not yet running)."""
        started = [await self._spawn(len(self.nodes) + i, latency) for i in range(count)]
        self.nodes.extend(started)
        for node in started:
            assert node.process.stdout is not None
            line = await asyncio.wait_for(node.process.stdout.readline(), READY_TIMEOUT)
            if line.strip() != b"ready":
                raise RuntimeError(f"a node did not start: {line!r}")
        return started

    async def go(self, nodes: list[Node] | None = None) -> float:
        """Let nodes run their scheduler and delivery loops; returns the moment."""
        moment = time.time()
        for node in nodes or self.nodes:
            assert node.process.stdin is not None
            node.process.stdin.write(b"go\n")
            await node.process.stdin.drain()
        return moment

    def kill(self, node: Node) -> float:
        """SIGKILL: no clean-up, its leases stay until they run out."""
        node.process.send_signal(signal.SIGKILL)
        node.killed_at = time.time()
        return node.killed_at

    async def stop(self) -> None:
        """Close the live nodes cleanly (end of their input), the killed ones are reaped."""
        for node in self.nodes:
            if node.killed_at is None and node.process.returncode is None:
                assert node.process.stdin is not None
                node.process.stdin.close()
        for node in self.nodes:
            try:
                await asyncio.wait_for(node.process.wait(), 30)
            except TimeoutError:
                node.process.kill()
                await node.process.wait()

    def posts(self) -> list[Post]:
        found = []
        for number, node in enumerate(self.nodes):
            if not node.log.exists():
                continue
            for line in node.log.read_text().splitlines():
                key, recovering, at = line.split("\t")
                found.append(Post(key, recovering == "1", float(at), number))
        return sorted(found, key=lambda p: p.at)

    async def _spawn(self, number: int, latency: float) -> Node:
        log = self.folder / f"node-{number}.log"
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "benchmarks._scaleout_node",
            self.url,
            str(log),
            "--lease",
            str(self.lease),
            "--latency",
            str(latency),
            cwd=ROOT,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        return Node(process, log)


async def seed_jobs(db: Database, count: int, prefix: str = "scaleout") -> list[str]:
    """`count` follow-ups due now, each for its own thread (its own outbox lane)."""
    now = datetime.now(UTC)
    keys = [f"{prefix}:{n}" for n in range(count)]
    requests = [
        JobRequest(COMMUNITY, KIND, now, key, {"thread": f"t{n}"}) for n, key in enumerate(keys)
    ]
    await JobRepository(db).upsert_many(requests, now)
    return keys


async def wait_until_done(db: Database, count: int, within: float) -> bool:
    """Until every job is done and every post delivered (False if not within `within` seconds)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        jobs = await db.fetch_value("SELECT COUNT(*) FROM jobs WHERE status = 'done'")
        posts = await db.fetch_value("SELECT COUNT(*) FROM outbox WHERE status = 'delivered'")
        if jobs >= count and posts >= count:
            return True
        await asyncio.sleep(0.05)
    return False


async def taken_over(db: Database) -> set[str]:
    """Keys of jobs and posts attempted more than once: those a killed node held."""
    rows = await db.fetch_all(
        "SELECT idempotency_key FROM jobs WHERE attempts > 1"
        " UNION SELECT idempotency_key FROM outbox WHERE attempts > 1"
    )
    return {row[0] for row in rows}


@contextlib.asynccontextmanager
async def running(url: str, folder: Path, lease: float = 3.0) -> AsyncIterator[Cluster]:
    """A cluster whose nodes are stopped (the killed ones reaped) however the block ends."""
    cluster = Cluster(url, folder, lease)
    try:
        yield cluster
    finally:
        await cluster.stop()
