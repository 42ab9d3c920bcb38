"""Scheduled backups (``BOTSCHAFTER_BACKUP_EVERY``, ``BOTSCHAFTER_BACKUP_KEEP``,
``BOTSCHAFTER_BACKUP_DIR``): the backup of ``python -m bot backup``, taken by the running
bot as a durable job.

One backup job is pending at a time. When it fires it schedules the next one and copies
(a copy longer than `INLINE_SECONDS` goes on beside the scheduler's loop) to
``botschafter-<UTC time>.db`` in the backup folder, checks the copy, then deletes the
oldest of those files beyond the number to keep (only files named so: what else the folder
holds is left alone). A job survives restarts and fires once; at start the next backup is
due one interval after the newest file there (at once if that is overdue), so restarting
the bot neither skips nor doubles a backup, and a copy a crash cut short is made good.

A failed backup is logged, told to each community's admin channel (the first failure in a
row) and tried again after `RETRY_FIRST`, the pause doubling up to the interval. On
PostgreSQL nothing is scheduled: the start-up log says to use pg_dump.
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
# How long the job waits for its copy: most databases are copied well within it (60 MB in
# about 2 s), and under the scheduler's time limit for a job (60 s); the rest of a longer
# copy runs on beside the scheduler.
INLINE_SECONDS = 20.0
# A failed backup is tried again after this, the pause doubling up to the interval itself.
RETRY_FIRST = timedelta(minutes=15)


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
    schedule = BackupSchedule(services, path, settings)
    services.scheduler.register(KIND, schedule.fire)
    await schedule.start()


class BackupSchedule:
    def __init__(self, services: Services, database: Path, settings: Settings) -> None:
        assert settings.backup_every is not None
        self._services = services
        self._database = database
        self._folder = settings.backup_folder
        self._every: timedelta = settings.backup_every
        self._keep = settings.backup_keep
        self._jobs = JobRepository(services.db)
        self._copying: asyncio.Task[None] | None = None
        self._next_due: datetime | None = None
        self._failures = 0  # in a row; the admins hear of the first

    async def start(self) -> None:
        """Schedule the next backup: one interval after the newest, at once if overdue."""
        now = self._services.clock.now()
        await asyncio.to_thread(self._clear_partial)
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
        """Schedule the next backup and copy. The job waits for the copy `INLINE_SECONDS`
        at most; a larger database goes on being copied beside the scheduler's loop, since
        no follow-up should wait minutes and a job's time limit would cut it off. A copy cut
        off by a crash is made good at the next start, which finds the newest backup overdue."""
        now = self._services.clock.now()
        following = job.due_at + self._every
        await self._schedule_next(following if following > now else now + self._every)
        previous = self._copying
        self._copying = asyncio.create_task(self._take(previous, now), name="backup")
        await asyncio.wait({self._copying}, timeout=INLINE_SECONDS)

    async def _take(self, previous: asyncio.Task[None] | None, now: datetime) -> None:
        """Copy, check and prune, after the copy before this one (one at a time); a
        failure is logged, told to the admins and tried again soon."""
        if previous is not None:
            await asyncio.wait({previous})
        target = self._folder / now.astimezone(UTC).strftime(NAME_FORMAT)
        try:
            checked = await asyncio.to_thread(self._back_up, target)
            removed = await asyncio.to_thread(self._prune)
        except (NotABackup, OSError) as error:
            await self._failed(target, _reason(error))
            return
        except Exception:
            log.exception("scheduled backup to %s failed", target)
            return
        self._failures = 0
        log.info(
            "backup %s taken and checked (%s)%s",
            target,
            checked.describe(),
            f"; removed {len(removed)} older beyond {self._keep}" if removed else "",
        )

    async def _failed(self, target: Path, reason: str) -> None:
        """Try again after RETRY_FIRST, doubling up to the interval (unless the next backup
        is due sooner); tell the admins of the first failure in a row."""
        self._failures += 1
        retry = min(RETRY_FIRST * 2 ** (self._failures - 1), self._every)
        log.error(
            "scheduled backup to %s failed: %s Trying again in %s.",
            target,
            reason,
            format_duration(retry),
        )
        try:
            retry_at = self._services.clock.now() + retry
            if self._next_due is None or retry_at < self._next_due:
                await self._schedule_next(retry_at)
            if self._failures == 1:
                await self._tell_admins(target.name, reason)
        except Exception as error:  # the database may be closing: the log has said it
            log.warning("could not plan the retry of the backup or tell the admins: %s", error)

    async def _schedule_next(self, due: datetime) -> None:
        """The one pending backup job: any other pending one (an earlier run's, another
        interval's) is replaced."""
        await self._jobs.cancel_prefix(KEY_PREFIX)
        scheduler = self._services.scheduler
        if not await scheduler.schedule(COMMUNITY, KIND, due, _key(due)):
            # That moment's backup already ran (its file since removed): plan the next one.
            due += self._every
            await scheduler.schedule(COMMUNITY, KIND, due, _key(due))
        self._next_due = due

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

    def _clear_partial(self) -> None:
        """Remove what a copy cut off by a crash left (it never got a backup's name)."""
        if self._folder.is_dir():
            for path in self._folder.glob("botschafter-*.db.partial"):
                path.unlink(missing_ok=True)

    def _prune(self) -> list[Path]:
        """Delete the oldest scheduled backups beyond the number to keep."""
        found = self._backups()
        doomed = found[: max(len(found) - self._keep, 0)]
        for path in doomed:
            path.unlink(missing_ok=True)
        return doomed

    async def _tell_admins(self, name: str, reason: str) -> None:
        """Post the failure to each community's admin channel (once per backup file name,
        should a retry outpace the clock). Telling is best effort: it is logged already."""
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
                            key=f"backup-failed:{name}:{community.key}",
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
