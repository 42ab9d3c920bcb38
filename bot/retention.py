"""Forgetting what is finished, so tables that grow with every event stay bounded.

Every table that keeps finished rows (jobs done or given up, outbox entries delivered,
the marks of reactions on flags and tickets since closed) offers ``prune(before, limit)``:
delete at most `limit` rows (for marks: messages) finished before `before`, say how many.
The `Pruner` runs them from the scheduler's loop at most once per `PRUNE_INTERVAL`, in
batches of one short transaction each, so it never holds the database for long. Adding a
table is one line in `pruner_for`.

Why rows are kept for weeks: a finished row is what makes work idempotent.
`JobRepository.upsert` refuses a key whose job already ran and the outbox adds nothing for
a key it already holds; that keeps a replayed event (Slack retries within the hour, a
Discord resume, handlers re-run after a crash and however long an outage) from arming a
follow-up or posting a notice twice. Once a row is pruned its key could be armed again, so
the retention (``BOTSCHAFTER_RETENTION_DAYS``, at least a week) is far longer than any
replay reaches back.

Personal texts have periods of their own (docs/privacy.md): the message snapshots of
settled flags (``BOTSCHAFTER_SNAPSHOT_RETENTION_DAYS``) and the texts of reports
(``BOTSCHAFTER_REPORT_TEXT_RETENTION_DAYS``), 90 days by default, are blanked by the same
loop (`storage.retention_purges`). The loop is durable in the sense that matters: what is
due is read from the database at every pass, and a pass runs at every start, so a purge a
stopped bot missed happens when it comes back. The log says how many rows went, never
what they held.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from bot.clock import Clock
from bot.settings import Settings
from storage.database import Database
from storage.jobs import JobRepository
from storage.outbox import OutboxRepository
from storage.reaction_marks import ReactionMarks
from storage.retention_purges import FlagSnapshots, ReportTexts
from storage.watch_notices import WatchNoticePrune

log = logging.getLogger(__name__)

# Rows deleted per transaction: a few milliseconds of SQLite's single writer, so a job or
# a delivery waiting to write is never held up noticeably.
BATCH_SIZE = 500
# Batches per table and pass (10,000 rows). The first pass over months of history stops
# there and the next one follows after `BACKLOG_PAUSE`, letting due jobs run in between.
MAX_BATCHES = 20
# Finished rows accumulate slowly and cost nothing while they wait: hourly is plenty.
PRUNE_INTERVAL = timedelta(hours=1)
BACKLOG_PAUSE = timedelta(minutes=1)


class Prunable(Protocol):
    async def prune(self, before: datetime, limit: int) -> int:
        """Delete up to `limit` rows finished before `before`; return how many."""
        ...


@dataclass(frozen=True, slots=True)
class RetentionPeriods:
    """How long each kind of data is kept, in days; what `/privacy info` tells members."""

    finished_rows: int = 30
    snapshots: int = 90
    report_texts: int = 90

    @classmethod
    def of(cls, settings: Settings) -> RetentionPeriods:
        return cls(
            settings.retention_days,
            settings.snapshot_retention_days,
            settings.report_text_retention_days,
        )


def pruner_for(db: Database, settings: Settings, clock: Clock) -> Pruner:
    """Every table of finished rows, pruned after the configured retention, and the
    personal texts purged after theirs."""
    periods = RetentionPeriods.of(settings)
    tables: list[Prunable | tuple[Prunable, timedelta]] = [
        JobRepository(db),
        OutboxRepository(db),
        ReactionMarks(db),
        (FlagSnapshots(db), timedelta(days=periods.snapshots)),
        (ReportTexts(db), timedelta(days=periods.report_texts)),
        (WatchNoticePrune(db), timedelta(days=periods.snapshots)),
    ]
    return Pruner(tables, timedelta(days=periods.finished_rows), clock)


class Pruner:
    def __init__(
        self,
        tables: Sequence[Prunable | tuple[Prunable, timedelta]],
        retention: timedelta,
        clock: Clock,
        *,
        batch_size: int = BATCH_SIZE,
    ) -> None:
        """`tables` are pruned after `retention`, or after the period paired with them."""
        self._tables = [t if isinstance(t, tuple) else (t, retention) for t in tables]
        self._clock = clock
        self._batch_size = batch_size
        self._due_at: datetime | None = None  # the first pass runs at once

    @property
    def due_at(self) -> datetime:
        """When `run_if_due` will next have work to do."""
        return self._due_at or self._clock.now()

    async def run_if_due(self) -> int:
        """Prune if a pass is due; returns how many rows went. Never raises: a failure is
        logged and tried again at the next interval, while jobs keep firing."""
        now = self._clock.now()
        # Not `self.due_at`: before the first pass that reads the clock again, a moment
        # later than `now` on a real clock, so the first pass never ran and the scheduler
        # loop woke for it over and over (issue 15's pipeline profile).
        if self._due_at is not None and now < self._due_at:
            return 0
        try:
            pruned, more = await self._run(now)
        except Exception:
            log.exception("could not prune finished rows; trying again in %s", PRUNE_INTERVAL)
            self._due_at = now + PRUNE_INTERVAL
            return 0
        self._due_at = now + (BACKLOG_PAUSE if more else PRUNE_INTERVAL)
        return pruned

    async def _run(self, now: datetime) -> tuple[int, bool]:
        """One pass over every table; whether some table has more to prune."""
        counts: dict[str, int] = {}
        more = False
        for table, retention in self._tables:
            counts[type(table).__name__], left = await self._prune(table, now - retention)
            more = more or left
        total = sum(counts.values())
        if total:
            shown = ", ".join(f"{name} {count}" for name, count in counts.items() if count)
            log.info("pruned %d row(s) past their retention: %s", total, shown)
        return total, more

    async def _prune(self, table: Prunable, before: datetime) -> tuple[int, bool]:
        pruned = 0
        for _ in range(MAX_BATCHES):
            deleted = await table.prune(before, self._batch_size)
            pruned += deleted
            if deleted < self._batch_size:
                return pruned, False
            await asyncio.sleep(0)  # let a waiting writer in between batches
        return pruned, True
