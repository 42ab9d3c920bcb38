"""Watch-word notices across processes: two `App` instances on one PostgreSQL database hear
one member's mentions in turn, or two at the same moment. The ambassadors still get one
notice per member and topic, counting every mention once (the community's turn in
storage.locks orders the counting). With one instance the same holds on both backends."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from adapters.local import LocalCommunity, LocalPlatform
from adapters.local.community import LocalMessage
from bot.app.application import App
from bot.clock import VirtualClock
from bot.events import Connected, Event
from bot.settings import Settings

CONFIG = """
[[moderation.rules]]
name = "refunds"
type = "watch_words"
keywords = ["refund*"]
"""


@dataclass
class Cluster:
    """Instances on one database; each message goes to the next instance in turn."""

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

    async def notices(self) -> list[LocalMessage]:
        """The notices, once every instance delivered what it wrote (as its loop would)."""
        for _ in range(2):  # a continuation may add an edit another instance carries out
            for app in self.apps:
                await app.services.outbox.run_due()
        return self.community.read("#ambassadors")


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
    community = LocalCommunity()
    community.now = clock.now
    community.add_member("Ben")
    made = Cluster(community, [])
    for _ in range(instances):
        made.apps.append(await App.create(settings, [LocalPlatform(community)], clock=clock))
    made.__post_init__()
    community.dispatch = made.dispatch
    await community.connect()
    yield made
    for app in made.apps:
        await app.close()


async def test_mentions_heard_in_turns_count_on_one_notice(cluster: Cluster) -> None:
    c = cluster.community
    for n in range(4):
        await c.post(c.member("Ben"), "#general", f"refund {n}?")
    [notice] = await cluster.notices()
    assert "Ben mentioned refunds 4 times since" in notice.text
    assert "“refund 3?”" in notice.text


async def test_mentions_heard_at_the_same_moment_open_one_notice(cluster: Cluster) -> None:
    c = cluster.community
    ben = c.member("Ben")
    await asyncio.gather(*(c.post(ben, "#general", f"refund {n}?") for n in range(2)))
    await asyncio.gather(*(c.post(ben, "#general", f"refund {n}?") for n in range(2, 4)))
    [notice] = await cluster.notices()
    assert "Ben mentioned refunds 4 times since" in notice.text
