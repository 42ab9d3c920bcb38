"""The window rules (bursts, repeated messages, mention spam) across processes.

Slack replicas each hear a share of a workspace's messages. Two `App` instances on ONE
PostgreSQL database, each with its own connections and its own view of one local community,
hear a member's messages in turn (or two at the same moment): the rules must trigger as
one process hearing everything would, at the same message, with one flag. Each test runs
with one instance too, on both backends (memory on SQLite, the database on PostgreSQL), and
expects the same; two instances need PostgreSQL (on SQLite a second process is refused).
"""

from __future__ import annotations

import asyncio
import itertools
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from adapters.local import LocalCommunity, LocalPlatform
from adapters.local.community import LocalMessage
from bot.app.application import App
from bot.clock import VirtualClock
from bot.events import Connected, Event
from bot.settings import Settings
from storage.database import Database
from storage.rule_windows import RuleWindowRepository, WindowPost

CONFIG = """
[[moderation.rules]]
name = "flooding"
type = "burst"
max_messages = 4
window_seconds = 10

[[moderation.rules]]
name = "copies"
type = "duplicates"
min_channels = 3
window_seconds = 60

[[moderation.rules]]
name = "pings"
type = "mention_spam"
max_per_message = 5
max_in_window = 6
window_seconds = 60
"""


@dataclass
class Cluster:
    """Two instances on one database; each message goes to the next instance in turn."""

    community: LocalCommunity
    apps: list[App]

    def __post_init__(self) -> None:
        self._turns = itertools.cycle(range(len(self.apps)))

    async def dispatch(self, event: Event) -> None:
        if isinstance(event, Connected):
            for app in self.apps:
                await app.deliver(event)
            return
        await self.apps[next(self._turns)].deliver(event)

    async def flags(self) -> list[LocalMessage]:
        """The flag posts, once every instance delivered its edits (as its loop would)."""
        for app in self.apps:
            await app.services.outbox.run_due()
        return self.community.read("#moderators")


async def _cluster(settings: Settings, clock: VirtualClock, instances: int) -> Cluster:
    community = LocalCommunity()
    community.now = clock.now
    for channel in ("general", "help", "random"):
        community.add_channel(channel)
    community.add_member("Mo", roles=("Moderators",))
    community.add_member("Ben")
    made = Cluster(community, [])
    for _ in range(instances):
        made.apps.append(await App.create(settings, [LocalPlatform(community)], clock=clock))
    made.__post_init__()
    community.dispatch = made.dispatch
    await community.connect()
    return made


@pytest.fixture(params=[1, 2], ids=["one process", "two processes"])
async def cluster(
    request: pytest.FixtureRequest,
    settings: Settings,
    clock: VirtualClock,
    write_config: Callable[[str], Path],
    backend: str,
) -> AsyncIterator[Cluster]:
    instances: int = request.param
    if instances > 1 and backend == "sqlite":
        pytest.skip("several processes on one database need PostgreSQL (docs/scaling.md)")
    write_config(CONFIG)
    made = await _cluster(settings, clock, instances)
    yield made
    for app in made.apps:
        await app.close()


async def test_a_burst_heard_in_turns_is_flagged_once_from_the_fifth_message(
    cluster: Cluster,
) -> None:
    c = cluster.community
    ben = c.member("Ben")
    for n in range(4):
        await c.post(ben, "#general", f"spam number {n}")
    assert await cluster.flags() == []  # four messages are within the limit, wherever heard
    await c.post(ben, "#general", "spam number 4")
    [flag] = await cluster.flags()
    assert "**flooding**: 5 messages within 10 s (limit 4)" in flag.text
    for n in range(5, 20):
        await c.post(ben, "#general", f"spam number {n}")
    [flag] = await cluster.flags()
    assert "Messages (16)" in flag.text  # the 5th to the 20th broke the limit
    assert "**flooding**: 20 messages within 10 s (limit 4)" in flag.text


async def test_a_burst_heard_two_at_a_time_crosses_the_limit_once(cluster: Cluster) -> None:
    """Messages arrive in pairs, one at each process at the same moment: each is counted
    once and sees the ones counted before it, so the 5th and 6th break the limit and the
    4th never does, whichever process counts first."""
    c = cluster.community
    ben = c.member("Ben")
    for pair in range(2):
        await asyncio.gather(*(c.post(ben, "#general", f"spam {pair}.{n}") for n in range(2)))
    assert await cluster.flags() == []
    await asyncio.gather(*(c.post(ben, "#general", f"spam 2.{n}") for n in range(2)))
    [flag] = await cluster.flags()
    assert "Messages (2)" in flag.text  # the 5th and the 6th, never the 4th
    assert "“spam 2.0”" in flag.text and "“spam 2.1”" in flag.text


async def test_a_message_repeated_across_channels_heard_in_turns_is_flagged_at_the_third(
    cluster: Cluster,
) -> None:
    c = cluster.community
    ben = c.member("Ben")
    text = "Cheap followers at example dot com, message me now"
    await c.post(ben, "#general", text)
    await c.post(ben, "#help", text.upper())  # copies are compared on their folded words
    assert await cluster.flags() == []
    await c.post(ben, "#random", text)
    [flag] = await cluster.flags()
    assert "**copies**: same message in 3 channels within 60 s" in flag.text


async def test_mentions_spread_over_messages_heard_in_turns_are_flagged_past_the_limit(
    cluster: Cluster,
) -> None:
    c = cluster.community
    ben = c.member("Ben")
    pings = " ".join(f"<@U{n}>" for n in range(3))
    await c.post(ben, "#general", f"hey {pings}")
    await c.post(ben, "#help", f"hello {pings}")
    assert await cluster.flags() == []  # six mentions: the limit, not past it
    await c.post(ben, "#random", "and you <@U9>")
    [flag] = await cluster.flags()
    assert "**pings**: 7 mentions within 60 s (limit 6)" in flag.text


async def test_posts_older_than_the_window_do_not_count_in_any_process(
    cluster: Cluster, clock: VirtualClock
) -> None:
    c = cluster.community
    ben = c.member("Ben")
    for n in range(4):
        await c.post(ben, "#general", f"chatty {n}")
    clock.advance(timedelta(seconds=11))
    for n in range(4):
        await c.post(ben, "#general", f"chatty again {n}")
    assert await cluster.flags() == []


def test_a_copy_has_the_same_fingerprint_in_every_process() -> None:
    """Python salts hash() per process; a copy heard by another process must still match."""
    script = """
import asyncio
from datetime import UTC, datetime
from cogs.moderation.rules import CheckedMessage, RuleSet, parse_rules

class Printing:
    async def record(self, community, author, post, horizon, message_id):
        print(post.fingerprint)
        return [post]

rules = RuleSet(parse_rules([{"name": "copies", "type": "duplicates"}]))
message = CheckedMessage("local:1", "c1", "ben", "Buy cheap followers now", datetime.now(UTC))
asyncio.run(rules.check_with(message, Printing()))
"""
    prints = {
        subprocess.run(
            [sys.executable, "-c", script],
            env={**os.environ, "PYTHONHASHSEED": seed},
            cwd=Path(__file__).resolve().parents[2],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2")
    }
    assert len(prints) == 1


# The window table itself, on both backends.

AT = datetime(2025, 1, 1, tzinfo=UTC)


def _post(seconds: float, channel: str = "c1", fingerprint: int = 1) -> WindowPost:
    return WindowPost(AT + timedelta(seconds=seconds), channel, fingerprint, 20, 0)


async def _windows(settings: Settings) -> tuple[Database, RuleWindowRepository]:
    db = await Database.open(settings.database_location)
    return db, RuleWindowRepository(db)


async def test_the_window_holds_the_authors_posts_within_the_horizon_oldest_first(
    settings: Settings,
) -> None:
    db, windows = await _windows(settings)
    try:
        ten = timedelta(seconds=10)
        await windows.record("local:1", "ben", _post(0), ten, 64)
        await windows.record("local:1", "amy", _post(1), ten, 64)
        await windows.record("local:1", "ben", _post(5, "c2"), ten, 64)
        recent = await windows.record("local:1", "ben", _post(12, "c3"), ten, 64)
        assert [(p.at, p.channel_id) for p in recent] == [
            (AT + timedelta(seconds=5), "c2"),
            (AT + timedelta(seconds=12), "c3"),
        ]
        assert await windows.count("local:1") == 3  # ben's first post was deleted
        last = await windows.record("local:1", "ben", _post(13), ten, 2)
        assert [p.at.second for p in last] == [12, 13]
    finally:
        await db.close()


async def test_a_message_recorded_again_gets_its_first_window_and_counts_once(
    settings: Settings,
) -> None:
    """A check that lost a race on PostgreSQL runs again: its message must not count twice."""
    db, windows = await _windows(settings)
    try:
        ten = timedelta(seconds=10)
        await windows.record("local:1", "ben", _post(0), ten, 64, "m1")
        first = await windows.record("local:1", "ben", _post(1), ten, 64, "m2")
        await windows.record("local:1", "ben", _post(2), ten, 64, "m3")
        again = await windows.record("local:1", "ben", _post(3), ten, 64, "m2")
        assert again == first and len(first) == 2
        assert await windows.count("local:1") == 3
    finally:
        await db.close()


async def test_quiet_authors_are_forgotten_by_the_sweep(settings: Settings) -> None:
    db, windows = await _windows(settings)
    try:
        hour = timedelta(hours=1)
        await windows.record("local:1", "ben", _post(0), hour, 64)
        await windows.record("local:1", "amy", _post(100), hour, 64)
        assert await windows.forget_before(AT + timedelta(seconds=50)) == 1
        assert await windows.count("local:1") == 1
        authors = await db.fetch_all("SELECT author FROM rule_window_authors")
        assert [row["author"] for row in authors] == ["amy"]
    finally:
        await db.close()


async def test_posts_recorded_at_once_by_two_connections_each_see_those_before_them(
    settings: Settings, backend: str
) -> None:
    """Forty posts of one author, recorded concurrently through two databases (two
    processes' pools): the windows returned are 1, 2, ..., 40 posts long, each once."""
    if backend == "sqlite":
        pytest.skip("one process per SQLite file")
    first, windows_a = await _windows(settings)
    second, windows_b = await _windows(settings)
    try:
        hour = timedelta(hours=1)
        sizes = await asyncio.gather(
            *(
                (windows_a if n % 2 else windows_b).record("local:1", "ben", _post(n), hour, 64)
                for n in range(40)
            )
        )
        assert sorted(len(window) for window in sizes) == list(range(1, 41))
    finally:
        await first.close()
        await second.close()
