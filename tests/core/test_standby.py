"""A Discord hot standby on PostgreSQL (``DISCORD_STANDBY=true``, docs/scaling.md): the
active bot process runs on "another machine" and is killed with SIGKILL while it holds a
follow-up job and its post; the standby, an `App` in this process running the bot's own
`serve`, said once that it stands by, takes the shard claim when it lapses, and the job is
posted once, by the standby, within the lease plus a second of the kill.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from benchmarks._scaleout_node import FollowUps, SlowPlatform
from bot.app.application import App
from bot.app.runner import serve
from bot.settings import Settings
from storage.database import Database
from tests.postgres import PostgresServer

LEASE_SECONDS = 3.0  # the shortest lease the settings accept
ROOT = Path(__file__).resolve().parents[2]

# The active process: a bot serving the Discord bot's only shard (application 42) that
# posts nothing (its platform takes an hour to answer), on a machine of its own.
ACTIVE = """
import asyncio, sys
from pathlib import Path
from pydantic import SecretStr
import bot.app.topology, storage.leases
bot.app.topology.this_machine = storage.leases.this_machine = lambda: "other-machine"
from benchmarks._scaleout_node import FollowUps, SlowPlatform
from bot.app.application import App
from bot.app.runner import serve
from bot.settings import Settings

async def main(url: str, folder: str) -> None:
    settings = Settings(
        data_dir=Path(folder), database_url=url, lease_seconds=3.0, _env_file=None,
        discord_token=SecretStr("token"), discord_application_id=42,
    )
    platform = SlowPlatform(3600.0, Path(folder) / "posts.log")
    app = await App.create(settings, [platform], cog_types=[FollowUps])
    await serve(app, settings)

asyncio.run(main(*sys.argv[1:]))
"""


@pytest.fixture
async def shared_url(
    request: pytest.FixtureRequest, postgres_server: PostgresServer
) -> AsyncIterator[str]:
    if request.config.getoption("--backend") == "sqlite":
        pytest.skip("a standby needs PostgreSQL (--backend sqlite)")
    url = await postgres_server.fresh_database()
    yield url
    await postgres_server.drop(url)


async def _until(check: object, within: float) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if await check():  # type: ignore[operator]
            return True
        await asyncio.sleep(0.05)
    return False


def _posts(log: Path, key: str) -> list[float]:
    """When the platform received the post of job `key` (unix times)."""
    if not log.exists():
        return []
    lines = [line.split("\t") for line in log.read_text().splitlines()]
    return [float(at) for nonce, _, at in lines if nonce == key]


async def test_a_standby_takes_over_a_killed_process_within_the_lease_and_a_second(
    shared_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from benchmarks._scaleout_cluster import seed_jobs

    db = await Database.open(shared_url, pool_size=2)
    (tmp_path / "active").mkdir()
    active = await asyncio.create_subprocess_exec(
        sys.executable, "-c", ACTIVE, shared_url, str(tmp_path / "active"), cwd=ROOT
    )
    standby: App | None = None
    serving: asyncio.Task[int] | None = None
    try:
        [key] = await seed_jobs(db, 1, prefix="standby")

        async def active_holds_the_job() -> bool:
            row = await db.fetch_one(
                "SELECT COUNT(*) FROM outbox WHERE idempotency_key = ? AND lease_owner LIKE ?",
                (key, "other-machine:%"),
            )
            return bool(row and row[0])

        assert await _until(active_holds_the_job, within=60)

        settings = Settings(  # type: ignore[call-arg]
            data_dir=tmp_path / "standby",
            database_url=shared_url,
            lease_seconds=LEASE_SECONDS,
            discord_token=SecretStr("token"),
            discord_application_id=42,
            discord_standby=True,
            _env_file=None,
        )
        log = tmp_path / "standby-posts.log"
        standby = await App.create(settings, [SlowPlatform(0.0, log)], cog_types=[FollowUps])
        caplog.set_level(logging.INFO, logger="bot.app.topology")
        serving = asyncio.create_task(serve(standby, settings))

        async def standing_by() -> bool:
            return "standing by: this Discord bot is already served" in caplog.text

        assert await _until(standing_by, within=10)
        await asyncio.sleep(2 * LEASE_SECONDS)  # the active process renews: nothing moves
        assert not serving.done() and _posts(log, key) == []

        active.send_signal(signal.SIGKILL)
        killed_at = time.time()
        await active.wait()

        async def posted() -> bool:
            return bool(_posts(log, key))

        assert await _until(posted, within=3 * LEASE_SECONDS)
        await asyncio.sleep(0.5)  # anything posted twice would show by now
        [at] = _posts(log, key)
        assert at - killed_at <= LEASE_SECONDS + 1
        assert caplog.text.count("standing by:") == 1
        assert _posts(tmp_path / "active" / "posts.log", key) == []
    finally:
        if active.returncode is None:
            active.kill()
            await active.wait()
        if standby is not None:
            standby.request_stop()
            if serving is not None:
                assert await serving == 0
            await standby.close()
        await db.close()


async def test_a_standby_asked_to_stop_leaves_without_serving(
    shared_url: str, tmp_path: Path
) -> None:
    """SIGTERM while standing by: exit 0 at once, nothing taken from the active process."""
    db = await Database.open(shared_url, pool_size=2)
    await db.execute(
        "INSERT INTO process_claims (claim, detail, process, host, pid, heartbeat_at)"
        " VALUES ('discord:42:shard:0', '1', 'other', 'other-machine', 1,"
        " '2999-01-01T00:00:00.000000Z')"
    )
    settings = Settings(  # type: ignore[call-arg]
        data_dir=tmp_path,
        database_url=shared_url,
        discord_token=SecretStr("token"),
        discord_application_id=42,
        discord_standby=True,
        _env_file=None,
    )
    app = await App.create(settings, [SlowPlatform(0.0, tmp_path / "posts.log")])
    try:
        serving = asyncio.create_task(serve(app, settings))
        await asyncio.sleep(0.3)
        started = time.monotonic()
        app.request_stop()
        assert await serving == 0
        assert time.monotonic() - started < 1
        assert await db.fetch_value("SELECT process FROM process_claims") == "other"
    finally:
        await app.close()
        await db.close()
