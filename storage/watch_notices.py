"""The ambassadors' watch-word notices: one per member, topic and window, counting repeats.

A member who mentions "refund" five times in an hour is one thing to follow up, not five,
so the notice about them and that topic is kept here and each repeat counts on it. Every
change is made in the caller's transaction, together with the outbox entry (post or edit)
that shows it, so a restart neither loses a repeat nor posts a notice twice.

With several processes on one database, two repeats of one member may be checked at the
same moment: `note` takes the community's turn (`storage.locks`) before it reads, so the
second sees the first one's count instead of both opening a notice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from storage.database import Database, Row, Transaction
from storage.locks import take_turn
from storage.timestamps import from_db, to_db

_TURN = "watch-notices"


@dataclass(frozen=True, slots=True)
class Mention:
    """One message that mentioned a watched topic."""

    member_id: str
    author_name: str
    topic: str
    channel_id: str
    channel_name: str
    excerpt: str
    permalink: str
    at: datetime


@dataclass(frozen=True, slots=True)
class WatchNotice:
    """The notice about one member and topic in its current round."""

    id: int
    community: str
    member_id: str
    topic: str
    round: int
    count: int  # mentions in this round
    shown: int  # the count the posted notice shows (0: not posted yet, -1: post failed)
    opened_at: datetime
    last_at: datetime
    author_name: str
    channel_id: str  # of the latest mention
    channel_name: str
    excerpt: str
    permalink: str
    post_channel_id: str | None
    post_message_id: str | None

    @property
    def posted(self) -> bool:
        return self.post_message_id is not None

    @property
    def failed(self) -> bool:
        """The round's post was refused (or is gone): the next repeat posts it again."""
        return self.shown < 0

    @property
    def new(self) -> bool:
        """The first mention of its round: the notice is still to be posted."""
        return self.count == 1


_COLUMNS = (
    "id, community, member_id, topic, round, count, shown, opened_at, last_at, author_name,"
    " channel_id, channel_name, excerpt, permalink, post_channel_id, post_message_id"
)


async def note(tx: Transaction, community: str, mention: Mention, window: timedelta) -> WatchNotice:
    """Count `mention` on the member's notice about its topic; a new round (a notice still
    to be posted) when there is none, its window is over, or its post was deleted."""
    await take_turn(tx, community, _TURN)
    current = await _current(tx, community, mention.member_id, mention.topic)
    latest = (
        mention.author_name,
        mention.channel_id,
        mention.channel_name,
        mention.excerpt,
        mention.permalink,
    )
    if current is None:
        await tx.execute(
            "INSERT INTO moderation_watch_notices (community, member_id, topic, round, count,"
            " opened_at, last_at, author_name, channel_id, channel_name, excerpt, permalink)"
            " VALUES (?, ?, ?, 1, 1, ?, ?, ?, ?, ?, ?, ?)",
            (
                community,
                mention.member_id,
                mention.topic,
                to_db(mention.at),
                to_db(mention.at),
                *latest,
            ),
        )
    elif mention.at - current.opened_at >= window:
        await tx.execute(
            "UPDATE moderation_watch_notices SET round = round + 1, count = 1, shown = 0,"
            " opened_at = ?, last_at = ?, author_name = ?, channel_id = ?, channel_name = ?,"
            " excerpt = ?, permalink = ?, post_channel_id = NULL, post_message_id = NULL"
            " WHERE id = ?",
            (to_db(mention.at), to_db(mention.at), *latest, current.id),
        )
    else:
        await tx.execute(
            "UPDATE moderation_watch_notices SET count = count + 1, last_at = ?,"
            " author_name = ?, channel_id = ?, channel_name = ?, excerpt = ?, permalink = ?"
            " WHERE id = ?",
            (to_db(mention.at), *latest, current.id),
        )
    noted = await _current(tx, community, mention.member_id, mention.topic)
    assert noted is not None  # written just above, in this transaction
    return noted


async def get(tx: Transaction, notice_id: int) -> WatchNotice | None:
    row = await tx.fetch_one(
        f"SELECT {_COLUMNS} FROM moderation_watch_notices WHERE id = ?", (notice_id,)
    )
    return None if row is None else _from(row)


async def posted(
    tx: Transaction, notice_id: int, round_: int, channel_id: str, message_id: str, shown: int
) -> WatchNotice | None:
    """The platform accepted the round's post showing `shown` mentions; None when the
    round is over already (a new one started meanwhile)."""
    changed = await tx.execute(
        "UPDATE moderation_watch_notices SET post_channel_id = ?, post_message_id = ?,"
        " shown = ? WHERE id = ? AND round = ?",
        (channel_id, message_id, shown, notice_id, round_),
    )
    return await get(tx, notice_id) if changed else None


async def shown(tx: Transaction, notice_id: int, round_: int, count: int) -> None:
    """An edit showing `count` mentions went through (a later one may have gone first)."""
    await tx.execute(
        "UPDATE moderation_watch_notices SET shown = ? WHERE id = ? AND round = ? AND shown < ?",
        (count, notice_id, round_, count),
    )


async def failed(tx: Transaction, notice_id: int, round_: int) -> None:
    """The platform refused the round's post: the next repeat posts it again."""
    await tx.execute(
        "UPDATE moderation_watch_notices SET shown = -1 WHERE id = ? AND round = ?"
        " AND post_message_id IS NULL",
        (notice_id, round_),
    )


async def retrying(tx: Transaction, notice_id: int, round_: int) -> None:
    """The refused post is sent again: it is on its way, so further repeats wait for it
    (and are edited in) instead of each posting the notice once more."""
    await tx.execute(
        "UPDATE moderation_watch_notices SET shown = 0 WHERE id = ? AND round = ? AND shown < 0",
        (notice_id, round_),
    )


async def lost(tx: Transaction, notice_id: int, round_: int) -> WatchNotice | None:
    """Someone deleted the round's post: it is posted again (the caller adds the post);
    returns the notice, or None when that round is over."""
    changed = await tx.execute(
        "UPDATE moderation_watch_notices SET post_channel_id = NULL, post_message_id = NULL,"
        " shown = 0 WHERE id = ? AND round = ? AND post_message_id IS NOT NULL",
        (notice_id, round_),
    )
    return await get(tx, notice_id) if changed else None


class WatchNoticePrune:
    """Notices quiet since before the snapshot retention go, with the excerpt they keep
    (`bot.retention`); a later mention simply starts a new notice."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def prune(self, before: datetime, limit: int) -> int:
        async with self._db.transaction() as tx:
            return await tx.execute(
                "DELETE FROM moderation_watch_notices WHERE id IN (SELECT id FROM"
                " moderation_watch_notices WHERE last_at < ? ORDER BY id LIMIT ?)",
                (to_db(before), limit),
            )


async def _current(
    tx: Transaction, community: str, member_id: str, topic: str
) -> WatchNotice | None:
    row = await tx.fetch_one(
        f"SELECT {_COLUMNS} FROM moderation_watch_notices"
        " WHERE community = ? AND member_id = ? AND topic = ?",
        (community, member_id, topic),
    )
    return None if row is None else _from(row)


def _from(row: Row) -> WatchNotice:
    return WatchNotice(
        id=int(row["id"]),
        community=row["community"],
        member_id=row["member_id"],
        topic=row["topic"],
        round=int(row["round"]),
        count=int(row["count"]),
        shown=int(row["shown"]),
        opened_at=from_db(row["opened_at"]),
        last_at=from_db(row["last_at"]),
        author_name=row["author_name"],
        channel_id=row["channel_id"],
        channel_name=row["channel_name"],
        excerpt=row["excerpt"],
        permalink=row["permalink"],
        post_channel_id=row["post_channel_id"],
        post_message_id=row["post_message_id"],
    )
