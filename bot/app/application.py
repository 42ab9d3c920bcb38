"""App wiring: storage, configuration, scheduler, cogs and adapters, started and stopped
in order. This is the one place that knows every part; cogs and adapters know only the
core.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from bot.app import backup_schedule, connecting
from bot.app.connecting import Backoff, OnConnected
from bot.clock import Clock, SystemClock
from bot.cog import AfterDelivery, CarriesOut, Cog, Services
from bot.config import ConfigFile, ConfigStore
from bot.delivery import Outbox
from bot.dispatcher import Dispatcher
from bot.errors import ConfigError
from bot.events import Event
from bot.heap import keep_built, release_built
from bot.host import Adapter, Declarations
from bot.i18n import CORE_LOCALES, I18n
from bot.intake import EventIntake
from bot.metrics import Metrics
from bot.platform import Platform, Platforms
from bot.retention import RetentionPeriods, pruner_for
from bot.scheduler import Scheduler
from bot.serving import Serves
from bot.settings import Settings
from cogs import all_cogs
from storage.audit import AuditLog
from storage.database import Database
from storage.jobs import JobRepository
from storage.leases import Holder
from storage.outbox import OutboxRepository
from storage.overrides import OverrideRepository

log = logging.getLogger(__name__)

# With other processes on the database, how stale a cached configuration may get: an
# admin's /config set on one process reaches the others within this.
SHARED_CONFIG_MAX_AGE_SECONDS = 5.0
# How long shutdown waits for a job in progress; one cut off is run again after a restart.
STOP_TIMEOUT_SECONDS = 5.0


@dataclass
class App:
    """A running bot: services, dispatcher and cogs over one database."""

    services: Services
    dispatcher: Dispatcher
    adapters: list[Adapter]
    _scheduler_task: asyncio.Task[None] | None = None
    _delivery_task: asyncio.Task[None] | None = None
    failure: str | None = None
    _stop_requested: asyncio.Event = field(default_factory=asyncio.Event)
    _halted: bool = False
    # A platform that cannot be reached at start is tried again after these waits.
    backoff: Backoff = field(default_factory=Backoff)
    _connecting: list[asyncio.Task[None]] = field(default_factory=list)
    # A platform's refusal (e.g. of its token) after a late connection: the bot exits 2.
    refusal: ConfigError | None = None
    intake: EventIntake = field(init=False)  # adapters deliver events here (bot/intake.py)

    def __post_init__(self) -> None:
        self.intake = EventIntake(self.dispatcher.dispatch)

    @classmethod
    async def create(
        cls,
        settings: Settings,
        platforms: Sequence[Platform],
        *,
        clock: Clock | None = None,
        cog_types: Sequence[type[Cog]] | None = None,
        random_source: random.Random | None = None,
        backoff: Backoff | None = None,
    ) -> App:
        """Open storage, validate configuration and set up the cogs; nothing runs yet."""
        cog_types = list(all_cogs() if cog_types is None else cog_types)
        sections = {c.name: c.config_model for c in cog_types if c.config_model is not None}
        config_file = ConfigFile.load(settings.config_file)
        db = await Database.open(settings.database_location, pool_size=settings.database_pool_size)
        try:
            config = ConfigStore(
                config_file,
                OverrideRepository(db),
                sections,
                max_age=None if db.backend == "sqlite" else SHARED_CONFIG_MAX_AGE_SECONDS,
            )
            config.check_file()
            clock = clock or SystemClock()
            i18n = I18n.load([CORE_LOCALES, *(c.locales for c in cog_types if c.locales)])
            connected = Platforms(platforms)
            holder = _holder(settings, connected, db)
            metrics = Metrics()
            services = Services(
                db=db,
                clock=clock,
                scheduler=Scheduler(
                    JobRepository(db, holder), clock, pruner=pruner_for(db, settings, clock)
                ),
                outbox=Outbox(db, clock, connected, OutboxRepository(db, holder), metrics),
                config=config,
                i18n=i18n,
                platforms=connected,
                audit=AuditLog(db),
                started_at=clock.now(),
                random=random_source or random.Random(),
                retention=RetentionPeriods.of(settings),
                metrics=metrics,
            )
            dispatcher = Dispatcher(services)
            services.dispatcher = dispatcher
            for cog_type in cog_types:
                cog = cog_type(services)
                dispatcher.add_cog(cog)
                _register_deliveries(services.outbox, cog)
            for cog in dispatcher.cogs:
                await cog.setup()
            await backup_schedule.arm(services, settings)
            await services.scheduler.start()
            await services.outbox.start()
        except BaseException:
            await db.close()
            raise
        adapters = [p for p in platforms if hasattr(p, "start")]
        return cls(services, dispatcher, adapters, backoff=backoff or Backoff())  # type: ignore[arg-type]

    async def start(self, on_connected: OnConnected | None = None) -> None:
        """Connect every adapter and start firing scheduled jobs; `on_connected` runs for
        the adapters connected now, and later for each that connects late.

        A platform that cannot be reached yet is tried again in the background
        (`bot.app.connecting`) while the others serve; a refusal (a rejected token) raises
        its `ConfigError` here, or, once it comes after a late connection, stops the bot
        with it as `refusal`."""
        self._connecting = await connecting.connect(
            self.adapters, self, self.backoff, self._stop_requested, on_connected or _nothing
        )
        for task in self._connecting:
            task.add_done_callback(self._connecting_ended)
        self._scheduler_task = asyncio.create_task(
            self.services.scheduler.run_forever(), name="scheduler"
        )
        self._delivery_task = asyncio.create_task(
            self.services.outbox.run_forever(), name="delivery"
        )
        keep_built()

    @property
    def scheduler_task(self) -> asyncio.Task[None] | None:
        """The scheduler's loop once started (/readyz checks it still runs)."""
        return self._scheduler_task

    @property
    def declarations(self) -> Declarations:
        return Declarations(
            {path: c.spec for path, c in self.dispatcher.commands.items()},
            {name: m.spec for name, m in self.dispatcher.message_commands.items()},
            form_buttons=tuple(self.dispatcher.form_buttons),
            texts=self.services.i18n,
        )

    @property
    def checking(self) -> bool:
        return False  # the running bot (`config check --platform` has its own host)

    async def deliver(self, event: Event) -> None:
        await self.intake.put(event)

    def request_stop(self) -> None:
        """Ask `wait_until_stopped` to return, e.g. on SIGINT or SIGTERM."""
        self._stop_requested.set()

    def fail(self, reason: str) -> None:
        """Stop because a part cannot go on (e.g. a platform connection ended for good)."""
        log.critical("stopping: %s", reason)
        self.failure = self.failure or reason
        self._stop_requested.set()

    def _connecting_ended(self, task: asyncio.Task[None]) -> None:
        error = None if task.cancelled() else task.exception()
        if isinstance(error, ConfigError):
            log.critical("stopping: %s", error)
            self.refusal = self.refusal or error
            self._stop_requested.set()
        elif error is not None:
            log.error("connecting a platform failed unexpectedly", exc_info=error)
            self.fail(f"connecting failed: {type(error).__name__}: {error}")

    async def wait_until_stopped(self) -> None:
        await self._stop_requested.wait()

    async def close(self) -> None:
        """Stop serving (`halt`), then close the database."""
        await self.halt()
        await self.services.db.close()
        release_built()

    async def halt(self) -> None:
        """Stop in reverse order: scheduler and delivery, adapters, then give leases back.
        The database stays open, so the process's shard claims are released after it is off
        the platforms (a standby must not connect while this one still is). Runs once."""
        if self._halted:
            return
        self._halted = True
        for task in self._connecting:
            task.cancel()
        await asyncio.gather(*self._connecting, return_exceptions=True)
        self.services.scheduler.stop()
        self.services.outbox.stop()
        for task, what in (
            (self._scheduler_task, "a scheduled job"),
            (self._delivery_task, "a platform action"),
        ):
            if task is None:
                continue
            try:
                await asyncio.wait_for(task, timeout=STOP_TIMEOUT_SECONDS)
            except (TimeoutError, asyncio.CancelledError):
                log.warning("stopped %s in progress; it runs again after a restart", what)
            except Exception:
                log.exception("%s loop had stopped with an error", task.get_name())
        for adapter in reversed(self.adapters):
            try:
                await adapter.stop()
            except Exception:
                log.exception("adapter %s did not stop cleanly", adapter.name)
        await _release_leases(self.services)


async def _nothing(adapters: Sequence[Adapter]) -> None:
    """No follow-up once connected (tests, and hosts that check nothing)."""


def _holder(settings: Settings, connected: Platforms, db: Database) -> Holder:
    """Who this process claims jobs and outbox entries as: the communities of the
    platforms it connects (on Discord, its shards), under one lease for both."""
    serves = replace(Serves.from_settings(settings), platforms=frozenset(connected.names()))
    return Holder.for_this_process(
        serves, shared=db.backend == "postgresql", seconds=settings.lease_seconds
    )


async def _release_leases(services: Services) -> None:
    """Leave what was cut off by the stop to be taken over at once, not after its lease;
    if the database is gone, the leases simply run out."""
    try:
        await services.scheduler.release()
        await services.outbox.release()
    except Exception as error:
        log.warning("could not give back this process's leases (%s); they run out", error)


def _register_deliveries(outbox: Outbox, cog: Cog) -> None:
    """Hand the outbox the cog's continuations and the calls it carries out."""
    for attribute, mark in type(cog).handlers:
        if isinstance(mark, AfterDelivery):
            outbox.on(mark.kind, getattr(cog, attribute))
        elif isinstance(mark, CarriesOut):
            outbox.handle_calls(mark.name, getattr(cog, attribute))
