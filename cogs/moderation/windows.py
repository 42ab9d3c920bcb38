"""Where the window rules (bursts, repeated messages, mention spam) keep recent posts.

One process on SQLite hears every message of its communities: memory is exact and fastest.
On PostgreSQL several processes may share one community's messages (Slack replicas, a
standby taking over), so the posts are kept in the database (`storage.rule_windows`), and
a burst split between processes is judged as one process would judge it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from cogs.moderation.rules.activity import (
    MAX_POSTS_PER_AUTHOR,
    MAX_WINDOW,
    MemoryWindows,
    Post,
    WindowStore,
)
from storage.database import Database
from storage.rule_windows import RuleWindowRepository, WindowPost

log = logging.getLogger(__name__)

# How often a process deletes the posts of authors who went quiet (each author's own old
# posts go whenever they post again). Once a minute keeps the table to about an hour and a
# minute of posts, at the cost of one indexed delete a minute.
SWEEP_INTERVAL = timedelta(minutes=1)


def window_store(db: Database) -> WindowStore:
    """The database on PostgreSQL (several processes possible), else this process's memory."""
    if db.backend == "postgresql":
        return SharedWindows(RuleWindowRepository(db))
    return MemoryWindows()


class SharedWindows:
    """A `WindowStore` in the database, seen alike by every process."""

    def __init__(self, repo: RuleWindowRepository) -> None:
        self._repo = repo
        self._swept_at: datetime | None = None

    async def record(
        self, community: str, author: str, post: Post, horizon: timedelta, message_id: str
    ) -> Sequence[Post]:
        rows = await self._repo.record(
            community,
            author,
            WindowPost._make(post),
            horizon,
            MAX_POSTS_PER_AUTHOR,
            message_id or None,
        )
        await self._sweep_if_due(post.at)
        return [Post._make(row) for row in rows]

    async def _sweep_if_due(self, now: datetime) -> None:
        if self._swept_at is not None and now - self._swept_at < SWEEP_INTERVAL:
            return
        self._swept_at = now
        forgotten = await self._repo.forget_before(now - MAX_WINDOW)
        if forgotten:
            log.debug("forgot %d post(s) older than the longest rule window", forgotten)
