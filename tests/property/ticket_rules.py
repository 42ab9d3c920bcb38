"""What docs/tickets.md promises about a ticket, as checks on what is stored and shown.

Used by the ticket state machine (test_ticket_state_machine.py) after every step: the
documented transitions and who may make them, checked on every history row; the
tracker's status, owner and votes; which history rows are announced in the thread.
"""

from __future__ import annotations

from dataclasses import dataclass

from storage.tickets import ACTIVE, CLOSED, HistoryEntry, Outcome, Status, Ticket

# Who is who in `tests.tickets.desk.new_community()`; admins hold the ambassador level too.
AMBASSADORS = frozenset({"alice", "amy", "bo"})
BOT = "bot"

_SAME = {(s, s) for s in ACTIVE}
# action → the (from, to) pairs it may record. Votes, follow-ups and pings carry none.
TRANSITIONS: dict[str, set[tuple[Status | None, Status | None]]] = {
    "opened": {(None, Status.OPEN)},
    "claimed": {(Status.OPEN, Status.CLAIMED), *(_SAME - {(Status.OPEN, Status.OPEN)})},
    "updated": {(Status.OPEN, Status.CLAIMED), *(_SAME - {(Status.OPEN, Status.OPEN)})},
    "escalated": {(s, Status.WAITING) for s in ACTIVE},
    "resolved": {(s, Status.RESOLVED) for s in ACTIVE},
    "withdrawn": {(s, Status.WITHDRAWN) for s in ACTIVE},
    "reopened": {(c, t) for c in CLOSED for t in (Status.OPEN, Status.CLAIMED)},
    "merged": {(s, Status.MERGED) for s in ACTIVE},
    "merged-in": _SAME,
    "vote": {(None, None)},
    "unvote": {(None, None)},
    "follow-up": {(None, None)},
    "first-response-escalated": {(None, None)},
    "lead-escalated": {(None, None)},
    "edited": _SAME,
    "assigned": {(Status.OPEN, Status.CLAIMED), *(_SAME - {(Status.OPEN, Status.OPEN)})},
}
AMBASSADOR_ACTIONS = frozenset(
    {"claimed", "assigned", "updated", "escalated", "resolved", "merged", "merged-in"}
)
BOT_ACTIONS = frozenset({"follow-up", "first-response-escalated", "lead-escalated"})
# Rows that only an active ticket gets: a closed ticket takes no votes and no follow-ups.
ACTIVE_ONLY = BOT_ACTIONS | {"vote"}
# Rows announced by exactly one bot message in the ticket's thread.
THREAD_POSTS = frozenset(
    {
        "opened",
        "claimed",
        "updated",
        "escalated",
        "resolved",
        "withdrawn",
        "reopened",
        "merged",
        "merged-in",
        "follow-up",
        "edited",
        "assigned",
    }
)
STATUS_SHOWN = {
    Status.OPEN: "🟢 open",
    Status.CLAIMED: "🔵 claimed",
    Status.WAITING: "🟠 waiting on company",
    Status.WITHDRAWN: "⚪ withdrawn",
    Status.MERGED: "↪️ merged",
}
OUTCOME_SHOWN = {
    Outcome.DONE: "✅ resolved",
    Outcome.DECLINED: "🚫 declined",
    Outcome.DUPLICATE: "🔁 duplicate",
}


@dataclass(frozen=True)
class View:
    """One ticket as stored, and as its tracker and thread show it."""

    ticket: Ticket
    history: tuple[HistoryEntry, ...]
    voters: tuple[str, ...]
    tracker: str
    archived: bool | None

    @property
    def compared(self) -> tuple[object, ...]:
        """What a refused step must leave alone."""
        t = self.ticket
        state = (t.status, t.outcome, t.owner_id, t.vote_count, t.next_update_due)
        return (*state, len(self.history), self.voters, self.tracker, self.archived)


def check_history(ticket: Ticket, history: tuple[HistoryEntry, ...]) -> None:
    """Every row is a documented transition by someone allowed to make it, the rows chain
    from "opened" to the ticket's status, and a closed ticket got no vote or follow-up."""
    status: Status | None = None
    for entry in history:
        row = f"#{ticket.number} {entry.action} by {entry.actor_id}"
        assert (entry.from_status, entry.to_status) in TRANSITIONS[entry.action], row
        if entry.to_status is not None:
            assert entry.from_status == status, f"{row}: it was {status}"
            status = entry.to_status
        elif entry.action in ACTIVE_ONLY:
            assert status in ACTIVE, f"{row} while {status}"
        assert may_record(entry, ticket), row
    assert status is ticket.status, f"#{ticket.number}: history ends {status}"


def may_record(entry: HistoryEntry, ticket: Ticket) -> bool:
    """docs/tickets.md "Permissions": who may make the change this row records."""
    if entry.action in AMBASSADOR_ACTIONS:
        return entry.actor_id in AMBASSADORS
    if entry.action in BOT_ACTIONS:
        return entry.actor_id == BOT
    if entry.action in ("opened", "withdrawn"):
        return entry.actor_id == ticket.opener_id
    if entry.action in ("reopened", "edited"):
        return entry.actor_id in AMBASSADORS | {ticket.opener_id}
    if entry.action == "vote":
        return entry.actor_id != ticket.opener_id
    return True


def tracker_lines(ticket: Ticket) -> tuple[str, ...]:
    """Lines the tracker must show for the ticket as stored now."""
    shown = STATUS_SHOWN.get(ticket.status) or OUTCOME_SHOWN[ticket.outcome or Outcome.DONE]
    owner = f"@{ticket.owner_name}" if ticket.owner_id else "—"
    return (
        f"**Ticket #{ticket.number}:**",
        f"Status: {shown}",
        f"Owner: {owner}",
        f"Votes: 👍 {ticket.vote_count}",
    )


def announced(history: tuple[HistoryEntry, ...]) -> int:
    """How many bot messages the ticket's thread holds for this history."""
    return sum(1 for entry in history if entry.action in THREAD_POSTS)
