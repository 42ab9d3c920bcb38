"""Several processes on one database: a second process on a Discord shard that a live
process serves refuses at start-up with one line; other shards, lapsed and dead holders
are fine (bot/app/topology.py)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from datetime import timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr

from adapters.local import LocalCommunity, LocalPlatform
from bot.app import topology
from bot.app.application import App
from bot.app.runner import serve
from bot.app.topology import Identity, StoodDown, TopologyRefused, claimed
from bot.clock import VirtualClock
from bot.host import Host
from bot.settings import Settings
from storage.database import Database
from storage.timestamps import to_db

FIRST, SECOND = Identity("web-1", 101), Identity("web-2", 202)


@pytest.fixture
async def db(database_target: str | Path) -> AsyncIterator[Database]:
    opened = await Database.open(database_target)
    yield opened
    await opened.close()


def discord(
    tmp_path: Path, count: int | str | None = None, ids: tuple[int, ...] | None = None
) -> Settings:
    return Settings(  # type: ignore[call-arg]
        data_dir=tmp_path,
        _env_file=None,
        discord_token=SecretStr("token"),
        discord_application_id=42,
        discord_shard_count=count,
        discord_shard_ids=ids,
    )


async def killed(process: AbstractAsyncContextManager[None]) -> object:
    """Claim and vanish as after SIGKILL: never released, never renewed again. Keep what
    it returns until the end of the test (collected, it would release its claims)."""
    await process.__aenter__()
    for task in asyncio.all_tasks():
        if task.get_name() == "claims":
            task.cancel()
    return process


def never_lost(reason: str) -> None:
    raise AssertionError(f"claims lost: {reason}")


async def test_a_second_process_on_the_same_shard_refuses_naming_the_first(
    db: Database, tmp_path: Path, clock: VirtualClock
) -> None:
    async with claimed(db, discord(tmp_path, 4, (0, 1)), clock, never_lost, FIRST):
        clock.advance(timedelta(seconds=3))
        with pytest.raises(TopologyRefused) as refused:
            async with claimed(db, discord(tmp_path, 4, (1, 2)), clock, never_lost, SECOND):
                pass
        message = str(refused.value)
        assert message.startswith("Discord shard 1 of 4 is already served by another process")
        assert "(PID 101 on web-1, seen 3 s ago)" in message
        assert "DISCORD_SHARD_IDS" in message and "\n" not in message
        # The refused process took nothing: shard 2 is still free for a third.
        async with claimed(db, discord(tmp_path, 4, (2, 3)), clock, never_lost, SECOND):
            pass


async def test_processes_on_different_shards_run_side_by_side(
    db: Database, tmp_path: Path, clock: VirtualClock
) -> None:
    async with (
        claimed(db, discord(tmp_path, 2, (0,)), clock, never_lost, FIRST),
        claimed(db, discord(tmp_path, 2, (1,)), clock, never_lost, SECOND),
    ):
        pass


async def test_two_unsharded_processes_for_one_bot_refuse_the_second(
    db: Database, tmp_path: Path, clock: VirtualClock
) -> None:
    async with claimed(db, discord(tmp_path), clock, never_lost, FIRST):
        with pytest.raises(TopologyRefused, match=r"^this Discord bot is already served"):
            async with claimed(db, discord(tmp_path), clock, never_lost, SECOND):
                pass


async def test_processes_must_agree_on_the_shard_count(
    db: Database, tmp_path: Path, clock: VirtualClock
) -> None:
    async with claimed(db, discord(tmp_path, 2, (0,)), clock, never_lost, FIRST):
        with pytest.raises(TopologyRefused, match=r"DISCORD_SHARD_COUNT=2 .*this one with 4"):
            async with claimed(db, discord(tmp_path, 4, (3,)), clock, never_lost, SECOND):
                pass


async def test_a_stopped_process_leaves_its_shards_to_the_next(
    db: Database, tmp_path: Path, clock: VirtualClock
) -> None:
    async with claimed(db, discord(tmp_path, 2), clock, never_lost, FIRST):
        pass
    async with claimed(db, discord(tmp_path, 2), clock, never_lost, SECOND):
        pass


async def test_a_killed_process_claim_lapses_and_a_dead_pid_here_is_taken_at_once(
    db: Database, tmp_path: Path, clock: VirtualClock
) -> None:
    first = await killed(claimed(db, discord(tmp_path, 2), clock, never_lost, FIRST))
    with pytest.raises(TopologyRefused):
        async with claimed(db, discord(tmp_path, 2), clock, never_lost, SECOND):
            pass
    clock.advance(topology.lapse(discord(tmp_path)))  # the lease length
    async with claimed(db, discord(tmp_path, 2), clock, never_lost, SECOND):
        pass

    # On the same machine, a holder whose PID no longer runs is gone: no wait.
    dead = Identity(SECOND.host, 2**22 + 1)  # above Linux's pid_max default: never running
    async with claimed(db, discord(tmp_path, 2), clock, never_lost, dead):
        clock.advance(timedelta(seconds=1))
    second = await killed(claimed(db, discord(tmp_path, 2), clock, never_lost, dead))
    async with claimed(db, discord(tmp_path, 2), clock, never_lost, SECOND):
        pass
    assert first and second


async def test_a_running_process_renews_and_learns_when_its_shards_were_taken(
    db: Database, tmp_path: Path, clock: VirtualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(topology, "RENEWALS_PER_LAPSE", 3000)  # every 10 ms
    lost: list[str] = []
    async with claimed(db, discord(tmp_path, 2), clock, lost.append, FIRST):
        clock.advance(topology.lapse(discord(tmp_path)) * 2)
        renewed = to_db(clock.now())
        for _ in range(200):  # renewed meanwhile (a loaded database may take a while) ...
            await asyncio.sleep(0.01)
            if await db.fetch_value("SELECT MIN(heartbeat_at) FROM process_claims") == renewed:
                break
        with pytest.raises(TopologyRefused):  # ... so still live for a newcomer
            async with claimed(db, discord(tmp_path, 2), clock, never_lost, SECOND):
                pass
        await db.execute("DELETE FROM process_claims")  # as if another had taken them over
        for _ in range(200):
            await asyncio.sleep(0.01)
            if lost:
                break
    assert lost and "taken over by another process" in lost[0]


async def test_slack_and_local_processes_claim_nothing(
    db: Database, tmp_path: Path, clock: VirtualClock
) -> None:
    slack = Settings(data_dir=tmp_path, _env_file=None, slack_bot_token=SecretStr("xoxb-1"))  # type: ignore[call-arg]
    async with (
        claimed(db, slack, clock, never_lost, FIRST),
        claimed(db, slack, clock, never_lost, SECOND),
    ):
        pass
    assert await db.fetch_value("SELECT COUNT(*) FROM process_claims") == 0


# A hot standby (DISCORD_STANDBY): waits instead of refusing. The claims live in `db` here;
# the settings name a PostgreSQL URL only because the setting demands one (never opened).


def standby(tmp_path: Path, count: int | None = 2) -> Settings:
    return discord(tmp_path, count).model_copy(
        update={"discord_standby": True, "database_url": "postgresql://bot@db/botschafter"}
    )


async def standing_by(
    db: Database, settings: Settings, clock: VirtualClock, entered: asyncio.Event
) -> None:
    async with claimed(db, settings, clock, never_lost, SECOND):
        entered.set()


@pytest.fixture
def quick_polls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(topology, "STANDBY_POLL", timedelta(milliseconds=10))


async def test_a_standby_says_once_that_it_waits_and_takes_over_when_the_active_one_stops(
    db: Database,
    tmp_path: Path,
    clock: VirtualClock,
    quick_polls: None,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger=topology.__name__)
    entered = asyncio.Event()
    async with claimed(db, discord(tmp_path, 2), clock, never_lost, FIRST):
        waiting = asyncio.create_task(standing_by(db, standby(tmp_path), clock, entered))
        await asyncio.sleep(0.1)  # ten looks
        assert not entered.is_set()
    await asyncio.wait_for(entered.wait(), timeout=1)
    await waiting
    lines = [r.getMessage() for r in caplog.records if "standing by" in r.getMessage()]
    assert lines == [
        "standing by: Discord shard 0 of 2 is already served by another process"
        " (PID 101 on web-1, seen 0 s ago); taking over when it stops, or 30 s after it"
        " last renewed its claim"
    ]


async def test_a_standby_takes_over_when_a_killed_process_claim_lapses(
    db: Database, tmp_path: Path, clock: VirtualClock, quick_polls: None
) -> None:
    first = await killed(claimed(db, discord(tmp_path, 2), clock, never_lost, FIRST))
    entered = asyncio.Event()
    waiting = asyncio.create_task(standing_by(db, standby(tmp_path), clock, entered))
    clock.advance(topology.lapse(discord(tmp_path)) - timedelta(seconds=1))
    await asyncio.sleep(0.1)
    assert not entered.is_set()  # a second before the lapse, the claim is still the first's
    clock.advance(timedelta(seconds=1))
    await asyncio.wait_for(entered.wait(), timeout=1)
    await waiting
    assert first


async def test_a_standby_with_another_shard_count_is_refused_not_kept_waiting(
    db: Database, tmp_path: Path, clock: VirtualClock, quick_polls: None
) -> None:
    async with claimed(db, discord(tmp_path, 2), clock, never_lost, FIRST):
        with pytest.raises(TopologyRefused, match=r"DISCORD_SHARD_COUNT=2 .*this one with 4"):
            async with claimed(db, standby(tmp_path, 4), clock, never_lost, SECOND):
                pass


async def test_a_standby_asked_to_stop_takes_nothing(
    db: Database, tmp_path: Path, clock: VirtualClock, quick_polls: None
) -> None:
    stop = asyncio.Event()
    async with claimed(db, discord(tmp_path, 2), clock, never_lost, FIRST):
        waiting = asyncio.create_task(
            claimed(db, standby(tmp_path), clock, never_lost, SECOND, until=stop.wait).__aenter__()
        )
        await asyncio.sleep(0.05)
        stop.set()
        with pytest.raises(StoodDown):
            await waiting
        holders = await db.fetch_all("SELECT DISTINCT host FROM process_claims")
        assert [row["host"] for row in holders] == ["web-1"]


def test_a_standby_needs_postgresql(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"DISCORD_STANDBY needs DATABASE_URL=postgresql://"):
        Settings(data_dir=tmp_path, discord_standby=True, _env_file=None)  # type: ignore[call-arg]


async def test_the_refusal_tells_about_the_standby(
    db: Database, tmp_path: Path, clock: VirtualClock
) -> None:
    async with claimed(db, discord(tmp_path), clock, never_lost, FIRST):
        with pytest.raises(TopologyRefused, match=r"or set DISCORD_STANDBY=true to wait"):
            async with claimed(db, discord(tmp_path), clock, never_lost, SECOND):
                pass


class Watching(LocalPlatform):
    """An adapter that notes, as it disconnects, how many shard claims are still held."""

    claims_when_stopped: int | None = None

    async def start(self, host: Host) -> None:
        self._host = host

    async def stop(self) -> None:
        db = self._host.services.db
        self.claims_when_stopped = await db.fetch_value("SELECT COUNT(*) FROM process_claims")


async def test_a_stopping_process_is_off_the_platform_before_its_shards_are_free(
    tmp_path: Path,
) -> None:
    """A standby takes the shards the moment they are free: by then this process must no
    longer be connected, or both would act on the same events for a moment."""
    settings = discord(tmp_path)
    watching = Watching(LocalCommunity())
    app = await App.create(settings, [watching])
    try:
        serving = asyncio.create_task(serve(app, settings))
        await asyncio.sleep(0.2)
        app.request_stop()
        assert await serving == 0
        left = await app.services.db.fetch_value("SELECT COUNT(*) FROM process_claims")
    finally:
        await app.close()
    assert (watching.claims_when_stopped, left) == (1, 0)
