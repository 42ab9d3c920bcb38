"""A bot running on a local community: the terminal, scripted sessions and the tests.

With a `VirtualClock`, `advance` steps time through every due job in order, so a test or a
script can run a week of follow-ups in milliseconds and see them fire exactly as often as
they would in real time.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

from adapters.local import LocalCommunity, LocalPlatform
from bot.app import App
from bot.clock import Clock, OffsetClock, SystemClock, VirtualClock
from bot.cog import Cog
from bot.errors import ConfigError
from bot.settings import Settings

DEMO_MEMBERS = (
    ("Alice", ("Admins",)),
    ("Mo", ("Moderators",)),
    ("Amy", ("Ambassadors",)),
    ("Ben", ()),
)


class LocalSession:
    def __init__(self, app: App, community: LocalCommunity, clock: Clock, state: Path | None):
        self.app = app
        self.community = community
        self.clock = clock
        self._state = state

    @classmethod
    async def open(
        cls,
        settings: Settings,
        *,
        clock: Clock | None = None,
        community: LocalCommunity | None = None,
        cog_types: Sequence[type[Cog]] | None = None,
        persist: bool = False,
        random_source: random.Random | None = None,
    ) -> LocalSession:
        """Start the bot on a local community; with `persist`, continue the saved one."""
        clock = clock or SystemClock()
        state = settings.data_dir / "local-community.json" if persist else None
        if community is None:
            community = _restore_or_seed(settings, state)
        if isinstance(clock, VirtualClock | OffsetClock) and community.saved_at is not None:
            clock.set(community.saved_at)  # time never runs backwards across runs
        community.now = clock.now
        app = await App.create(
            settings,
            [LocalPlatform(community)],
            clock=clock,
            cog_types=cog_types,
            random_source=random_source,
        )
        community.dispatch = app.intake.put
        await app.services.outbox.run_due()  # what a crash or outage left undelivered
        return cls(app, community, clock, state)

    async def run_due_jobs(self) -> int:
        fired = await self.app.services.scheduler.run_due()
        await self.app.services.outbox.run_due()
        return fired

    async def advance(self, delta: timedelta) -> int:
        """Move the clock forward, firing due jobs in time order; returns how many."""
        if not isinstance(self.clock, VirtualClock | OffsetClock):
            raise TypeError("only a virtual or offset clock can be advanced")
        target = self.clock.now() + delta
        fired = await self.app.services.scheduler.run_until(target, self.clock.set)
        await self.app.services.outbox.run_due()  # retries that came due meanwhile
        return fired

    def save(self) -> None:
        if self._state is not None:
            self.community.save(self._state)

    async def close(self) -> None:
        self.save()
        await self.app.close()


def _restore_or_seed(settings: Settings, state: Path | None) -> LocalCommunity:
    if state is not None and state.exists():
        try:
            return LocalCommunity.load(state)
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise ConfigError(
                f"{state}: cannot continue the saved local community "
                f"({type(error).__name__}: {error}). Move the file away to start afresh."
            ) from None
    community = LocalCommunity(settings.local_community)
    for name, roles in DEMO_MEMBERS:
        community.add_member(name, roles=roles)
    return community
