"""The bounded door between adapters and the dispatcher.

Adapters hand every event to `EventIntake.put`, which returns once the event was handled
(or shed). At most `MAX_PENDING_EVENTS` events are admitted and not yet handled; when the
bot falls that far behind:

- plain messages (posted or edited) are shed, and a WARNING line says how many;
- everything else (commands, buttons, forms, message actions, joins, reactions) waits for
  room, so the platform's event task waits too (backpressure), and a line says the bot is
  slowing down. Both lines are written at most once per `REPORT_INTERVAL_SECONDS`.

Messages and reactions of one channel are handled one at a time, in arrival order: a
member's edit never overtakes their post, a removed reaction never its adding. Other
events run at once, side by side, as before. The event that is first in its channel runs
in the caller's own task, so the usual case (nobody waiting) adds a counter and a dict
look-up to the hot path, no task switch.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Hashable
from typing import Any

from bot.events import Event, MessageEdited, MessagePosted, ReactionAdded, ReactionRemoved
from bot.model import ChannelRef

log = logging.getLogger(__name__)

Dispatch = Callable[[Event], Awaitable[None]]

# Events admitted and not yet handled, at most. A busy server peaks at about a hundred
# messages a second, so this is ten seconds of backlog: a message moderated later than that
# has been read by everyone already, and holding more would only grow memory.
MAX_PENDING_EVENTS = 1000
# An overload lasts minutes; one line per shed message would bury every other log line.
REPORT_INTERVAL_SECONDS = 10.0
# What may be shed: only messages. A lost join is a member never welcomed, a lost reaction a
# moderator's decision undone, a lost command a member left without an answer.
SHEDDABLE: frozenset[type[Event]] = frozenset({MessagePosted, MessageEdited})


class EventIntake:
    def __init__(
        self,
        dispatch: Dispatch,
        *,
        limit: int = MAX_PENDING_EVENTS,
        report_every: float = REPORT_INTERVAL_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._dispatch = dispatch
        self._limit = limit
        self._pending = 0  # admitted and not yet handled
        self._room: deque[asyncio.Future[None]] = deque()  # waiting to be admitted
        # A channel in use: the events waiting for their turn in it (None: nobody waits).
        self._lanes: dict[Hashable, deque[asyncio.Future[None]] | None] = {}
        self._shed = _Report("shed %d message event(s)", report_every, monotonic, limit)
        self._waited = _Report(
            "the bot is slowing down: %d event(s) waited for room", report_every, monotonic, limit
        )

    async def put(self, event: Event) -> None:
        """Handle `event` in turn; returns when it was handled, or at once if shed."""
        if self._pending < self._limit and not self._room:
            self._pending += 1
        elif type(event) in SHEDDABLE:
            self._shed.count()
            return
        else:
            self._waited.count()
            await self._wait_for_room()
        try:
            if self._shed.unreported or self._waited.unreported:
                self._shed.report_if_due()
                self._waited.report_if_due()
            channel_of = _CHANNEL_OF.get(type(event))
            if channel_of is None:
                await self._dispatch(event)
            else:
                await self._in_lane(_key(channel_of(event)), event)
        finally:
            self._leave()

    async def _in_lane(self, key: Hashable, event: Event) -> None:
        if key in self._lanes:
            await self._wait_for_turn(key)
        else:
            self._lanes[key] = None
        try:
            await self._dispatch(event)
        finally:
            self._next_in_lane(key)

    async def _wait_for_room(self) -> None:
        turn = asyncio.get_running_loop().create_future()
        self._room.append(turn)
        try:
            await turn
        except asyncio.CancelledError:
            if turn.cancelled():
                self._room.remove(turn)
            else:  # admitted just as it was cancelled: give the place on
                self._leave()
            raise

    def _leave(self) -> None:
        """An admitted event is done: admit the next one waiting, or free its place."""
        while self._room:
            turn = self._room.popleft()
            if not turn.done():
                turn.set_result(None)
                return
        self._pending -= 1

    async def _wait_for_turn(self, key: Hashable) -> None:
        waiting = self._lanes[key]
        if waiting is None:
            self._lanes[key] = waiting = deque()
        turn = asyncio.get_running_loop().create_future()
        waiting.append(turn)
        try:
            await turn
        except asyncio.CancelledError:
            if turn.cancelled():
                waiting.remove(turn)
            else:  # its turn came just as it was cancelled: hand the turn on
                self._next_in_lane(key)
            raise

    def _next_in_lane(self, key: Hashable) -> None:
        """Give the channel to the next event waiting in it, or close it."""
        waiting = self._lanes[key]
        while waiting:
            turn = waiting.popleft()
            if not turn.done():
                turn.set_result(None)
                return
        del self._lanes[key]


# The channel whose events must keep their order; other events run in any order.
_CHANNEL_OF: dict[type[Event], Callable[[Any], ChannelRef]] = {
    MessagePosted: lambda event: event.message.ref.channel,
    MessageEdited: lambda event: event.message.ref.channel,
    ReactionAdded: lambda event: event.message.channel,
    ReactionRemoved: lambda event: event.message.channel,
}


def _key(channel: ChannelRef) -> Hashable:
    # Not the ChannelRef itself: its name may change between two events of one channel.
    return (channel.community.platform, channel.community.id, channel.id)


class _Report:
    """Counts occurrences and logs them at most once per interval, with the count."""

    def __init__(
        self, what: str, interval: float, monotonic: Callable[[], float], limit: int
    ) -> None:
        self._what = what
        self._interval = interval
        self._monotonic = monotonic
        self._limit = limit
        self._last = -interval
        self.unreported = 0

    def count(self) -> None:
        self.unreported += 1
        self.report_if_due()

    def report_if_due(self) -> None:
        now = self._monotonic()
        if not self.unreported or now - self._last < self._interval:
            return
        log.warning(
            f"event queue full ({self._limit} events waiting): {self._what} since the last report",
            self.unreported,
        )
        self._last = now
        self.unreported = 0
