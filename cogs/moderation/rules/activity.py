"""Each author's recent posts, for rules that look at more than one message.

Where they are kept is pluggable (`WindowStore`): one process serving a community keeps them
in memory (`RecentActivity`, the fastest); several processes sharing a community's messages
(Slack replicas, on PostgreSQL) keep them in the database, so each sees every post
(`cogs.moderation.windows`). The rules read the same `Post` sequence either way.

Memory is bounded twice: per author by a fixed number of posts, and overall by the
number of authors, forgetting whoever posted least recently. Authors who went quiet
for longer than the horizon are dropped a few at a time as others post.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import NamedTuple, Protocol

# The longest window a rule may look back over (its settings are validated to stay within
# it): a post older than this can no longer decide anything, wherever it is kept.
MAX_WINDOW = timedelta(hours=1)

# Posts kept per author. Burst limits are validated to stay below this, so a full
# window always fits; 64 posts of a few numbers each is a few kilobytes per author.
MAX_POSTS_PER_AUTHOR = 64

# Authors remembered at once. Ten thousand people posting inside one spam window is far
# more than a community bot sees; past that the least recently active are forgotten.
DEFAULT_MAX_AUTHORS = 10_000

# Quiet authors forgotten per post at most. After a lull thousands may have gone quiet
# at once; dropping them a few at a time keeps every check fast, and since each post adds
# at most one author, memory still shrinks back.
_FORGET_PER_POST = 4


class Post(NamedTuple):
    """What the window rules need to remember of one message (a tuple: made per message)."""

    at: datetime
    channel_id: str
    fingerprint: int  # CRC-32 of the folded words: equal for copies, in every process
    length: int  # folded characters, so short replies ("ok") don't count as copies
    mentions: int


class WindowStore(Protocol):
    """Where each author's recent posts are kept for the window rules."""

    async def record(
        self, community: str, author: str, post: Post, horizon: timedelta, message_id: str
    ) -> Sequence[Post]:
        """Remember `post`; return the author's posts within `horizon` of it, oldest first,
        this one last, as every post before it was recorded (wherever it was heard).

        Recording the same `message_id` again (a check run again after it lost a race with
        another process) returns the window it got the first time and counts it once.
        """
        ...


class RecentActivity:
    """Recent posts per (community, author); shared by all rule sets, outlives swaps."""

    def __init__(self, max_authors: int = DEFAULT_MAX_AUTHORS) -> None:
        self._max_authors = max_authors
        self._posts: OrderedDict[tuple[str, str], deque[Post]] = OrderedDict()

    def __len__(self) -> int:
        """How many authors are remembered."""
        return len(self._posts)

    def record(self, community: str, author: str, post: Post, horizon: timedelta) -> Sequence[Post]:
        """Remember `post`; return the author's posts within `horizon` of it, oldest first.

        The result is a live view, valid until the next call.
        """
        key = (community, author)
        authors = self._posts
        posts = authors.get(key)
        cutoff = post.at - horizon
        if posts is None:
            posts = authors[key] = deque((post,), MAX_POSTS_PER_AUTHOR)
        else:
            authors.move_to_end(key)
            posts.append(post)
            while posts[0].at < cutoff:
                posts.popleft()
        self._forget_quiet_authors(cutoff)
        return posts

    def _forget_quiet_authors(self, cutoff: datetime) -> None:
        """Drop authors beyond the limit and a few silent since `cutoff`, oldest first."""
        authors = self._posts
        if len(authors) > self._max_authors:
            authors.popitem(last=False)
        for _ in range(_FORGET_PER_POST):
            if next(iter(authors.values()))[-1].at >= cutoff:
                return
            authors.popitem(last=False)


class MemoryWindows:
    """`RecentActivity` as a `WindowStore`: for a process that hears all of a community's
    messages (one process, or the Discord process that owns the community's shard)."""

    def __init__(self, activity: RecentActivity | None = None) -> None:
        self.activity = activity or RecentActivity()

    async def record(
        self, community: str, author: str, post: Post, horizon: timedelta, message_id: str
    ) -> Sequence[Post]:
        # One process on SQLite: no race to lose, no check runs twice.
        return self.activity.record(community, author, post, horizon)
