"""Reactions already acted on, so a reaction is handled once whether it arrived live or was
found on a message after a reconnect (see `bot.reconcile`)."""

from __future__ import annotations

from datetime import datetime

from storage.database import Database
from storage.timestamps import to_db

# The messages whose marks are no longer needed: flag posts settled, appeal posts decided,
# and ticket trackers no longer active, untouched since the cutoff. A catch-up reads only
# open items' messages, and a live reaction on them does nothing once the item is closed,
# so their marks only take room. (A ticket reopened after that acts on its tracker's
# reactions as on a fresh one; its handlers are idempotent per state, so a vote is still
# counted once.)
_CLOSED_MESSAGES = (
    "SELECT community, post_channel_id AS channel_id, post_message_id AS message_id"
    " FROM moderation_flags"
    " WHERE status = 'settled' AND last_activity_at < ? AND post_message_id IS NOT NULL"
    " UNION SELECT community, post_channel_id, post_message_id FROM moderation_appeals"
    " WHERE status <> 'open' AND decided_at < ? AND post_message_id IS NOT NULL"
    " UNION SELECT community, channel_id, tracker_message_id FROM tickets"
    " WHERE active = 0 AND updated_at < ? AND tracker_message_id IS NOT NULL"
)


class ReactionMarks:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def claim(
        self,
        community: str,
        channel_id: str,
        message_id: str,
        emoji: str,
        user_id: str,
    ) -> bool:
        """Mark the reaction as handled; False if it already was (atomically: of a live
        event and a catch-up finding the same reaction, exactly one wins)."""
        inserted = await self._db.execute(
            "INSERT INTO reaction_marks"
            " (community, channel_id, message_id, emoji, user_id) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (community, channel_id, message_id, emoji, user_id) DO NOTHING",
            (community, channel_id, message_id, emoji, user_id),
        )
        return inserted == 1

    async def finish(
        self, community: str, channel_id: str, message_id: str, emoji: str, user_id: str
    ) -> None:
        """The claimed reaction was handled."""
        await self._db.execute(
            "UPDATE reaction_marks SET done = 1 WHERE community = ? AND channel_id = ?"
            " AND message_id = ? AND emoji = ? AND user_id = ?",
            (community, channel_id, message_id, emoji, user_id),
        )

    async def unfinished(self) -> list[tuple[str, str, str, str, str]]:
        """Claims a crash left unfinished: (community, channel, message, emoji, user)."""
        rows = await self._db.fetch_all(
            "SELECT community, channel_id, message_id, emoji, user_id FROM reaction_marks"
            " WHERE done = 0"
        )
        return [
            (r["community"], r["channel_id"], r["message_id"], r["emoji"], r["user_id"])
            for r in rows
        ]

    async def release(
        self, community: str, channel_id: str, message_id: str, emoji: str, user_id: str
    ) -> bool:
        """The reaction was taken off; False if it was not marked."""
        removed = await self._db.execute(
            "DELETE FROM reaction_marks WHERE community = ? AND channel_id = ?"
            " AND message_id = ? AND emoji = ? AND user_id = ?",
            (community, channel_id, message_id, emoji, user_id),
        )
        return removed == 1

    async def prune(self, before: datetime, limit: int) -> int:
        """Forget the marks on up to `limit` messages of flags, appeals and tickets closed
        and untouched since `before` (see `bot.retention`); returns how many marks went."""
        cutoff = to_db(before)
        return await self._db.execute(
            "DELETE FROM reaction_marks WHERE (community, channel_id, message_id) IN"
            " (SELECT DISTINCT m.community, m.channel_id, m.message_id FROM reaction_marks m"
            f" JOIN ({_CLOSED_MESSAGES}) c"
            " ON m.community = c.community AND m.channel_id = c.channel_id"
            " AND m.message_id = c.message_id LIMIT ?)",
            (cutoff, cutoff, cutoff, limit),
        )

    async def marked(
        self, community: str, channel_id: str, message_id: str
    ) -> set[tuple[str, str]]:
        """The (emoji, user id) pairs marked on one message."""
        rows = await self._db.fetch_all(
            "SELECT emoji, user_id FROM reaction_marks"
            " WHERE community = ? AND channel_id = ? AND message_id = ?",
            (community, channel_id, message_id),
        )
        return {(row["emoji"], row["user_id"]) for row in rows}
