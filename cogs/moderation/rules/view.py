"""A message as the rules read it: everything, the folded text too, worked out on demand.

Most messages break no rule, so most derived forms are never needed; the view computes
each at most once and only when a rule asks.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from cogs.moderation.rules._tokens import plain_words
from cogs.moderation.rules._urls import Link, find_links
from cogs.moderation.rules.activity import Post
from cogs.moderation.rules.model import CheckedMessage
from cogs.moderation.rules.normalise import Folded, fold

# Mention markup: Discord users, nicknames and roles (<@1>, <@!1>, <@&1>), Slack users
# and user groups (<@U1>, <!subteam^S1>).
# A label ends at the next "<" too: with `[^>]*`, every unclosed "<@U1|" rescanned the
# rest of the text, quadratic in its length.
_MENTION_MARKUP = re.compile(r"<@[!&]?\w+(?:\|[^<>]*)?>|<!subteam\^\w+")


class MessageView:
    """One message under check, with what the rules share about it."""

    __slots__ = (
        "_folded",
        "_folded_bytes",
        "_folded_text",
        "_links",
        "_plain",
        "message",
        "recent",
    )

    def __init__(self, message: CheckedMessage) -> None:
        self.message = message
        self.recent: Sequence[Post] = ()  # the author's recent posts, this one last
        self._folded_text: str | None = None
        self._folded_bytes: bytes | None = None
        self._plain: list[bytes] | None = None
        self._folded: Folded | None = None
        self._links: list[Link] | None = None

    @property
    def folded_text(self) -> str:
        """The text folded (`normalise.fold`): what most rules read. Rules that read the
        text as typed (credentials, mass mentions) never need it."""
        if self._folded_text is None:
            self._folded_text = fold(self.message.text)
        return self._folded_text

    @property
    def folded_bytes(self) -> bytes:
        """`folded_text` as UTF-8, for the byte-level searches."""
        if self._folded_bytes is None:
            self._folded_bytes = self.folded_text.encode()
        return self._folded_bytes

    @property
    def plain(self) -> list[bytes]:
        """The folded words (letters and digits), as the pre-filters read them."""
        if self._plain is None:
            self._plain = plain_words(self.folded_bytes)
        return self._plain

    @property
    def links(self) -> list[Link]:
        """Web links and invite-like links in the folded text."""
        if self._links is None:
            self._links = find_links(self.folded_text, self.plain)
        return self._links

    @property
    def mention_count(self) -> int:
        """Members and roles mentioned: the platform's count or the markup's, the higher."""
        text = self.message.text
        if "<@" not in text and "<!" not in text:
            return self.message.mention_count
        return max(self.message.mention_count, len(_MENTION_MARKUP.findall(text)))

    def original(self, start: int, end: int) -> tuple[str, tuple[int, int]]:
        """What was typed where the folded text has [start, end), and that span."""
        if self._folded is None:
            self._folded = Folded.of(self.message.text)
        span = self._folded.original_span(start, end)
        return self.message.text[span[0] : span[1]], span
