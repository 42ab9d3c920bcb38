"""A newcomer's first message, for the insights figure "posted within 7 days of joining".

Every message passes here, so the common case must cost nothing: members already known
to have posted (or to have nothing to mark) are kept in memory and skipped, and so are
members the platform says joined more than `FIRST_WEEK` ago (their first post can no
longer count, so after a restart the regulars cost no write either); anyone else costs one
UPDATE that changes a row only on a joined member's first post after joining.
The memory is bounded; a member pushed out of it only costs one more UPDATE that
changes nothing.
"""

from __future__ import annotations

from collections import OrderedDict
from datetime import datetime, timedelta

from bot.model import Member
from storage.welcome import WelcomeRepository

# Members remembered as done (key, id): a few MB at most, however large the community.
REMEMBERED = 50_000
# The insights count a first post within a week of joining (storage/insights.py).
FIRST_WEEK = timedelta(days=7)


class FirstPosts:
    def __init__(self, newcomers: WelcomeRepository, remembered: int = REMEMBERED) -> None:
        self._newcomers = newcomers
        self._remembered = remembered
        self._done: OrderedDict[tuple[str, str], None] = OrderedDict()

    def known(self, author: Member) -> bool:
        """Whether `author` is remembered as done: then `posted` has nothing to do, and the
        caller need not even read the clock for it (every message asks this)."""
        key = (author.community.key, author.id)
        if key in self._done:
            self._done.move_to_end(key)
            return True
        return False

    async def posted(self, author: Member, at: datetime) -> None:
        if self.known(author):
            return
        key = (author.community.key, author.id)
        joined = author.joined_at
        if joined is None or at - joined <= FIRST_WEEK:
            await self._newcomers.record_first_post(key[0], key[1], at)
        self._done[key] = None
        if len(self._done) > self._remembered:
            self._done.popitem(last=False)

    def joined(self, member: Member) -> None:
        """A (re)join starts the count again: their next message is a first post."""
        self._done.pop((member.community.key, member.id), None)
