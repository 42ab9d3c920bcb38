"""Several processes on one queue: jobs and outbox entries are leased, routed to a process
that serves their community, taken over once when their process dies, and work one
process schedules wakes the others promptly (docs/reliability.md, "Leases").

Each `Instance` is what one process holds: its own `Database` connection on one shared
database, its own scheduler and delivery loop, its own lease owner name.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import bot.scheduler as scheduler_module
from bot.clock import VirtualClock
from bot.delivery import Outbox
from bot.effects import Attempt, Call
from bot.leases import dead_here
from bot.model import Community
from bot.platform import Platforms
from bot.scheduler import Scheduler
from bot.serving import DiscordShards, Serves
from storage.database import Database
from storage.jobs import Job, JobRepository, JobRequest
from storage.leases import Holder, this_machine
from storage.outbox import OutboxRepository
from storage.timestamps import to_db

# Short leases, so a takeover test waits about a second rather than half a minute.
LEASE_SECONDS = 0.6
LOCAL = Community("local", "demo")
SLACK = Community("slack", "T1")
# Discord puts a server on shard (id >> 22) % count: these two are on shards 0 and 1 of 2.
DISCORD_ON_0 = Community("discord", str(4 << 22))
DISCORD_ON_1 = Community("discord", str(5 << 22))


@dataclass
class Instance:
    """One process's share: a connection, a scheduler and a delivery loop."""

    name: str
    db: Database
    scheduler: Scheduler
    outbox: Outbox
    fired: list[str] = field(default_factory=list)  # job keys, in the order fired
    called: list[tuple[str, bool]] = field(default_factory=list)  # (call key, recovering)
    hang: bool = False  # handlers never return, as in a process about to be killed
    started: asyncio.Event = field(default_factory=asyncio.Event)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    killed: bool = False

    def start(self) -> None:
        self.tasks = [
            asyncio.create_task(self.scheduler.run_forever()),
            asyncio.create_task(self.outbox.run_forever()),
        ]

    async def kill(self) -> None:
        """Stop dead: no clean-up, no renewal; whatever it holds stays leased to it. Its
        connection goes with it, as a dead process's does (with any transaction open in
        it: a task cancelled in mid-statement cannot roll back itself)."""
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        await self.db.close()
        self.killed = True

    async def stop(self) -> None:
        if self.killed:
            return
        self.scheduler.stop()
        self.outbox.stop()
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        await self.db.close()

    async def remind(self, job: Job) -> None:
        await self._work()
        self.fired.append(job.key)

    async def call(self, data: dict[str, object], attempt: Attempt) -> None:
        await self._work()
        self.called.append((attempt.key, attempt.recovering))

    async def _work(self) -> None:
        if self.hang:
            self.started.set()
            await asyncio.Event().wait()
        await asyncio.sleep(0)  # let the other instance in between


@pytest.fixture
def target(tmp_path: Path, database_url: str | None) -> str:
    """The shared database that every instance opens on its own: a SQLite file, and
    again a PostgreSQL database (see tests/conftest.py)."""
    return database_url or str(tmp_path / "shared.db")


@pytest.fixture
async def instances(
    target: str, clock: VirtualClock
) -> AsyncIterator[Callable[..., Awaitable[Instance]]]:
    made: list[Instance] = []

    async def make(name: str, serves: Serves | None = None) -> Instance:
        db = await Database.open(target)
        holder = Holder(owner=name, seconds=LEASE_SECONDS, serves=serves, shared=True)
        scheduler = Scheduler(JobRepository(db, holder), clock)
        outbox = Outbox(db, clock, Platforms(), OutboxRepository(db, holder))
        instance = Instance(name, db, scheduler, outbox)
        scheduler.register("test.remind", instance.remind)
        outbox.handle_calls("test.call", instance.call)
        await scheduler.start()
        await outbox.start()
        made.append(instance)
        return instance

    yield make
    for instance in made:
        await instance.stop()


async def schedule_due(instance: Instance, keys: list[str], where: Community = LOCAL) -> None:
    now = instance.scheduler._clock.now()
    await instance.scheduler.schedule_many(
        [JobRequest(where.key, "test.remind", now, key, {}) for key in keys]
    )


async def add_calls(instance: Instance, calls: list[tuple[Community, str]]) -> None:
    async with instance.db.transaction() as tx:
        for where, key in calls:
            await instance.outbox.add(tx, Call(where, "test.call", {}), key=key)


async def until(condition: Callable[[], bool], seconds: float) -> float:
    """Wait for `condition`; returns how long it took (fails the test after `seconds`)."""
    began = time.monotonic()
    while not condition():
        assert time.monotonic() - began < seconds, "not within the time allowed"
        await asyncio.sleep(0.02)
    return time.monotonic() - began


async def test_two_processes_fire_200_due_jobs_each_exactly_once(
    instances: Callable[..., Awaitable[Instance]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(scheduler_module, "BATCH_SIZE", 10)  # many claims, interleaved
    first, second = await instances("first"), await instances("second")
    keys = [f"job:{n}" for n in range(200)]
    await schedule_due(first, keys)

    await asyncio.gather(first.scheduler.run_due(), second.scheduler.run_due())

    fired = Counter(first.fired + second.fired)
    assert set(fired) == set(keys)
    assert [key for key, times in fired.items() if times > 1] == []


async def test_two_processes_deliver_200_entries_once_each_and_in_lane_order(
    instances: Callable[..., Awaitable[Instance]], backend: str
) -> None:
    first, second = await instances("first"), await instances("second")
    # Calls queue per community: 20 lanes of 10 entries each.
    lanes = [Community("local", f"c{lane}") for lane in range(20)]
    calls = [(where, f"{where.key}:{n}") for n in range(10) for where in lanes]
    await add_calls(first, calls)
    first.start()
    second.start()

    await until(lambda: len(first.called) + len(second.called) >= 200, 20)
    await asyncio.sleep(0.1)  # nothing more may come

    done = Counter(key for key, _ in first.called + second.called)
    assert sorted(done) == sorted(key for _, key in calls)
    assert [key for key, times in done.items() if times > 1] == []
    if backend == "postgresql":  # SQLite's one writer may well let one process take all
        assert first.called and second.called, "both processes took a share"
    delivered = await OutboxRepository(first.db).list()
    for where in lanes:  # a lane's entries went out in the order they were written
        lane = [e for e in delivered if e.community == where.key]
        finished = [e.key for e in sorted(lane, key=lambda e: (e.finished_at, e.id))]
        assert finished == [f"{where.key}:{n}" for n in range(10)]


async def test_a_killed_process_s_jobs_fire_once_elsewhere_within_lease_plus_a_second(
    instances: Callable[..., Awaitable[Instance]],
) -> None:
    doomed = await instances("doomed")
    doomed.hang = True
    # As many as one claim takes with other processes about: all held, the first running.
    keys = [f"job:{n}" for n in range(scheduler_module.SHARED_BATCH_SIZE)]
    await schedule_due(doomed, keys)
    doomed.start()
    await asyncio.wait_for(doomed.started.wait(), 5)

    survivor = await instances("survivor")
    survivor.start()
    await asyncio.sleep(LEASE_SECONDS * 2)
    assert survivor.fired == [], "a live process's leases are renewed, never taken"

    await doomed.kill()
    took = await until(lambda: len(survivor.fired) == len(keys), LEASE_SECONDS + 3)
    assert took <= LEASE_SECONDS + 1.0
    assert sorted(survivor.fired) == sorted(keys)
    assert doomed.fired == []


async def test_a_killed_process_s_delivery_is_taken_over_once_as_recovering(
    instances: Callable[..., Awaitable[Instance]],
) -> None:
    doomed = await instances("doomed")
    doomed.hang = True
    await add_calls(doomed, [(LOCAL, "webhook:1"), (LOCAL, "webhook:2")])
    doomed.start()
    await asyncio.wait_for(doomed.started.wait(), 5)

    survivor = await instances("survivor")
    survivor.start()
    await asyncio.sleep(LEASE_SECONDS * 2)
    assert survivor.called == [], "a lane whose entry is leased is not started elsewhere"

    await doomed.kill()
    took = await until(lambda: len(survivor.called) == 2, LEASE_SECONDS + 3)
    assert took <= LEASE_SECONDS + 1.0
    # The cut-off entry may have happened already: it is carried out as recovering (so it
    # checks first); the next one in its lane waited for it and goes out normally.
    assert survivor.called == [("webhook:1", True), ("webhook:2", False)]


async def test_a_process_takes_only_jobs_and_deliveries_of_communities_it_serves(
    instances: Callable[..., Awaitable[Instance]],
) -> None:
    slack = await instances("slack", Serves(frozenset({"slack"})))
    shard_0 = await instances(
        "shard-0", Serves(frozenset({"discord"}), DiscordShards(frozenset({0}), 2))
    )
    shard_1 = await instances(
        "shard-1", Serves(frozenset({"discord"}), DiscordShards(frozenset({1}), 2))
    )
    await schedule_due(slack, ["slack-job"], SLACK)
    await schedule_due(slack, ["discord-0-job"], DISCORD_ON_0)
    await schedule_due(slack, ["discord-1-job"], DISCORD_ON_1)
    await add_calls(slack, [(SLACK, "slack-call"), (DISCORD_ON_0, "discord-0-call")])
    await add_calls(slack, [(DISCORD_ON_1, "discord-1-call")])

    for instance in (slack, shard_0, shard_1):  # the Slack process goes first, and twice
        await instance.scheduler.run_due()
        await instance.outbox.run_due()
    await slack.scheduler.run_due()

    assert slack.fired == ["slack-job"]
    assert shard_0.fired == ["discord-0-job"]
    assert shard_1.fired == ["discord-1-job"]
    assert [key for key, _ in slack.called] == ["slack-call"]
    assert [key for key, _ in shard_0.called] == ["discord-0-call"]
    assert [key for key, _ in shard_1.called] == ["discord-1-call"]


async def test_a_job_one_process_schedules_for_now_wakes_another_within_a_second(
    instances: Callable[..., Awaitable[Instance]],
) -> None:
    scheduling, waiting = await instances("scheduling"), await instances("waiting")
    waiting.start()  # nothing is due: its loop sleeps, and no event here will wake it
    await asyncio.sleep(0.1)

    await schedule_due(scheduling, ["now"])
    took = await until(lambda: waiting.fired == ["now"], 3)

    assert took <= 1.2
    assert scheduling.fired == []


async def test_a_restart_takes_over_at_once_what_a_dead_process_on_this_machine_held(
    instances: Callable[..., Awaitable[Instance]],
) -> None:
    finished = await asyncio.create_subprocess_exec(sys.executable, "-c", "pass")
    await finished.wait()
    here, dead_pid = this_machine(), finished.pid
    holders = {
        "job:dead": f"{here}:{dead_pid}:a",
        "job:alive": f"{here}:{os.getppid()}:b",
        "job:remote": f"elsewhere.example:{dead_pid}:c",
    }
    writer = await instances("writer")
    await schedule_due(writer, list(holders))
    for key, owner in holders.items():  # each held, for a long while yet, by its owner
        await writer.db.execute(
            "UPDATE jobs SET status = 'running', lease_owner = ?, lease_expires = ?"
            " WHERE idempotency_key = ?",
            (owner, to_db(datetime.now(UTC) + timedelta(hours=1)), key),
        )

    restarted = await instances(f"{here}:{os.getpid()}:restarted")
    restarted.start()
    await until(lambda: restarted.fired == ["job:dead"], 1.0)
    await asyncio.sleep(0.5)
    assert restarted.fired == ["job:dead"], "a live or remote process's leases run out first"


async def test_jobs_of_a_batch_cut_short_by_an_error_are_taken_again_not_held(
    instances: Callable[..., Awaitable[Instance]],
) -> None:
    flaky = await instances("flaky")
    keys = [f"job:{n}" for n in range(3)]
    await schedule_due(flaky, keys)
    finish = flaky.scheduler._jobs.finish

    async def database_gone(*args: object) -> bool:
        flaky.scheduler._jobs.finish = finish  # type: ignore[method-assign]
        raise ConnectionError("the database went away")

    flaky.scheduler._jobs.finish = database_gone  # type: ignore[method-assign]
    flaky.start()  # fires job:0, cannot record it, and the loop's pass ends there
    await until(lambda: flaky.fired == ["job:0"], 5)

    other = await instances("other")
    other.start()
    # Neither the unrecorded job:0 nor the unfired rest stays held by a live process.
    await until(lambda: set(flaky.fired[1:] + other.fired) >= set(keys), LEASE_SECONDS + 3)
    counts = Counter(flaky.fired + other.fired)
    assert counts["job:1"] == counts["job:2"] == 1


def test_a_gone_pid_means_a_dead_owner_only_in_this_pid_namespace() -> None:
    gone = _pid_of_a_finished_process()
    assert dead_here(f"{this_machine()}:{gone}:a")
    # Another container with this host's name (--network host) counts its own pids.
    assert not dead_here(f"{socket.gethostname()}/4026531836x:{gone}:b")
    assert not dead_here(f"elsewhere.example:{gone}:c")


def _pid_of_a_finished_process() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid
