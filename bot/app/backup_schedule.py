"""Scheduled backups (``BOTSCHAFTER_BACKUP_EVERY``, ``BOTSCHAFTER_BACKUP_KEEP``,
``BOTSCHAFTER_BACKUP_DIR``): the backup of ``python -m bot backup``, taken by the running
bot as a durable job.

One backup job is pending at a time. When it fires it first schedules the next one, then
copies the database to ``botschafter-<UTC time>.db`` in the backup folder, checks the copy
and deletes the oldest of those files beyond the number to keep (only files named so: what
else the folder holds is left alone). A job survives restarts and fires once; at start the
next backup is due one interval after the newest file there (at once if that is overdue),
so restarting the bot neither skips nor doubles a backup.

A failed backup is logged and told to each community's admin channel, once per planned
backup, and retried by the scheduler with growing pauses. On PostgreSQL nothing is
scheduled: the start-up log says to use pg_dump.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.cog import Services
from bot.commands import format_duration
from bot.effects import Post
from bot.errors import TemporaryFailure
from bot.inventory import Use
from bot.model import Community
from bot.outgoing import OutgoingMessage
from bot.settings import Settings
from storage import backup
from storage.backup import NotABackup
from storage.jobs import Job, JobRepository
from storage.leases import ANY_PROCESS

log = logging.getLogger(__name__)

KIND = "backup"
KEY_PREFIX = "backup:"
# Backups belong to no community: any process may take the job (there is one, on SQLite).
COMMUNITY = Community(ANY_PROCESS, "backup")
NAME_FORMAT = "botschafter-%Y%m%d-%H%M%S.db"
NAMED = re.compile(r"botschafter-\d{8}-\d{6}\.db")


async def arm(services: Services, settings: Settings) -> None:
    """At start: take scheduled backups if they are configured and the database is SQLite,
    and schedule the next one; otherwise make sure none is left pending from an earlier run."""
    jobs = JobRepository(services.db)
    path = settings.database_path
    if settings.backup_every is None or path is None:
        await jobs.cancel_prefix(KEY_PREFIX)
        if settings.backup_every is not None:
            log.warning(
                "BOTSCHAFTER_BACKUP_EVERY is set, but the database is PostgreSQL: no scheduled"
                " backups are taken; back it up with pg_dump (see docs/operations.md)"
            )
        return
    schedule = BackupSchedule(services, path, settings.backup_folder, settings)
    services.scheduler.register(KIND, schedule.fire)
    await schedule.start()


class BackupSchedule:
    def __init__(self, services: Services, database: Path, folder: Path, settings: Settings):
        assert settings.backup_every is not None
        self._services = services
        self._database = database
        self._folder = folder
        self._every: timedelta = settings.backup_every
        self._keep = settings.backup_keep
        self._jobs = JobRepository(services.db)

    async def start(self) -> None:
        """Schedule the next backup: one interval after the newest, at once if overdue."""
        now = self._services.clock.now()
        newest = await asyncio.to_thread(self._newest)
        due = now if newest is None else max(now, newest + self._every)
        await self._schedule_next(due)
        log.info(
            "scheduled backups every %s to %s, keeping %d; the next at %s",
            format_duration(self._every),
            self._folder,
            self._keep,
            due.isoformat(timespec="seconds"),
        )

    async def fire(self, job: Job) -> None:
        """Schedule the next backup, then take this one, check it and prune old ones."""
        now = self._services.clock.now()
        following = job.due_at + self._every
        await self._schedule_next(following if following > now else now + self._every)
        target = self._folder / now.astimezone(UTC).strftime(NAME_FORMAT)
        try:
            checked = await asyncio.to_thread(self._back_up, target)
        except (NotABackup, OSError) as error:
            reason = _reason(error)
            log.error("scheduled backup to %s failed: %s", target, reason)
            await self._tell_admins(job, reason)
            raise TemporaryFailure(f"backup failed: {reason.rstrip('.')}") from None
        removed = await asyncio.to_thread(self._prune)
        log.info(
            "backup %s taken and checked (%s)%s",
            target,
            checked.describe(),
            f"; removed {len(removed)} older beyond {self._keep}" if removed else "",
        )

    async def _schedule_next(self, due: datetime) -> None:
        """The one pending backup job: any other pending one (an earlier run's, another
        interval's) is replaced."""
        await self._jobs.cancel_prefix(KEY_PREFIX)
        scheduler = self._services.scheduler
        if not await scheduler.schedule(COMMUNITY, KIND, due, _key(due)):
            # That moment's backup already ran (its file since removed): plan the next one.
            due += self._every
            await scheduler.schedule(COMMUNITY, KIND, due, _key(due))

    def _back_up(self, target: Path) -> backup.Checked:
        if self._folder.exists() and not self._folder.is_dir():
            raise NotADirectoryError(errno.ENOTDIR, "not a folder", str(self._folder))
        self._folder.mkdir(parents=True, exist_ok=True)
        return backup.back_up(self._database, target)

    def _backups(self) -> list[Path]:
        """The scheduled backups in the folder, oldest first (the names sort by time)."""
        if not self._folder.is_dir():
            return []
        return sorted(p for p in self._folder.iterdir() if NAMED.fullmatch(p.name))

    def _newest(self) -> datetime | None:
        found = self._backups()
        if not found:
            return None
        return datetime.strptime(found[-1].name, NAME_FORMAT).replace(tzinfo=UTC)

    def _prune(self) -> list[Path]:
        """Delete the oldest scheduled backups beyond the number to keep."""
        found = self._backups()
        doomed = found[: max(len(found) - self._keep, 0)]
        for path in doomed:
            path.unlink(missing_ok=True)
        return doomed

    async def _tell_admins(self, job: Job, reason: str) -> None:
        """Post the failure to each community's admin channel, once per planned backup (its
        retries say nothing new). Telling is best effort: it is logged already."""
        # Imported here: the community check imports the application, which imports this.
        from bot.app.community_check import admin_channel

        services = self._services
        try:
            for platform in services.platforms:
                for facts in await platform.inspect_communities():
                    config = await services.config.get(facts.community)
                    wanted = admin_channel(config)
                    where = facts.channel(wanted) if wanted else None
                    if where is None or Use.POST not in where.may:
                        continue
                    community = facts.community
                    channel = await services.platform(community).find_channel(community, where.id)
                    if channel is None:
                        continue
                    locale = services.i18n.pick_locale(None, config.community.locale)
                    text = services.i18n.t("core.backup.failed", locale, reason=reason)
                    async with services.db.transaction() as tx:
                        pending = await services.outbox.add(
                            tx,
                            Post(channel, OutgoingMessage(text=text), allow_pings=False),
                            key=f"backup-failed:{job.key}:{community.key}",
                        )
                    await services.outbox.deliver(pending)
        except Exception as error:
            log.warning("could not tell the admins that the backup failed: %s", error)


def _key(due: datetime) -> str:
    return f"{KEY_PREFIX}{due.isoformat()}"


def _reason(error: Exception) -> str:
    """One line for the log and the admins: SQLite's or the system's own words."""
    if isinstance(error, OSError) and error.strerror:
        return f"{error.strerror} ({error.filename})." if error.filename else f"{error.strerror}."
    return str(error)
