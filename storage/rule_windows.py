"""Each author's recent posts in the database, for moderation rules that count over a time
window (bursts, repeated messages, mention spam) when several processes hear one
community's messages.

Slack replicas (HTTP behind a load balancer, or several Socket Mode connections) each hear
a share of a workspace's messages. If each remembered only the posts it heard, a burst
split between two would reach neither's limit. Here every process records each post and
reads the author's window back in one transaction that first updates the author's row:
the row lock is held until commit, so one author's posts are recorded one at a time,
numbered in that order, and each sees exactly the posts recorded before it. Two processes
hearing a burst's messages together therefore judge them as one process would, and the
message that crosses a limit is crossed once. (On PostgreSQL's REPEATABLE READ a post that
waited for the lock is rolled back and recorded again, `Database.atomic` does that, with a
snapshot that holds the other post.) A message is stored once: recorded again (its check
lost a race elsewhere and runs again) it gets the window it got the first time.

The table stays small: recording deletes the author's posts that fell out of the window,
and `forget_before` (run by the caller every minute or so) deletes every author who went
quiet for longer than the longest window. Only fingerprints are stored, never the text.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import NamedTuple

from storage.database import Database, Transaction
from storage.timestamps import from_db, to_db


class WindowPost(NamedTuple):
    """What the window rules need of one post (the rule engine's `Post`, field for field)."""

    at: datetime
    channel_id: str
    fingerprint: int
    length: int
    mentions: int


class RuleWindowRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def record(
        self,
        community: str,
        author: str,
        post: WindowPost,
        horizon: timedelta,
        keep: int,
        message_id: str | None = None,
    ) -> list[WindowPost]:
        """Store `post` (message `message_id`, if known: stored once); return the author's
        last `keep` posts within `horizon` of it, oldest first, `post` last."""

        async def work(tx: Transaction) -> list[WindowPost]:
            at = to_db(post.at)
            # First, the author's row: its lock orders this author's posts (see above).
            await tx.execute(
                "INSERT INTO rule_window_authors (community, author, last_at) VALUES (?, ?, ?)"
                " ON CONFLICT (community, author) DO UPDATE SET last_at = CASE"
                " WHEN excluded.last_at > rule_window_authors.last_at"
                " THEN excluded.last_at ELSE rule_window_authors.last_at END",
                (community, author, at),
            )
            cutoff = to_db(post.at - horizon)
            await tx.execute(
                "DELETE FROM rule_window_posts WHERE community = ? AND author = ? AND at < ?",
                (community, author, cutoff),
            )
            mine = await tx.insert(
                "INSERT INTO rule_window_posts (community, author, at, channel_id, message_id,"
                " fingerprint, length, mentions) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (community, channel_id, message_id)"
                " DO UPDATE SET length = rule_window_posts.length",  # keeps it; returns its id
                (
                    community,
                    author,
                    at,
                    post.channel_id,
                    message_id,
                    post.fingerprint,
                    post.length,
                    post.mentions,
                ),
            )
            rows = await tx.fetch_all(
                "SELECT at, channel_id, fingerprint, length, mentions FROM rule_window_posts"
                " WHERE community = ? AND author = ? AND at >= ? AND id <= ?"
                " ORDER BY id DESC LIMIT ?",
                (community, author, cutoff, mine, keep),
            )
            return [
                WindowPost(
                    from_db(row["at"]),
                    row["channel_id"],
                    int(row["fingerprint"]),
                    int(row["length"]),
                    int(row["mentions"]),
                )
                for row in reversed(rows)
            ]

        return await self._db.atomic(work)

    async def forget_before(self, before: datetime) -> int:
        """Delete the posts from before `before`, and the authors with none since; returns
        how many posts went."""

        async def work(tx: Transaction) -> int:
            moment = to_db(before)
            posts = await tx.execute("DELETE FROM rule_window_posts WHERE at < ?", (moment,))
            await tx.execute("DELETE FROM rule_window_authors WHERE last_at < ?", (moment,))
            return posts

        return await self._db.atomic(work)

    async def count(self, community: str) -> int:
        """How many posts are kept for `community` (for tests and the curious)."""
        value = await self._db.fetch_value(
            "SELECT COUNT(*) FROM rule_window_posts WHERE community = ?", (community,)
        )
        return int(value or 0)
