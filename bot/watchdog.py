"""Time limits for handlers and jobs, kept with one timer for all of them.

A handler that awaits something that never answers (a platform call during an outage, a
lock nobody releases) would otherwise hold its event or job for ever. `Watchdog.guard()`
bounds the awaits inside it: when the budget runs out, the task is cancelled and the guard
raises `DeadlineExceeded` instead, exactly as `asyncio.timeout` raises `TimeoutError`. A
cancellation that comes from elsewhere (shutdown) passes through untouched.

Why not `asyncio.timeout`: it arms a loop timer per call, which costs about 5 µs, ten times
what the dispatcher itself spends on a message (see ``python -m benchmarks.dispatch``).
Every guard of one watchdog has the same budget, so deadlines expire in the order they were
set: the watchdog keeps them in an insertion-ordered dict and arms a single timer for the
oldest. A call that ends in time costs a dict insert and a removal.
"""

from __future__ import annotations

import asyncio
from asyncio import current_task
from types import TracebackType
from typing import Any


class DeadlineExceeded(TimeoutError):
    """A guarded call ran past its watchdog's budget and was cancelled."""


class Watchdog:
    def __init__(self, seconds: float) -> None:
        if seconds <= 0:
            raise ValueError(f"a time limit must be positive, not {seconds!r}")
        self.seconds = seconds
        self._watched: dict[Guard, None] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._timer: asyncio.TimerHandle | None = None

    def guard(self, task: asyncio.Task[Any] | None = None) -> Guard:
        """A context manager that bounds the awaits inside it to `seconds`.

        Pass the current task if you have it at hand: looking it up costs more than the
        rest of the guard. It is looked up on the loop of the guards before, as long as
        that loop runs a task here: asking for the running loop costs a system call
        (CPython checks the process id, for forks), which on the message path took more
        time than the rest of the guard. A watchdog serves one event loop at a time.
        """
        if task is None:
            loop = self._loop
            task = (current_task(loop) if loop is not None else None) or current_task()
        if task is None:
            raise RuntimeError("a watchdog guards code running in a task")
        loop = task.get_loop()
        if loop is not self._loop:  # a new event loop (tests run one each): start afresh
            self._loop, self._timer = loop, None
            self._watched.clear()
        return Guard(self, task)

    def _arm(self, deadline: float) -> None:
        assert self._loop is not None
        self._timer = self._loop.call_at(deadline, self._expire)

    def _expire(self) -> None:
        """Cancel every guard past its deadline; re-arm for the oldest one left."""
        assert self._loop is not None
        self._timer = None
        now = self._loop.time()
        while self._watched:
            guard = next(iter(self._watched))
            if guard.deadline > now:
                self._arm(guard.deadline)
                return
            del self._watched[guard]
            guard.expired = True
            guard.task.cancel()


class Guard:
    """Bounded stretches of work in one task, one after another; see `Watchdog.guard`.

    Entering the same guard again starts a fresh budget, so the dispatcher makes one guard
    per event and enters it once for each handler.
    """

    __slots__ = ("_cancelling", "_time", "_watchdog", "deadline", "expired", "task")

    def __init__(self, watchdog: Watchdog, task: asyncio.Task[Any]) -> None:
        self._watchdog = watchdog
        self._time = task.get_loop().time
        self.task = task
        self.expired = False
        self.deadline = 0.0

    def __enter__(self) -> Guard:
        self.expired = False
        self._cancelling = self.task.cancelling()
        watchdog = self._watchdog
        self.deadline = self._time() + watchdog.seconds
        watchdog._watched[self] = None
        if watchdog._timer is None:
            watchdog._arm(self.deadline)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._watchdog._watched.pop(self, None)
        if (
            self.expired
            and self.task.uncancel() <= self._cancelling
            and exc_type is asyncio.CancelledError
        ):
            raise DeadlineExceeded(f"took longer than {self._watchdog.seconds:g} s") from exc
