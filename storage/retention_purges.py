"""Personal texts kept only while moderators need them (docs/privacy.md, "How long").

A flag keeps a snapshot of the messages behind it (and the words a rule matched) so
moderators can decide even after the author deleted the message, and a report keeps the
reporter's text. Once the flag is settled, both are needed only for a while (an appeal, a
repeat offence); after the configured days they are blanked. The rows themselves stay, so
counts, the infractions record and the flag's history are unchanged. Both offer
``prune(before, limit)`` for `bot.retention.Pruner`.
"""

from __future__ import annotations

from datetime import datetime

from storage.database import Database
from storage.timestamps import to_db

_SETTLED_BEFORE = (
    "SELECT id FROM moderation_flags WHERE status = 'settled'"
    " AND COALESCE(acted_at, last_activity_at) < ?"
)


class FlagSnapshots:
    """Message snapshots (excerpts) and matched words of flags settled before a time."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def prune(self, before: datetime, limit: int) -> int:
        """Blank up to `limit` snapshots and as many matched words; how many went."""
        cutoff = to_db(before)
        messages = await self._db.execute(
            "UPDATE moderation_flag_messages SET excerpt = '' WHERE id IN (SELECT id FROM"
            " moderation_flag_messages WHERE excerpt <> ''"
            f" AND flag_id IN ({_SETTLED_BEFORE}) LIMIT ?)",
            (cutoff, limit),
        )
        words = await self._db.execute(
            "UPDATE moderation_hits SET matched = '' WHERE id IN (SELECT id FROM"
            f" moderation_hits WHERE matched <> '' AND flag_id IN ({_SETTLED_BEFORE}) LIMIT ?)",
            (cutoff, limit),
        )
        return messages + words


class ReportTexts:
    """What reporters wrote, on flags settled before a time."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def prune(self, before: datetime, limit: int) -> int:
        return await self._db.execute(
            "UPDATE moderation_reports SET reason = '' WHERE id IN (SELECT id FROM"
            f" moderation_reports WHERE reason <> '' AND flag_id IN ({_SETTLED_BEFORE})"
            " LIMIT ?)",
            (to_db(before), limit),
        )
