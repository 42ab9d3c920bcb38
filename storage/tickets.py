"""Ambassador tickets: numbering, state transitions with history, and the bot's own marks.

Every change runs in one transaction that also appends a history row (who, when, from which
status to which, and the note), so what the tracker shows can always be explained. Ticket
numbers come from a per-community counter row incremented in the same transaction as the
insert: numbers are dense, per community, and never reused.

Every change takes an `effects` callback that runs inside its transaction with the
transaction and the history row's id: the cog writes the change's outbox entries (thread
post, tracker edit, DMs) there, so a change is never stored without its announcement.

The follow-up, reminder and escalation marks (`claim_follow_up`, `claim_reminder`,
`claim_first_response_escalation`) are conditional updates: the job handler that wins the
update writes its announcement with it; a re-run after a crash finds the mark already set
and stays quiet. A tracker not yet posted is stored as the placeholder of its outbox entry
(`record_tracker`), so later announcements queue behind it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from storage.database import Database, Row, Transaction
from storage.timestamps import from_db, optional_from_db, to_db


class Status(StrEnum):
    OPEN = "open"
    CLAIMED = "claimed"
    WAITING = "waiting"
    RESOLVED = "resolved"
    WITHDRAWN = "withdrawn"
    MERGED = "merged"


class Outcome(StrEnum):
    """How a resolved ticket ended. Only `DONE` is reported as "you asked, we did"; a
    declined ticket or a duplicate still gets a public resolution that says why."""

    DONE = "done"
    DECLINED = "declined"
    DUPLICATE = "duplicate"


ACTIVE = frozenset({Status.OPEN, Status.CLAIMED, Status.WAITING})
CLOSED = frozenset({Status.RESOLVED, Status.WITHDRAWN})


@dataclass(frozen=True, slots=True)
class Actor:
    id: str
    name: str


BOT_ACTOR = Actor("bot", "Botschafter")
FIRST_RESPONSE_ESCALATED = "first-response-escalated"


@dataclass(frozen=True, slots=True)
class Ticket:
    community: str
    number: int
    title: str
    details: str
    category: str
    status: Status
    opener_id: str
    opener_name: str
    opener_locale: str | None
    owner_id: str | None
    owner_name: str | None
    opened_at: datetime
    updated_at: datetime
    claimed_at: datetime | None
    first_response_at: datetime | None
    first_response_escalated_at: datetime | None
    last_public_update_at: datetime | None
    last_public_note: str
    next_update_due: datetime | None
    promise_seq: int
    reminded_seq: int
    follow_up_seq: int
    last_follow_up_at: datetime | None
    resolved_at: datetime | None
    resolved_by: str | None
    resolution: str
    closed_at: datetime | None
    merged_into: int | None
    vote_count: int
    channel_id: str | None
    tracker_message_id: str | None
    thread_id: str | None
    tracker_url: str
    outcome: Outcome | None = None  # set while resolved
    # Opened with private:yes: seen only by its opener and the ambassadors (see is_public).
    private: bool = False
    # Public follow-ups since an ambassador last acted; the lead is told after enough.
    quiet_follow_ups: int = 0
    lead_escalated_at: datetime | None = None
    # The language it is in (bot/languages.py): its team is asked first. None for tickets
    # from before languages (they go to every ambassador).
    language: str | None = None

    @property
    def active(self) -> bool:
        return self.status in ACTIVE

    @property
    def is_public(self) -> bool:
        """Whether anyone may see this ticket: on the tracker channel, in lists, on the web
        board, in the digest's named lines. The one test every public view applies; a
        private ticket is shown only to its opener and the ambassadors."""
        return not self.private

    def visible_to(self, member_id: str, *, ambassador: bool) -> bool:
        """Whether a member may see (and act on) this ticket at all."""
        return self.is_public or ambassador or member_id == self.opener_id

    @property
    def last_activity(self) -> datetime:
        """When the ticket last showed life in public: opened, or the last public update."""
        return self.last_public_update_at or self.opened_at


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    at: datetime
    actor_id: str
    actor_name: str
    action: str
    from_status: Status | None
    to_status: Status | None
    note: str
    outcome: Outcome | None = None  # of the resolution this row enters or (reopen) leaves


@dataclass(frozen=True, slots=True)
class NewTicket:
    title: str
    details: str
    category: str
    opener: Actor
    opener_locale: str | None
    private: bool = False
    language: str | None = None


@dataclass(frozen=True, slots=True)
class OpenLimits:
    """Refuse the insert when the opener has `max_open` active tickets, or opened one after
    `cooldown_since`; checked inside the insert's transaction, so two quick opens cannot
    both slip through."""

    max_open: int | None = None
    cooldown_since: datetime | None = None


# Ambassadors open and reopen on behalf of others: no limit applies to them.
UNLIMITED = OpenLimits()


class TicketNotFound(Exception):
    def __init__(self, number: int) -> None:
        super().__init__(f"no ticket #{number}")
        self.number = number


class WrongStatus(Exception):
    """The ticket is not in a status the requested change starts from."""

    def __init__(self, ticket: Ticket) -> None:
        super().__init__(f"ticket #{ticket.number} is {ticket.status}")
        self.ticket = ticket


class LimitReached(Exception):
    def __init__(self, open_count: int) -> None:
        super().__init__(f"{open_count} open tickets")
        self.open_count = open_count


class CoolingDown(Exception):
    def __init__(self, last_opened_at: datetime) -> None:
        super().__init__(f"last ticket opened at {last_opened_at}")
        self.last_opened_at = last_opened_at


# Columns a transition may set; anything else is a programming error, and the whitelist keeps
# column names out of reach of any caller-supplied text.
_MUTABLE = frozenset(
    {
        "title",
        "details",
        "category",
        "owner_id",
        "owner_name",
        "claimed_at",
        "last_public_update_at",
        "last_public_note",
        "next_update_due",
        "promise_seq",
        "resolved_at",
        "resolved_by",
        "resolution",
        "closed_at",
        "merged_into",
        "outcome",
        "quiet_follow_ups",
        "lead_escalated_at",
    }
)


@dataclass(frozen=True, slots=True)
class Changes:
    """What a transition sets: a new status (or None to keep it) and column values."""

    status: Status | None = None
    updates: Mapping[str, object] = field(default_factory=dict)


Plan = Callable[[Ticket], Changes]
# Writes a change's outbox entries in its transaction: (tx, ticket before, after, history id).
Effects = Callable[[Transaction, Ticket, Ticket, int], Awaitable[None]]
# Writes a job's outbox entries in the transaction that marks the job's work as taken.
JobEffects = Callable[[Transaction, Ticket], Awaitable[None]]


class TicketRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def check_limits(self, community: str, opener_id: str, limits: OpenLimits) -> None:
        """Raise `LimitReached` or `CoolingDown` as `open` would now: a look before a form
        is shown. Only `open`'s own check, in its transaction, is binding."""
        async with self._db.transaction() as tx:
            await _check_limits(tx, community, opener_id, limits)

    async def open(
        self,
        community: str,
        new: NewTicket,
        at: datetime,
        limits: OpenLimits = UNLIMITED,
        effects: Effects | None = None,
    ) -> Ticket:
        """Number and store a ticket, its first history row and its opener as a watcher."""
        async with self._db.transaction() as tx:
            # The number first: its counter row is held until commit, so two opens of one
            # community (at two processes, on PostgreSQL) check the opener's limits one
            # after the other, and a refused open rolls its number back.
            number = await _next_number(tx, community)
            await _check_limits(tx, community, new.opener.id, limits)
            await tx.execute(
                "INSERT INTO tickets (community, number, title, details, category, status,"
                " active, opener_id, opener_name, opener_locale, opened_at, updated_at, private,"
                " language) VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?)",
                (
                    community,
                    number,
                    new.title,
                    new.details,
                    new.category,
                    Status.OPEN.value,
                    new.opener.id,
                    new.opener.name,
                    new.opener_locale,
                    to_db(at),
                    to_db(at),
                    int(new.private),
                    new.language,
                ),
            )
            history_id = await _add_history(
                tx, community, number, at, new.opener, "opened", None, Status.OPEN, ""
            )
            await tx.execute(
                "INSERT INTO ticket_watchers (community, number, member_id, member_name, locale,"
                " notify, since) VALUES (?, ?, ?, ?, ?, 1, ?)",
                (community, number, new.opener.id, new.opener.name, new.opener_locale, to_db(at)),
            )
            ticket = await _load(tx, community, number)
            if effects is not None:
                await effects(tx, ticket, ticket, history_id)
            return ticket

    async def set_tracker(
        self,
        community: str,
        number: int,
        *,
        channel_id: str,
        message_id: str,
        thread_id: str | None,
        url: str,
    ) -> None:
        async with self._db.transaction() as tx:
            await set_tracker(
                tx,
                community,
                number,
                channel_id=channel_id,
                message_id=message_id,
                thread_id=thread_id,
                url=url,
            )

    async def get(self, community: str, number: int) -> Ticket | None:
        row = await self._db.fetch_one(
            "SELECT * FROM tickets WHERE community = ? AND number = ?", (community, number)
        )
        return None if row is None else ticket_from_row(row)

    async def by_tracker(self, community: str, message_id: str) -> Ticket | None:
        row = await self._db.fetch_one(
            "SELECT * FROM tickets WHERE community = ? AND tracker_message_id = ?",
            (community, message_id),
        )
        return None if row is None else ticket_from_row(row)

    async def recent_trackers(self, community: str, limit: int) -> list[Ticket]:
        """The newest active tickets whose tracker is posted (a tracker still on its way
        has no link yet), at most `limit`: what a catch-up after a reconnect reads."""
        rows = await self._db.fetch_all(
            "SELECT * FROM tickets WHERE community = ? AND active = 1"
            " AND tracker_message_id IS NOT NULL AND channel_id IS NOT NULL"
            " AND tracker_url != '' ORDER BY number DESC LIMIT ?",
            (community, limit),
        )
        return [ticket_from_row(row) for row in rows]

    async def by_thread(self, community: str, thread_id: str) -> Ticket | None:
        row = await self._db.fetch_one(
            "SELECT * FROM tickets WHERE community = ? AND thread_id = ?", (community, thread_id)
        )
        return None if row is None else ticket_from_row(row)

    async def change(
        self,
        community: str,
        number: int,
        *,
        actor: Actor,
        action: str,
        at: datetime,
        allowed: Collection[Status],
        plan: Plan,
        note: str = "",
        first_response: bool = False,
        limits: OpenLimits = UNLIMITED,
        effects: Effects | None = None,
    ) -> tuple[Ticket, Ticket]:
        """Apply one transition atomically and record it in the history.

        `plan` sees the ticket as it is inside the transaction and returns the `Changes`,
        or raises to refuse (e.g. "only the opener may withdraw"); `TicketNotFound` and
        `WrongStatus` (status not in `allowed`) refuse too, and so does `LimitReached`
        when a closed ticket would become active while its opener is at `limits`.
        Nothing changes on refusal. `effects` writes the announcements in the same
        transaction. Returns the ticket before and after.
        """
        async with self._db.transaction() as tx:
            before = await lock_ticket(tx, community, number)
            if before.status not in allowed:
                raise WrongStatus(before)
            changes = plan(before)
            if before.status not in ACTIVE and changes.status in ACTIVE:
                await _check_limits(tx, community, before.opener_id, limits)
            columns = dict(changes.updates)
            unknown = set(columns) - _MUTABLE
            if unknown:
                raise ValueError(f"cannot set {sorted(unknown)}")
            if changes.status is not None:
                columns["status"] = changes.status.value
                columns["active"] = int(changes.status in ACTIVE)
            columns["updated_at"] = at
            assignments = [f"{name} = ?" for name in columns]
            values = [_db_value(v) for v in columns.values()]
            if first_response:
                # An ambassador acted: the ticket is answered, and the count of follow-ups
                # nobody answered starts again (so does the lead's escalation).
                assignments.append("first_response_at = COALESCE(first_response_at, ?)")
                values.append(to_db(at))
                resets = {"quiet_follow_ups": "0", "lead_escalated_at": "NULL"}
                assignments += [f"{n} = {v}" for n, v in resets.items() if n not in columns]
            await tx.execute(
                f"UPDATE tickets SET {', '.join(assignments)} WHERE community = ? AND number = ?",
                (*values, community, number),
            )
            after = await _load(tx, community, number)
            history_id = await _add_history(
                tx,
                community,
                number,
                at,
                actor,
                action,
                before.status,
                after.status,
                note,
                outcome=after.outcome or before.outcome,
                # A step that made a promise keeps its due time: insights read whether it was kept.
                promise_due=after.next_update_due
                if after.promise_seq > before.promise_seq
                else None,
            )
            if effects is not None:
                await effects(tx, before, after, history_id)
            return before, after

    async def history(self, community: str, number: int, limit: int = 50) -> list[HistoryEntry]:
        """The latest `limit` entries, oldest first."""
        rows = await self._db.fetch_all(
            "SELECT * FROM ticket_history WHERE community = ? AND number = ?"
            " ORDER BY id DESC LIMIT ?",
            (community, number, limit),
        )
        return [_history(row) for row in reversed(rows)]

    async def history_count(self, community: str, number: int) -> int:
        """How many history entries a ticket has, so a shortened history can say so."""
        value = await self._db.fetch_value(
            "SELECT COUNT(*) FROM ticket_history WHERE community = ? AND number = ?",
            (community, number),
        )
        return int(value or 0)

    async def claim_follow_up(
        self,
        community: str,
        number: int,
        seq: int,
        at: datetime,
        effects: JobEffects | None = None,
    ) -> Ticket | None:
        """Take follow-up number `seq` of an active ticket; None if it was already taken.
        The history row is written by the cog once the platform took the post."""
        async with self._db.transaction() as tx:
            taken = await tx.execute(
                "UPDATE tickets SET follow_up_seq = follow_up_seq + 1, last_follow_up_at = ?,"
                " quiet_follow_ups = quiet_follow_ups + 1"
                " WHERE community = ? AND number = ? AND follow_up_seq = ? AND active = 1",
                (to_db(at), community, number, seq),
            )
            if not taken:
                return None
            ticket = await _load(tx, community, number)
            if effects is not None:
                await effects(tx, ticket)
            return ticket

    async def claim_reminder(
        self,
        community: str,
        number: int,
        promise_seq: int,
        now: datetime,
        effects: JobEffects | None = None,
    ) -> Ticket | None:
        """Take the owner's reminder for promise `promise_seq` if that promise still stands
        and is not yet due (once it is due, the public follow-up speaks instead)."""
        async with self._db.transaction() as tx:
            taken = await tx.execute(
                "UPDATE tickets SET reminded_seq = ? WHERE community = ? AND number = ?"
                " AND promise_seq = ? AND reminded_seq < ? AND active = 1"
                " AND next_update_due > ? AND owner_id IS NOT NULL",
                (promise_seq, community, number, promise_seq, promise_seq, to_db(now)),
            )
            if not taken:
                return None
            ticket = await _load(tx, community, number)
            if effects is not None:
                await effects(tx, ticket)
            return ticket

    async def claim_lead_escalation(
        self,
        community: str,
        number: int,
        seq: int,
        at: datetime,
        effects: JobEffects | None = None,
    ) -> Ticket | None:
        """Take follow-up `seq` as the private escalation to the ambassadors' lead instead
        of a public post; once per quiet spell (an ambassador's change resets it). None if
        the follow-up was already taken or the lead was already told."""
        async with self._db.transaction() as tx:
            taken = await tx.execute(
                "UPDATE tickets SET follow_up_seq = follow_up_seq + 1, lead_escalated_at = ?"
                " WHERE community = ? AND number = ? AND follow_up_seq = ? AND active = 1"
                " AND lead_escalated_at IS NULL",
                (to_db(at), community, number, seq),
            )
            if not taken:
                return None
            ticket = await _load(tx, community, number)
            if effects is not None:
                await effects(tx, ticket)
            return ticket

    async def claim_first_response_escalation(
        self, community: str, number: int, at: datetime, effects: JobEffects | None = None
    ) -> Ticket | None:
        """Mark an unanswered ticket as escalated to the ambassadors; once per ticket. The
        history row is written by the cog once the ping went out."""
        async with self._db.transaction() as tx:
            taken = await tx.execute(
                "UPDATE tickets SET first_response_escalated_at = ? WHERE community = ?"
                " AND number = ? AND active = 1 AND owner_id IS NULL"
                " AND first_response_at IS NULL AND first_response_escalated_at IS NULL",
                (to_db(at), community, number),
            )
            if not taken:
                return None
            ticket = await _load(tx, community, number)
            if effects is not None:
                await effects(tx, ticket)
            return ticket

    async def insert_many(self, community: str, tickets: list[Ticket]) -> None:
        """Bulk-load finished tickets (imports, benchmarks) and move the counter past them."""
        columns = [name for name in Ticket.__dataclass_fields__ if name != "community"]
        placeholders = ", ".join("?" for _ in range(len(columns) + 2))
        sql = (
            f"INSERT INTO tickets (community, active, {', '.join(columns)}) VALUES ({placeholders})"
        )
        rows = [
            (community, int(t.active), *(_db_value(getattr(t, name)) for name in columns))
            for t in tickets
        ]
        async with self._db.transaction() as tx:
            await tx.executemany(sql, rows)
            await tx.execute(
                "INSERT INTO ticket_counters (community, last_number)"
                " SELECT community, MAX(number) FROM tickets WHERE community = ? GROUP BY community"
                " ON CONFLICT (community) DO UPDATE SET last_number = excluded.last_number",
                (community,),
            )


def ticket_from_row(row: Row) -> Ticket:
    return Ticket(
        community=row["community"],
        number=row["number"],
        title=row["title"],
        details=row["details"],
        category=row["category"],
        status=Status(row["status"]),
        opener_id=row["opener_id"],
        opener_name=row["opener_name"],
        opener_locale=row["opener_locale"],
        owner_id=row["owner_id"],
        owner_name=row["owner_name"],
        opened_at=from_db(row["opened_at"]),
        updated_at=from_db(row["updated_at"]),
        claimed_at=optional_from_db(row["claimed_at"]),
        first_response_at=optional_from_db(row["first_response_at"]),
        first_response_escalated_at=optional_from_db(row["first_response_escalated_at"]),
        last_public_update_at=optional_from_db(row["last_public_update_at"]),
        last_public_note=row["last_public_note"],
        next_update_due=optional_from_db(row["next_update_due"]),
        promise_seq=row["promise_seq"],
        reminded_seq=row["reminded_seq"],
        follow_up_seq=row["follow_up_seq"],
        last_follow_up_at=optional_from_db(row["last_follow_up_at"]),
        resolved_at=optional_from_db(row["resolved_at"]),
        resolved_by=row["resolved_by"],
        resolution=row["resolution"],
        closed_at=optional_from_db(row["closed_at"]),
        merged_into=row["merged_into"],
        vote_count=row["vote_count"],
        channel_id=row["channel_id"],
        tracker_message_id=row["tracker_message_id"],
        thread_id=row["thread_id"],
        tracker_url=row["tracker_url"],
        outcome=_outcome(row["outcome"]),
        private=bool(row["private"]),
        quiet_follow_ups=row["quiet_follow_ups"],
        lead_escalated_at=optional_from_db(row["lead_escalated_at"]),
        language=row["language"],
    )


async def set_tracker(
    tx: Transaction,
    community: str,
    number: int,
    *,
    channel_id: str,
    message_id: str,
    thread_id: str | None,
    url: str,
) -> None:
    """Record where a ticket's tracker (and thread) went, once the platform posted it."""
    await tx.execute(
        "UPDATE tickets SET channel_id = ?, tracker_message_id = ?, thread_id = ?,"
        " tracker_url = ? WHERE community = ? AND number = ?",
        (channel_id, message_id, thread_id, url, community, number),
    )


async def record_tracker(
    tx: Transaction,
    community: str,
    number: int,
    *,
    channel_id: str,
    message_id: str,
    url: str = "",
) -> None:
    """Record the tracker's message (or the placeholder of its post still on its way, with
    no link yet); the thread is recorded apart, since it opens after the tracker."""
    await tx.execute(
        "UPDATE tickets SET channel_id = ?, tracker_message_id = ?, tracker_url = ?"
        " WHERE community = ? AND number = ?",
        (channel_id, message_id, url, community, number),
    )


async def forget_tracker(tx: Transaction, community: str, number: int) -> None:
    """The tracker was given up: the ticket has no public place until one is posted."""
    await tx.execute(
        "UPDATE tickets SET channel_id = NULL, tracker_message_id = NULL, thread_id = NULL,"
        " tracker_url = '' WHERE community = ? AND number = ?",
        (community, number),
    )


async def set_thread(tx: Transaction, community: str, number: int, thread_id: str | None) -> None:
    """Record the thread opened on a ticket's tracker (or its placeholder); None: the
    conversation takes place in the tickets channel."""
    await tx.execute(
        "UPDATE tickets SET thread_id = ? WHERE community = ? AND number = ?",
        (thread_id, community, number),
    )


async def skip_follow_up(tx: Transaction, community: str, number: int, seq: int) -> bool:
    """Retire follow-up `seq` without posting: it came too early after a change of
    configuration, or its job already ran while the ticket was closed."""
    return bool(
        await tx.execute(
            "UPDATE tickets SET follow_up_seq = follow_up_seq + 1"
            " WHERE community = ? AND number = ? AND follow_up_seq = ?",
            (community, number, seq),
        )
    )


async def load_ticket(tx: Transaction, community: str, number: int) -> Ticket:
    """Read one ticket inside a transaction; `TicketNotFound` if there is none."""
    return await _load(tx, community, number)


async def lock_ticket(tx: Transaction, community: str, number: int) -> Ticket:
    """Read one ticket and hold it until `tx` ends; `TicketNotFound` if there is none.

    A step decided from the ticket as read (who owns it, its status, its votes) is decided
    from the latest committed state: with several processes on PostgreSQL, a second
    ambassador's claim waits here for the first one's commit and then sees its owner,
    instead of both reading "unowned" and both claiming. A no-op UPDATE takes the row lock
    on every backend (SQLite has no ``SELECT ... FOR UPDATE``; its writers run one at a
    time anyway)."""
    row = await tx.fetch_one(
        "UPDATE tickets SET status = status WHERE community = ? AND number = ? RETURNING *",
        (community, number),
    )
    if row is None:
        raise TicketNotFound(number)
    return ticket_from_row(row)


async def add_history(
    tx: Transaction,
    community: str,
    number: int,
    at: datetime,
    actor: Actor,
    action: str,
    note: str = "",
    from_status: Status | None = None,
    to_status: Status | None = None,
) -> int:
    return await _add_history(
        tx, community, number, at, actor, action, from_status, to_status, note
    )


async def _load(tx: Transaction, community: str, number: int) -> Ticket:
    row = await tx.fetch_one(
        "SELECT * FROM tickets WHERE community = ? AND number = ?", (community, number)
    )
    if row is None:
        raise TicketNotFound(number)
    return ticket_from_row(row)


async def _next_number(tx: Transaction, community: str) -> int:
    row = await tx.fetch_one(
        "INSERT INTO ticket_counters (community, last_number) VALUES (?, 1)"
        " ON CONFLICT (community) DO UPDATE SET last_number = ticket_counters.last_number + 1"
        " RETURNING last_number",
        (community,),
    )
    assert row is not None
    return int(row[0])


async def _check_limits(
    tx: Transaction, community: str, opener_id: str, limits: OpenLimits
) -> None:
    if limits.max_open is not None:
        row = await tx.fetch_one(
            "SELECT COUNT(*) FROM tickets WHERE community = ? AND opener_id = ? AND active = 1",
            (community, opener_id),
        )
        open_count = int(row[0]) if row else 0
        if open_count >= limits.max_open:
            raise LimitReached(open_count)
    if limits.cooldown_since is not None:
        row = await tx.fetch_one(
            "SELECT MAX(opened_at) FROM tickets WHERE community = ? AND opener_id = ?",
            (community, opener_id),
        )
        if row is not None and row[0] is not None and row[0] > to_db(limits.cooldown_since):
            raise CoolingDown(from_db(row[0]))


async def _add_history(
    tx: Transaction,
    community: str,
    number: int,
    at: datetime,
    actor: Actor,
    action: str,
    from_status: Status | None,
    to_status: Status | None,
    note: str,
    *,
    outcome: Outcome | None = None,
    promise_due: datetime | None = None,
) -> int:
    return await tx.insert(
        "INSERT INTO ticket_history (community, number, at, actor_id, actor_name, action,"
        " from_status, to_status, note, outcome, promise_due)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            community,
            number,
            to_db(at),
            actor.id,
            actor.name,
            action,
            _db_value(from_status),
            _db_value(to_status),
            note,
            _db_value(outcome),
            None if promise_due is None else to_db(promise_due),
        ),
    )


def _history(row: Row) -> HistoryEntry:
    return HistoryEntry(
        at=from_db(row["at"]),
        actor_id=row["actor_id"],
        actor_name=row["actor_name"],
        action=row["action"],
        from_status=None if row["from_status"] is None else Status(row["from_status"]),
        to_status=None if row["to_status"] is None else Status(row["to_status"]),
        note=row["note"],
        outcome=_outcome(row["outcome"]),
    )


def _outcome(value: str | None) -> Outcome | None:
    return None if value is None else Outcome(value)


def _db_value(value: object) -> object:
    if isinstance(value, bool):  # INTEGER columns; PostgreSQL takes no bool for them
        return int(value)
    if isinstance(value, datetime):
        return to_db(value)
    if isinstance(value, StrEnum):
        return value.value
    return value
