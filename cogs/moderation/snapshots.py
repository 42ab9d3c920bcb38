"""What a flag keeps of a message: enough to judge it after the message is gone.

Secrets never reach storage or the moderators' channel: spans the credential rule found
are replaced before anything is stored.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from bot.errors import PlatformError
from bot.model import PostedMessage
from bot.platform import Platform
from bot.text import excerpt
from storage.moderation import MessageSnapshot

log = logging.getLogger(__name__)

# Kept per flagged message; more than a flag shows, so the record still reads whole after
# the message is deleted, and bounded so a 4,000-character wall does not bloat storage.
STORED_CHARS = 1000
REDACTED = "[redacted]"


async def snapshot(
    platform: Platform,
    message: PostedMessage,
    now: datetime,
    redact: Sequence[tuple[int, int]] = (),
    language: str = "",
) -> MessageSnapshot:
    # A forward's own text is empty: the rules read, and the flag shows, what it carries.
    text = redacted(message.full_text, redact)
    if message.all_attachments:
        text += " 📎 " + ", ".join(a.filename for a in message.all_attachments)
    origin = _forwarded_from(message)
    try:
        link = await platform.permalink(message.ref)
    except PlatformError:
        log.warning("no permalink for message %s", message.ref.id)
        link = ""
    return MessageSnapshot(
        channel_id=message.ref.channel.id,
        channel_name=message.ref.channel.name,
        message_id=message.ref.id,
        author_id=message.author.id,
        author_name=message.author.shown_name,
        excerpt=excerpt(text, STORED_CHARS),
        permalink=link,
        posted_at=message.created_at or now,
        forwarded_from=origin[0] if origin else None,
        forwarded_from_name=origin[1] if origin else "",
        language=language,
    )


def _forwarded_from(message: PostedMessage) -> tuple[str, str] | None:
    """Where a forwarded message came from, for the flag: a channel of this community (id,
    name), or ('', '') for another community or an unknown place; None if not a forward."""
    if message.forwarded is None:
        return None
    origin = message.forwarded.origin
    if origin is None or origin.community != message.ref.community:
        return "", ""
    return origin.id, origin.name


def redacted(text: str, spans: Sequence[tuple[int, int]]) -> str:
    """Replace each span (start, end) of `text` with a marker; overlapping spans merge."""
    out: list[str] = []
    position = 0
    for start, end in sorted(s for s in spans if s[1] > s[0]):
        if start < position:  # overlaps the span before: widen that one
            position = max(position, end)
            continue
        out.append(text[position:start])
        out.append(REDACTED)
        position = end
    out.append(text[position:])
    return "".join(out)
