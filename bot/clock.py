"""Time as a dependency, so tests can run days of follow-ups in milliseconds."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, always timezone-aware UTC."""
        ...

    async def sleep_until(self, moment: datetime, wake: asyncio.Event) -> None:
        """Return at `moment` or as soon as `wake` is set, whichever comes first."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    async def sleep_until(self, moment: datetime, wake: asyncio.Event) -> None:
        delay = max((moment - self.now()).total_seconds(), 0.0)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(wake.wait(), timeout=delay)


class OffsetClock(SystemClock):
    """Wall-clock time that a person may move forward: ``wait 2d`` in the terminal lets
    them see tomorrow's follow-ups now, while everything else keeps running in real time."""

    def __init__(self) -> None:
        self._offset = timedelta(0)

    def now(self) -> datetime:
        return super().now() + self._offset

    def set(self, moment: datetime) -> None:
        """Jump forward to `moment`; time never runs backwards."""
        ahead = moment - self.now()
        if ahead > timedelta(0):
            self._offset += ahead


class VirtualClock:
    """A clock that moves only when told; sleepers wake when it passes their moment."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
        self._moved = asyncio.Condition()

    def now(self) -> datetime:
        return self._now

    def set(self, moment: datetime) -> None:
        if moment > self._now:
            self._now = moment

    def advance(self, delta: timedelta) -> None:
        self.set(self._now + delta)

    async def sleep_until(self, moment: datetime, wake: asyncio.Event) -> None:
        # Virtual time never passes by itself: `LocalSession.advance_to` steps it.
        if moment > self._now:
            await wake.wait()
