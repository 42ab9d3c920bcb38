"""A bot running on a local community: the terminal, scripted sessions and the tests.

With a `VirtualClock`, `advance` steps time through every due job in order, so a test or a
script can run a week of follow-ups in milliseconds and see them fire exactly as often as
they would in real time.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path

from adapters.local import LocalCommunity, LocalPlatform
from bot.app.application import App
from bot.clock import Clock, OffsetClock, SystemClock, VirtualClock
from bot.cog import Cog
from bot.errors import ConfigError
from bot.settings import Settings

# The role the example configuration (docs/examples/botschafter.toml) grants on accepting
# the rules, so the demo passes `config check --platform` with it.
RULES_ROLE = "Members"
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
        await community.connect()  # catch up on reactions made while the bot was away
        return cls(app, community, clock, state)

    async def run_due_jobs(self) -> int:
        fired = await self.app.services.scheduler.run_due()
        await self.app.services.outbox.run_due()
        return fired

    async def advance(self, delta: timedelta) -> int:
        """Move the clock forward, firing due jobs in time order; returns how many."""
        return await self.advance_to(self.clock.now() + delta)

    async def advance_to(self, moment: datetime) -> int:
        """Step the clock through every due job and outbox retry up to `moment`, in time
        order, as a running bot would meet them; returns how many jobs fired."""
        if not isinstance(self.clock, VirtualClock | OffsetClock):
            raise TypeError("only a virtual or offset clock can be advanced")
        fired = await self.run_due_jobs()
        while (upcoming := await self._next_moment(moment)) is not None:
            self.clock.set(upcoming)
            fired += await self.run_due_jobs()
        self.clock.set(moment)
        return fired + await self.run_due_jobs()

    async def _next_moment(self, limit: datetime) -> datetime | None:
        """The next time after now and up to `limit` when a job or a retry is due (an entry
        already due but held behind another waits for that one's time)."""
        services, now = self.app.services, self.clock.now()
        moments = [await services.scheduler.next_due_at(), await services.outbox.next_due_at(now)]
        ahead = [m for m in moments if m is not None and now < m <= limit]
        return min(ahead, default=None)

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
    community.role(RULES_ROLE)  # no one holds it yet, but it is there to grant
    return community
