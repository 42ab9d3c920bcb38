"""Which MESSAGE_UPDATEs are edits: a pin, a thread or a link preview is not.

Discord sends MESSAGE_UPDATE for every change to a message: its text, but also a pin, a
thread started from it, an embed or link preview unfurled a moment after posting. Only an
edit of what the member wrote is checked again by moderation.

- A message in discord.py's cache is edited when its content or its ``edited_timestamp``
  changed (an edit that only removes an attachment changes the timestamp alone).
- A message not in the cache (after a restart, or on a busy server where the cache has
  moved on) has no "before". Its update is an edit when it carries an ``edited_timestamp``
  that was not checked already. Each checked timestamp is remembered per message, so a
  pin of a message edited while the bot was running is not taken for another edit.
- For a message the memory does not know either, the timestamp must also be recent: a
  real edit's update arrives within moments of its ``edited_timestamp`` (a resumed
  session replays missed events within minutes), while a pin of a message edited last
  week carries last week's timestamp.

The memory lives in the process, not in the database: this is the hot path (no I/O), and
a rare second check after a restart is harmless, as moderation stores one hit per rule and
message and never flags the same rule twice.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

import discord

# How old an edited_timestamp may be and still count as a new edit of a message the bot
# knows nothing about: longer than a resumed session's replay, far shorter than the
# days between an edit and a pin.
FRESH_EDIT = timedelta(minutes=10)
# Messages whose last checked edit is remembered; the oldest are forgotten first.
REMEMBERED_MESSAGES = 10_000


class EditFilter:
    """Decides, per MESSAGE_UPDATE, whether the member edited the message."""

    def __init__(
        self,
        *,
        remembered: int = REMEMBERED_MESSAGES,
        fresh: timedelta = FRESH_EDIT,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        self._checked: OrderedDict[int, datetime] = OrderedDict()
        self._remembered = remembered
        self._fresh = fresh
        self._now = now or (lambda: discord.utils.utcnow())

    def is_edit(self, payload: discord.RawMessageUpdateEvent) -> bool:
        stamp = edited_at(payload.data)
        cached = payload.cached_message
        if cached is not None:
            edited = _content_changed(payload.data, cached) or (
                stamp is not None and stamp != cached.edited_at
            )
        else:
            edited = stamp is not None and self._new(payload.message_id, stamp)
        if stamp is not None:
            self._remember(payload.message_id, stamp)
        return edited

    def _new(self, message_id: int, stamp: datetime) -> bool:
        last = self._checked.get(message_id)
        if last is not None:
            return stamp != last
        return self._now() - stamp <= self._fresh

    def _remember(self, message_id: int, stamp: datetime) -> None:
        self._checked[message_id] = stamp
        self._checked.move_to_end(message_id)
        while len(self._checked) > self._remembered:
            self._checked.popitem(last=False)


def edited_at(data: Mapping[str, Any]) -> datetime | None:
    """The update's ``edited_timestamp``; absent or null when the text was never edited."""
    return discord.utils.parse_time(data.get("edited_timestamp"))


def _content_changed(data: Mapping[str, Any], cached: discord.Message) -> bool:
    return "content" in data and data["content"] != cached.content
