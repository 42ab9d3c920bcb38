"""Delivery: the outbox's one way out to the platforms, each entry carried out once.

Cogs write effects with `Outbox.add` inside the transaction of the state change that causes
them, then usually `deliver` them at once, so a member hears the truth about what happened
("your report went to the moderators" only once the flag is posted). Whatever cannot go at
once (an outage, a crash in between) is carried out by `run_forever` with backoff; on
start-up, entries a crash cut off are retried as recovering, so they check the platform
before repeating themselves.

Several processes may deliver from one outbox (PostgreSQL): an entry being carried out is
leased, like a scheduled job (`bot.leases`), a process takes only entries of communities
it serves, and a lane whose entry is leased is not started by another process, so each
channel's, message's and member's effects keep their order. A process that dies leaves
its entries to be taken over, as recovering, once their leases run out.

A cog learns each outcome through a continuation it registered with `on`: it runs in the
same transaction that records the outcome, so storing a new message's id (a flag's post, a
ticket's tracker) and adding what comes next (a thread on that post) is atomic with it.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, fields, replace
from datetime import datetime, timedelta
from typing import Any

from bot.clock import Clock
from bot.codec import decode, encode
from bot.effects import EFFECTS, Attempt, Call, Effect
from bot.errors import PlatformError, PlatformUnavailable
from bot.leases import renew_forever, sleep_until, take_back_cut_off
from bot.metrics import Metrics
from bot.model import ChannelRef, MessageRef
from bot.platform import Platforms
from storage.database import Database, Transaction
from storage.outbox import (
    CANCELLED,
    DELIVERED,
    FAILED,
    SUPERSEDED,
    Entry,
    NewEntry,
    OutboxRepository,
)

log = logging.getLogger(__name__)

# Waits between attempts after an outage: quick at first (most blips pass in seconds), then
# hourly, for about a day in all before the entry is given up and left visible as failed.
RETRY_DELAYS = tuple(timedelta(seconds=s) for s in (5, 30, 120, 600, 1800, *([3600] * 20)))
# A platform call that has not answered by then is treated as an outage and retried.
CALL_TIMEOUT_SECONDS = 30.0
# Entries claimed per pass; one per lane, carried out side by side.
BATCH_SIZE = 50
# When the database itself fails, the loop waits this long rather than ending.
PASS_RETRY = timedelta(seconds=30)
_PLACEHOLDER = "⟪outbox:{}⟫"
_PREFIX, _SUFFIX = "⟪outbox:", "⟫"

Continuation = Callable[[Transaction, "Outcome", dict[str, Any]], Awaitable[None]]
CallHandler = Callable[[dict[str, Any], Attempt], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Then:
    """A continuation to run with an entry's outcome: the handler registered as `kind`."""

    kind: str
    data: dict[str, Any]


class Cancelled(PlatformError):
    """The entry was cancelled (`Outbox.cancel`) before it was carried out."""


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of an entry. `delivered` False with `error` None means it is still
    queued (an outage): it will be retried, and its continuation runs then. `attempts`
    counts the tries it took (so a notice can say "reached on try 3")."""

    entry_id: int
    delivered: bool
    result: Any = None
    error: PlatformError | None = None
    attempts: int = 1

    @property
    def queued(self) -> bool:
        return not self.delivered and self.error is None


@dataclass(frozen=True, slots=True)
class Waiting:
    """An entry not carried out yet: what it is, when it is tried next, after how many
    tries."""

    key: str
    kind: str
    next_try: datetime
    attempts: int
    last_error: str | None


@dataclass(frozen=True, slots=True)
class Pending:
    """An entry just added; `message` and `thread` stand for its result in later effects
    (a thread on a post not yet posted), resolved when those effects go out."""

    id: int
    effect: Effect

    @property
    def message(self) -> MessageRef:
        channel = getattr(self.effect, "channel", None)
        if not isinstance(channel, ChannelRef):
            raise TypeError(f"a {self.effect.kind} entry has no message")
        return MessageRef(channel, _PLACEHOLDER.format(self.id))

    @property
    def thread(self) -> ChannelRef:
        message = getattr(self.effect, "message", None)
        if not isinstance(message, MessageRef):
            raise TypeError(f"a {self.effect.kind} entry opens no thread")
        return ChannelRef(message.community, _PLACEHOLDER.format(self.id), "", message.channel.id)


class Outbox:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        platforms: Platforms,
        repository: OutboxRepository,
        metrics: Metrics | None = None,
    ) -> None:
        self.metrics = metrics or Metrics()  # actions carried out and platform errors
        self._db = db
        self._clock = clock
        self._platforms = platforms
        self._entries = repository
        self._continuations: dict[str, Continuation] = {}
        self._calls: dict[str, CallHandler] = {}
        self._in_flight: dict[int, asyncio.Future[Outcome]] = {}
        # Entries claimed in the transaction that settled the entry before them (what its
        # continuation added), to be carried out next without claiming them again.
        self._claimed: dict[int, Entry] = {}
        # Entries cut off here (a cancelled `deliver`, a result that could not be written)
        # and when their leases run out (wall clock): then the loop takes them again, as
        # recovering, even if nothing else wakes it.
        self._lapsing: dict[int, datetime] = {}
        self._added: contextvars.ContextVar[list[int] | None] = contextvars.ContextVar(
            "outbox_added", default=None
        )
        self._wake = asyncio.Event()
        self._stopping = False

    # -- for cogs ----------------------------------------------------------------------------

    def on(self, kind: str, continuation: Continuation) -> None:
        """Register the continuation that `Then(kind, ...)` names."""
        if kind in self._continuations:
            raise ValueError(f"outbox continuation {kind!r} is registered twice")
        self._continuations[kind] = continuation

    def handle_calls(self, name: str, handler: CallHandler) -> None:
        """Register how `Call` effects named `name` are carried out."""
        if name in self._calls:
            raise ValueError(f"outbox call {name!r} has two handlers")
        self._calls[name] = handler

    async def add(
        self,
        tx: Transaction,
        effect: Effect,
        *,
        key: str | None = None,
        then: Then | None = None,
        after: timedelta = timedelta(0),
    ) -> Pending:
        """Write `effect` in the caller's transaction. A `key` makes the write idempotent:
        a replayed event or a re-run job that adds the same key adds nothing."""
        if then is not None and then.kind not in self._continuations:
            raise ValueError(f"no outbox continuation {then.kind!r}")
        payload = {f.name: encode(getattr(effect, f.name)) for f in fields(effect)}
        now = self._clock.now()
        entry_id = await self._entries.add(
            tx,
            NewEntry(
                community=effect.community.key,
                lane=effect.lane,
                kind=effect.kind,
                payload=payload,
                key=key or f"auto:{secrets.token_hex(12)}",
                due_at=now + after,
                depends_on=max(_placeholders(payload), default=None),
                then_kind=then.kind if then else None,
                then_data=then.data if then else None,
            ),
            now,
        )
        added = self._added.get()
        if added is not None:
            added.append(entry_id)
        self._wake.set()
        return Pending(entry_id, effect)

    async def cancel(self, tx: Transaction, key: str) -> bool:
        """Withdraw the entry written under `key` in the caller's transaction, if it is
        still waiting (e.g. a ping made moot by an answer); entries that build on its result
        go with it, and its continuation does not run. False when it is already under way
        or finished (an effect on its way cannot be called back)."""
        cancelled = await self._entries.cancel(tx, key, self._clock.now())
        self._wake.set()  # what waited behind it in its lane may go now
        return cancelled

    async def waiting(self, key_prefix: str) -> list[Waiting]:
        """What is still to be carried out under keys starting with `key_prefix` (e.g. a
        ticket's follow-up held back by an outage), so a view can say so."""
        return [
            Waiting(e.key, e.kind, e.due_at, e.attempts, e.last_error)
            for e in await self._entries.waiting(key_prefix)
        ]

    async def deliver(self, *entries: Pending | int) -> list[Outcome]:
        """Carry these entries out now, and whatever their continuations add after them;
        returns the outcome of each entry asked for, in order. An entry that must wait
        (an outage, an older entry of its lane in backoff) comes back `queued`."""
        asked = [e if isinstance(e, int) else e.id for e in entries]
        outcomes: dict[int, Outcome] = {}
        tried: set[int] = set()
        queue = sorted(set(asked))  # older entries first: their lanes and results come first
        try:
            while queue:
                entry_id = queue.pop(0)
                tried.add(entry_id)
                outcome, followers = await self._deliver_one(entry_id)
                outcomes[entry_id] = outcome
                if outcome.queued:
                    blocker = await self._entries.blocker(entry_id, self._clock.now())
                    if blocker is not None and blocker not in tried:
                        queue[:0] = [blocker, entry_id]
                        continue
                queue.extend(followers)
        finally:
            if queue and self._claimed:
                self._wake.set()  # cut short: the loop carries out what was claimed for it
        return [outcomes[entry_id] for entry_id in asked]

    # -- the loop ----------------------------------------------------------------------------

    async def start(self) -> None:
        """Prepare for running after a restart: entries cut off by the last run are taken
        again (as recovering) at once or when their leases run out (`take_back_cut_off`)."""
        released = await take_back_cut_off(self._entries.leases)
        if released:
            log.warning("retrying %d platform action(s) cut off by the last shutdown", released)

    async def run_forever(self) -> None:
        holder = self._entries.holder
        renewing = asyncio.create_task(
            renew_forever(self._entries.leases, "platform actions"), name="outbox leases"
        )
        try:
            while not self._stopping:
                self._wake.clear()
                takeover_at = self._next_lapse()
                try:
                    await self.run_due()
                    next_due = await self._entries.next_due_at()
                    if holder.shared:
                        others = await self._entries.leases.next_takeover_at()
                        takeover_at = min(filter(None, (takeover_at, others)), default=None)
                except Exception:
                    log.exception(
                        "could not deliver queued actions; trying again in %s", PASS_RETRY
                    )
                    next_due = self._clock.now() + PASS_RETRY
                await sleep_until(self._clock, holder, next_due, self._wake, takeover_at)
        finally:
            renewing.cancel()

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()

    async def release(self) -> None:
        """At shutdown, after the loop: entries cut off here are taken over at once (as
        recovering, by another process or this one restarted) rather than after their
        lease."""
        released = await self._entries.leases.release()
        if released:
            log.info("left %d platform action(s) in progress to retry", released)

    async def next_due_at(self, after: datetime) -> datetime | None:
        """When the next entry falls due after `after` (for stepping a virtual clock)."""
        return await self._entries.next_due_at(after)

    async def run_due(self) -> int:
        """Carry out every entry that may go now; returns how many were attempted."""
        attempted = 0
        left = [i for i in self._claimed if i not in self._in_flight]
        if left:  # claimed for a `deliver` that was cut short
            attempted += len(left)
            await self.deliver(*left)
        while ids := await self._entries.due_heads(self._clock.now(), BATCH_SIZE):
            outcomes = await asyncio.gather(*(self._deliver_one(i) for i in ids))
            attempted += len(ids)
            followers = [i for _, after in outcomes for i in after]
            if followers:
                await self.deliver(*followers)
            if all(outcome.queued for outcome, _ in outcomes):
                break
        return attempted

    # -- one entry ---------------------------------------------------------------------------

    async def _deliver_one(self, entry_id: int) -> tuple[Outcome, list[int]]:
        in_flight = self._in_flight.get(entry_id)
        if in_flight is not None:
            return await asyncio.shield(in_flight), []
        # Registered before the claim: a second caller in this process (the loop and a
        # `deliver` or `run_due` racing for one entry) waits for this attempt, instead of
        # finding the entry claimed and answering before it was carried out.
        future: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
        self._in_flight[entry_id] = future
        claimed = False
        try:
            entry = self._claimed.pop(entry_id, None) or await self._entries.claim(
                entry_id, self._clock.now()
            )
            if entry is None:
                outcome, followers = await self._known_outcome(entry_id), []
            else:
                claimed = True
                outcome, followers = await self._carry_out(entry)
        except BaseException as error:
            future.set_exception(error)
            future.exception()  # retrieved: waiters re-raise it, nobody else must
            if claimed:
                holder = self._entries.holder
                self._lapsing[entry_id] = holder.now() + timedelta(seconds=holder.seconds)
                self._wake.set()
            raise
        finally:
            del self._in_flight[entry_id]
            if claimed:
                # Settled, or its result could not be recorded: then its lease runs out
                # and the entry is taken again (as recovering) instead of held while we live.
                self._entries.leases.let_go([entry_id])
        future.set_result(outcome)
        return outcome, followers

    async def _carry_out(self, entry: Entry) -> tuple[Outcome, list[int]]:
        limit = CALL_TIMEOUT_SECONDS
        try:
            effect = await self._effect(entry)
            attempt = Attempt(entry.key, self._clock.now(), entry.interrupted)
            limit *= max(1, effect.calls)
            result = await asyncio.wait_for(self._apply(effect, attempt), limit)
        except PlatformUnavailable as error:
            self._count_error(entry, error)
            return await self._retry_later(entry, error), []
        except PlatformError as error:
            self._count_error(entry, error)
            return await self._settle(entry, FAILED, None, error)
        except TimeoutError:
            error = PlatformUnavailable(f"no answer within {limit:.0f} s")
            self._count_error(entry, error)
            return await self._retry_later(entry, error), []
        except Exception as error:  # a bug or an untranslated library error: retried, logged
            log.exception("outbox entry %d (%s) failed unexpectedly", entry.id, _what(entry))
            return await self._retry_later(entry, PlatformUnavailable(type(error).__name__)), []
        self.metrics.actions[effect.name if isinstance(effect, Call) else entry.kind] += 1
        return await self._settle(entry, DELIVERED, result, None)

    def _next_lapse(self) -> datetime | None:
        """When the lease of an entry cut off here runs out next; those run out already are
        forgotten (the coming pass takes them again)."""
        now = self._entries.holder.now()
        self._lapsing = {i: at for i, at in self._lapsing.items() if at > now}
        return min(self._lapsing.values(), default=None)

    def _count_error(self, entry: Entry, error: PlatformError) -> None:
        platform = entry.community.partition(":")[0]
        self.metrics.platform_errors[(platform, type(error).__name__)] += 1

    async def _apply(self, effect: Effect, attempt: Attempt) -> Any:
        if isinstance(effect, Call):
            handler = self._calls.get(effect.name)
            if handler is None:
                raise PlatformError(f"no handler for outbox call {effect.name!r}")
            return await handler(effect.data, attempt)
        return await effect.apply(self._platforms.for_community(effect.community), attempt)

    async def _settle(
        self,
        entry: Entry,
        status: str,
        result: Any,
        error: PlatformError | None,
        *,
        take_followers: bool = True,
    ) -> tuple[Outcome, list[int]]:
        """Record the outcome and run the continuation in one transaction (run again if
        it loses a race with another process's; see `Database.atomic`). With
        `take_followers`, what the continuation adds is claimed in that transaction too
        (one transaction less for each: a flag's reactions); the caller carries them
        out next."""
        outcome = Outcome(entry.id, status == DELIVERED, result, error, entry.attempts)
        followers: list[int] = []
        taken: list[Entry] = []
        waited_on = False

        async def record(tx: Transaction) -> bool:
            nonlocal waited_on
            followers.clear()  # a transaction run again adds its entries again
            taken.clear()
            if not await self._entries.finish(
                tx,
                entry.id,
                status=status,
                now=self._clock.now(),
                result=encode(result),
                error_kind=None if error is None else type(error).__name__,
                error=None if error is None else str(error),
            ):
                return False
            if error is not None:
                await self._entries.fail_dependents(tx, entry.id, self._clock.now())
            for old_lane, new_lane in _lanes_named_by(entry.id, result):
                await self._entries.rename_lane(tx, old_lane, new_lane)
            if entry.then_kind is not None:
                await self._continuations[entry.then_kind](tx, outcome, entry.then_data)
            for follower in followers if take_followers else ():
                # Not an edit: one written right after may still supersede it (a report
                # updated by several outcomes in a row is edited once).
                claimed = await self._entries.claim_in(tx, follower, self._clock.now(), edits=False)
                if claimed is not None:
                    taken.append(claimed)
            waited_on = await self._entries.any_waiting_on(tx, entry.id, entry.lane)
            return True

        token = self._added.set(followers)
        try:
            held = await self._db.atomic(record)
        except Exception:
            # The effect happened but recording it did not: carry it out again later as
            # recovering (a post finds itself by its nonce) and run the continuation then.
            log.exception(
                "outbox entry %d (%s): recording its outcome failed", entry.id, _what(entry)
            )
            await self._entries.requeue_recovering(entry.id, self._clock.now() + RETRY_DELAYS[0])
            self._wake.set()
            return Outcome(entry.id, delivered=False), []
        finally:
            self._added.reset(token)
        if not held:
            return self._taken_over(entry), []
        self._entries.leases.hold(claimed.id for claimed in taken)
        self._claimed.update((claimed.id, claimed) for claimed in taken)
        if waited_on:
            self._wake.set()  # the loop carries out what this entry held up
        if error is not None:
            log.warning(
                "%s for %s failed for good: %s: %s",
                _what(entry),
                entry.community,
                type(error).__name__,
                error,
            )
        return outcome, followers

    def _taken_over(self, entry: Entry) -> Outcome:
        """This process's lease ran out while it carried the entry out (it stalled longer
        than the lease) and another process took the entry over: that one, checking the
        platform as for any recovered entry, records the outcome and runs what follows."""
        log.warning(
            "%s for %s was taken over by another process while it ran here (its lease"
            " ran out); the other process records its outcome",
            _what(entry),
            entry.community,
        )
        return Outcome(entry.id, delivered=False)

    async def _retry_later(self, entry: Entry, error: PlatformError) -> Outcome:
        if entry.attempts > len(RETRY_DELAYS):
            outcome, _ = await self._settle(entry, FAILED, None, error, take_followers=False)
            return outcome
        delay = RETRY_DELAYS[entry.attempts - 1]
        log.warning(
            "%s for %s not done (%s); attempt %d, retrying in %s",
            _what(entry),
            entry.community,
            error,
            entry.attempts,
            delay,
        )
        await self._entries.retry(
            entry.id, self._clock.now() + delay, type(error).__name__, str(error)
        )
        self._wake.set()  # the loop learns when it is due again
        return Outcome(entry.id, delivered=False)

    async def _known_outcome(self, entry_id: int) -> Outcome:
        entry = await self._entries.get(entry_id)
        if entry is None:
            raise KeyError(f"no outbox entry {entry_id}")
        if entry.status in (DELIVERED, SUPERSEDED):
            return Outcome(entry_id, True, decode(entry.result), attempts=entry.attempts)
        if entry.status == FAILED:
            return Outcome(entry_id, False, error=PlatformError(entry.last_error or "failed"))
        if entry.status == CANCELLED:
            return Outcome(entry_id, False, error=Cancelled(entry.last_error or "cancelled"))
        return Outcome(entry_id, delivered=False)

    async def _effect(self, entry: Entry) -> Effect:
        """The stored effect, with the results of the entries it names filled in."""
        names = _placeholders(entry.payload)
        done = await self._entries.results(sorted(names))
        results = {i: decode(e.result) for i, e in done.items() if e.status == DELIVERED}
        if len(results) < len(names):
            raise PlatformError("an action it builds on did not happen")
        values = {k: _resolve(decode(v), results) for k, v in entry.payload.items()}
        return EFFECTS[entry.kind](**values)


def _what(entry: Entry) -> str:
    """An entry's kind for a log line; a call by its name (``call tickets.company_webhook``)."""
    if entry.kind == Call.kind:
        return f"call {entry.payload.get('name', '?')}"
    return entry.kind


def _lanes_named_by(entry_id: int, result: Any) -> list[tuple[str, str]]:
    """The lanes that stood for this entry's result before it existed, and their names
    now (see `bot.effects`: message effects queue by message, posts by channel)."""
    placeholder = _PLACEHOLDER.format(entry_id)
    if isinstance(result, MessageRef):
        return [(f"message:{placeholder}", f"message:{result.id}")]
    if isinstance(result, ChannelRef):
        return [(f"{k}:{placeholder}", f"{k}:{result.id}") for k in ("channel", "rename")]
    return []


def _placeholders(payload: Any) -> set[int]:
    found: set[int] = set()
    if isinstance(payload, str):
        if payload.startswith(_PREFIX) and payload.endswith(_SUFFIX):
            found.add(int(payload[len(_PREFIX) : -len(_SUFFIX)]))
    elif isinstance(payload, dict):
        for value in payload.values():
            found |= _placeholders(value)
    elif isinstance(payload, list):
        for value in payload:
            found |= _placeholders(value)
    return found


def _resolve(value: Any, results: dict[int, Any]) -> Any:
    """Replace references standing for earlier entries' results with those results."""
    if isinstance(value, MessageRef):
        channel = _resolve(value.channel, results)
        named = _placeholders(value.id)
        if named:
            return results[named.pop()]
        return value if channel is value.channel else replace(value, channel=channel)
    if isinstance(value, ChannelRef):
        named = _placeholders(value.id)
        return results[named.pop()] if named else value
    if isinstance(value, tuple):
        return tuple(_resolve(item, results) for item in value)
    return value
