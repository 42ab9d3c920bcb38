"""The ticket state machine under random commands by random roles.

Hypothesis drives a local community (an admin, a moderator, two ambassadors and three
members, one of them German-speaking) through the whole ticket surface: open, vote and 👍,
unvote, watch, claim (with and without takeover), update with ``next:``, escalate,
resolve (done, declined, duplicate), merge, withdraw, reopen, show, list and digest, with
valid and invalid arguments (unknown numbers, too-long or missing text, bad durations and
choices), run in #general, in the ticket's own thread without a number and in another
ticket's thread, and time jumps that let follow-ups, reminders and pings fire.

Each command's outcome is predicted from the tickets as stored before it (who may do
what, which statuses an action starts from, the open-ticket limit, the text rules), and
after every step the test checks what members see and what is stored, through the
repositories and the local community's record:

- a refused or read-only command changes nothing (tickets, history, votes, every public
  message and DM) and is answered privately, never with the generic apology;
- an accepted one moves its ticket to the documented status and owner, and no other;
- every history row is a documented transition by someone allowed to make it, the rows
  chain up to the ticket's status, and a closed ticket gets no vote or follow-up
  (`ticket_rules.py`);
- numbers are 1..n per community, never reused, and a ticket keeps its opener and title;
- once the outbox is delivered each ticket has exactly one tracker, showing its current
  status, owner and votes, and exactly one thread, archived exactly while it is closed;
- nothing is posted twice: the bot's messages in a thread match the history rows that
  announce there, #tickets holds one tracker per ticket, #company one summary per
  escalation, and a closed ticket stays quiet through every time jump;
- no exception or error is logged.

The bot is async and Hypothesis's stateful runner is not, so each machine owns an event
loop and a temporary data folder: `__init__` opens the bot on them, every rule runs its
coroutine with `loop.run_until_complete`, and `teardown` closes the bot, the loop and the
folder. Nothing runs in the background between rules (a local session starts neither the
scheduler loop nor the delivery loop; `advance` and `outbox.run_due` are called
explicitly), so with the profile's `derandomize` every run is the same.

Ticket numbers and actors are drawn with `data.draw` from the tickets that exist (and a
few that do not), so most commands reach the ticket's status rules instead of stopping
at "no such ticket"; a failure prints each draw under the step that made it.
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
from collections.abc import Coroutine
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from hypothesis import Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, rule, run_state_machine_as_test

from adapters.local import LocalCommunity
from bot.app.local_session import LocalSession
from bot.clock import VirtualClock
from bot.settings import Settings
from storage.ticket_votes import TicketVoteRepository
from storage.tickets import CLOSED, Status, Ticket, TicketRepository
from tests.property.ticket_rules import (
    AMBASSADORS,
    BOT,
    View,
    announced,
    check_history,
    tracker_lines,
)
from tests.tickets.desk import TICKETS_CONFIG, new_community

T = TypeVar("T")

MEMBERS = ("Alice", "Mo", "Amy", "Bo", "Ben", "Cy", "Dee")
MAX_OPEN = 3  # tickets.max_open_per_member in TICKETS_CONFIG
PROMPT = "ticket:resolve:"  # the action id of a ✅ prompt's buttons, then the number
PING = "without an ambassador. Who takes it?"  # tickets.first_response.ping
APOLOGIES = ("went wrong", "schiefgegangen")  # core.crashed, in English and German
# From the lifecycle's limits (cogs/tickets/lifecycle.py), as a member meets them.
TITLE_MAX, DETAILS_MAX, NOTE_MAX, DECLINE_REASON_MIN = 90, 1800, 1500, 20

members = st.sampled_from(MEMBERS)
# Ambassador commands by ambassadors more often than not, so they get past the permission
# check often enough to move tickets through every status.
staff = st.one_of(st.sampled_from(("Alice", "Amy", "Bo")), members)
# Where a command runs: #general with the number; the ticket's own thread without it; or
# another ticket's thread with the number written out (ambiguous for free text).
places = st.sampled_from(("general", "general", "thread", "other thread"))

TITLES = ("Dark mode", "Export to CSV", "x" * (TITLE_MAX + 1), "")
DETAILS = ("", "Too bright at night", "d" * (DETAILS_MAX + 1))
CATEGORIES = (None, "app", "Billing", "nope")
GOOD_NOTE = "Talked to the app team about it"
NOTES = (
    GOOD_NOTE,
    "Not planned: outside what the app does",
    "No.",
    "#2 was the cause",
    "",
    "x" * (NOTE_MAX + 1),
)
notes = st.one_of(st.just(GOOD_NOTE), st.sampled_from(NOTES))
BAD_DURATIONS = ("soon", "1d  " * 18 + "x")  # the second once took the parser 51 s
PROMISES = {"2d": timedelta(days=2), "12h": timedelta(hours=12)}
nexts = st.sampled_from((None, *PROMISES, *BAD_DURATIONS))
# The same update or escalation by its owner this soon again is a retry (lifecycle.py).
REPEAT_WINDOW = timedelta(minutes=10)
outcomes = st.one_of(st.none(), st.sampled_from(("declined", "duplicate", "maybe")))
# Longest first: Hypothesis leans towards a strategy's first choice, and a quiet ticket's
# first follow-up comes after quiet_after (3d).
WAITS = (timedelta(days=4), timedelta(days=1), timedelta(hours=12), timedelta(hours=1))
READS = (
    "/ticket show #{n}",
    "/ticket show",
    "/ticket list",
    "/ticket list all sort:age",
    "/ticket list resolved mine:yes",
    "/ticket list bogus",
    "/ticket list everywhere:yes",
    "/ticket list page:0",
    "/ticket digest",
    "/ticket",
)


# -- what a step is expected to do ------------------------------------------------------------


@dataclass(frozen=True)
class After:
    """A ticket's status and owner once an accepted step is done (and its votes)."""

    status: Status
    owner_id: str | None
    votes: int | None = None


@dataclass(frozen=True)
class Expect:
    """`refused`: nothing may change. Otherwise `tickets` says how those must change, and
    `touches` names other tickets the step may change too (a merge's kept ticket);
    `known=False` when the outcome depends on more than the test tracks."""

    refused: bool = False
    tickets: dict[int, After] = field(default_factory=dict)
    touches: frozenset[int] = frozenset()
    known: bool = True


REFUSED = Expect(refused=True)
UNKNOWN = Expect(known=False)


@dataclass(frozen=True)
class Spot:
    """Where a command runs and how it names its ticket there."""

    channel: str
    ref: str  # "#3", or "" inside the ticket's own thread
    elsewhere: bool  # inside another ticket's thread

    @property
    def own_thread(self) -> bool:
        return self.channel != "general" and not self.ref


@dataclass(frozen=True)
class Snapshot:
    tickets: dict[int, View]
    public: tuple[tuple[str, str, bool], ...]  # (channel, text, deleted) of every public post
    dms: int

    def compared(self) -> tuple[object, ...]:
        return ({n: v.compared for n, v in self.tickets.items()}, self.public, self.dms)


class ErrorLog(logging.Handler):
    """Collects every exception or error logged while the machine runs."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info or record.levelno >= logging.ERROR:
            self.records.append(f"{record.name}: {record.getMessage()}")


# -- the machine --------------------------------------------------------------------------------


class TicketDesk(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.folder = tempfile.TemporaryDirectory(prefix="ticket-machine-")
        self.errors = ErrorLog()
        logging.getLogger().addHandler(self.errors)
        self.session = self.run(open_session(Path(self.folder.name)))
        self.c: LocalCommunity = self.session.community
        db = self.session.app.services.db
        self.repo = TicketRepository(db)
        self.votes = TicketVoteRepository(db)
        self.first_seen: dict[int, tuple[str, str]] = {}  # number → (opener, title)
        self.state = self.run(self.snapshot())

    def teardown(self) -> None:
        try:
            self.run(self.session.app.close())
        finally:
            self.loop.close()
            logging.getLogger().removeHandler(self.errors)
            self.folder.cleanup()

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return self.loop.run_until_complete(coroutine)

    # -- opening and voting --------------------------------------------------------------------

    @initialize()
    def three_tickets(self) -> None:
        self.open("Ben", "Dark mode", "", "app")
        self.open("Cy", "Export to CSV", "For my accountant", None)
        self.open("Dee", "Faster search", "", "billing")

    @rule(
        who=members,
        title=st.sampled_from(TITLES),
        details=st.sampled_from(DETAILS),
        category=st.sampled_from(CATEGORIES),
    )
    def open(self, who: str, title: str, details: str, category: str | None) -> None:
        line = f'/ticket open "{title}"' if title else "/ticket open"
        line += f' details:"{details}"' if details else ""
        line += f" category:{category}" if category else ""
        expect = self.opening(who, title, details, category) if title else REFUSED
        self.step(who, line, "general", expect, form=not title)  # no title: a form opens

    @rule(
        who=members,
        title=st.sampled_from(TITLES),
        details=st.sampled_from(DETAILS),
        category=st.sampled_from(CATEGORIES),
    )
    def open_with_form(self, who: str, title: str, details: str, category: str | None) -> None:
        """`/ticket open` without a title opens a form; its submission opens the ticket."""
        self.step(who, "/ticket open", "general", REFUSED, form=True)
        values = {"title": title, "details": details, "category": category or ""}
        submit = self.c.submit(self.c.member(who), values)
        expect = self.opening(who, title, details, category)
        self.act(who, f"submitted the open form {values}", submit, expect)

    @rule(data=st.data(), who=members, notify=st.sampled_from((None, "no", "yes")))
    def vote(self, data: st.DataObject, who: str, notify: str | None) -> None:
        number = self.pick(data)
        line = f"/ticket vote #{number}" + (f" notify:{notify}" if notify else "")
        ticket = self.tickets.get(number)
        voted = self.voted(who, number)
        if ticket is None or ticket.opener_id == _id(who) or not ticket.active:
            expect = REFUSED  # unknown, their own, or closed: its votes no longer change
        elif voted and notify is None:
            expect = REFUSED  # already voted
        elif voted:
            expect = UNKNOWN  # changes only whether they hear about the resolution
        else:
            after = After(ticket.status, ticket.owner_id, ticket.vote_count + 1)
            expect = Expect(tickets={number: after})
        self.step(who, line, "general", expect)

    @rule(data=st.data(), who=members)
    def unvote(self, data: st.DataObject, who: str) -> None:
        number = self.pick(data)
        ticket = self.tickets.get(number)
        if ticket is None or not self.voted(who, number):
            expect = REFUSED
        elif ticket.active:
            after = After(ticket.status, ticket.owner_id, ticket.vote_count - 1)
            expect = Expect(tickets={number: after})
        else:
            expect = UNKNOWN
        self.step(who, f"/ticket unvote #{number}", "general", expect)

    @rule(data=st.data(), who=members, on=st.booleans())
    def watch(self, data: st.DataObject, who: str, on: bool) -> None:
        """Watching changes whom a resolution is told later, nothing anyone sees now."""
        line = f"/ticket {'watch' if on else 'unwatch'} #{self.pick(data)}"
        self.step(who, line, "general", REFUSED)

    @rule(data=st.data(), who=members, emoji=st.sampled_from(("👍", "✅")), add=st.booleans())
    def react(self, data: st.DataObject, who: str, emoji: str, add: bool) -> None:
        self.reaction(who, self.pick(data), emoji, add)

    def reaction(self, who: str, number: int, emoji: str, add: bool) -> None:
        """👍 or ✅ on a tracker, added or taken away. A 👍 may count as a vote (the
        opener's is taken back); a ✅ from an ambassador on an active ticket brings one
        private prompt, anyone else's is taken back with a private note. No status moves
        and no history is written except a vote's."""
        view = self.state.tickets.get(number)
        if view is None or view.ticket.tracker_message_id is None:
            return
        member, tracker = self.c.member(who), self.c.message(int(view.ticket.tracker_message_id))
        again = add is (member.id in tracker.reactions.get(emoji, []))  # no event at all
        dms = len(self.c.direct_messages(member))
        self.run((self.c.react if add else self.c.unreact)(member, tracker.number, emoji))
        self.run(self.session.app.services.outbox.run_due())
        after = self.run(self.snapshot())
        for n, before in self.state.tickets.items():
            now = after.tickets[n]
            assert now.ticket.status is before.ticket.status, (who, emoji, n)
            added = {e.action for e in now.history[len(before.history) :]}
            assert added <= {"vote", "unvote"}, (who, emoji, n, added)
        if emoji == "✅" or view.ticket.opener_id == member.id or not view.ticket.active:
            assert after.tickets[number].compared == view.compared, (who, emoji, number)
        told = self.c.direct_messages(member)[dms:]
        ambassador, refused = _id(who) in AMBASSADORS, emoji == "✅" and _id(who) not in AMBASSADORS
        if (
            add
            and not again
            and (refused or (emoji == "👍" and view.ticket.opener_id == member.id))
        ):
            if view.ticket.active or emoji == "✅":
                assert member.id not in tracker.reactions.get(emoji, []), (who, emoji, number)
                assert len(told) == 1 and not told[0].buttons, (who, emoji, number, told)
        elif add and not again and emoji == "✅" and ambassador and view.ticket.active:
            assert len(told) == 1 and told[0].buttons, (who, number, told)  # the prompt
        self.check(after)

    # -- ambassadors ------------------------------------------------------------------------------

    @rule(data=st.data(), who=staff, takeover=st.booleans(), where=places)
    def claim(self, data: st.DataObject, who: str, takeover: bool, where: str) -> None:
        number = self.pick(data)
        spot = self.place(data, number, where)
        line = f"/ticket claim {spot.ref}".rstrip() + (" takeover:yes" if takeover else "")
        ticket = self.tickets.get(number)
        if (
            _id(who) not in AMBASSADORS
            or ticket is None
            or not ticket.active
            or ticket.owner_id == _id(who)
            or (ticket.owner_id is not None and not takeover)
        ):
            expect = REFUSED
        else:
            status = Status.CLAIMED if ticket.status is Status.OPEN else ticket.status
            expect = Expect(tickets={number: After(status, _id(who))})
        self.step(who, line, spot.channel, expect)

    @rule(data=st.data(), who=staff, note=notes, next_in=nexts, where=places)
    def update(
        self, data: st.DataObject, who: str, note: str, next_in: str | None, where: str
    ) -> None:
        number = self.pick(data)
        spot = self.place(data, number, where)
        line = free_text_line("update", spot, note)
        line += f' next:"{next_in}"' if next_in else ""
        expect = self.ambassador_step(who, number, spot, note, Status.CLAIMED)
        if next_in in BAD_DURATIONS:
            expect = REFUSED
        elif not expect.refused and self.retried(who, number, spot, note, self.due(next_in)):
            expect = REFUSED  # the same update again: confirmed, not posted twice
        self.step(who, line, spot.channel, expect)

    @rule(data=st.data(), who=staff, note=notes, where=places)
    def escalate(self, data: st.DataObject, who: str, note: str, where: str) -> None:
        number = self.pick(data)
        spot = self.place(data, number, where)
        expect = self.ambassador_step(who, number, spot, note, Status.WAITING)
        if not expect.refused and self.retried(who, number, spot, note, escalation=True):
            expect = REFUSED  # the same escalation again: nothing is sent twice
        self.step(who, free_text_line("escalate", spot, note), spot.channel, expect)

    @rule(data=st.data(), who=staff, note=notes, outcome=outcomes, where=places)
    def resolve(
        self, data: st.DataObject, who: str, note: str, outcome: str | None, where: str
    ) -> None:
        number = self.pick(data)
        spot = self.place(data, number, where)
        line = free_text_line("resolve", spot, note)
        line += f" outcome:{outcome}" if outcome else ""
        expect = self.ambassador_step(who, number, spot, note, Status.RESOLVED)
        reason = text_of(number, spot, note).strip()
        if outcome == "maybe" or (outcome == "declined" and len(reason) < DECLINE_REASON_MIN):
            expect = REFUSED
        self.step(who, line, spot.channel, expect)

    @rule(data=st.data(), who=staff, into=st.sampled_from(("into ", "into ", "", "onto ")))
    def merge(self, data: st.DataObject, who: str, into: str) -> None:
        source, kept = self.pick(data, "source"), self.pick(data, "kept")
        line = f"/ticket merge #{source} {into}#{kept}"
        old, new = self.tickets.get(source), self.tickets.get(kept)
        if (
            _id(who) not in AMBASSADORS
            or into == "onto "
            or source == kept
            or old is None
            or new is None
            or not (old.active and new.active)
        ):
            expect = REFUSED
        else:
            after = After(Status.MERGED, old.owner_id)
            expect = Expect(tickets={source: after}, touches=frozenset({kept}))
        self.step(who, line, "general", expect)

    @rule(
        data=st.data(),
        outcome=st.sampled_from(("", ":declined", ":duplicate")),
        note=notes,
    )
    def resolve_by_prompt(self, data: st.DataObject, outcome: str, note: str) -> None:
        """✅ on a tracker, then a button of one of the prompts sent so far (the new one
        more often than not), pressed by the ambassador it was sent to or by anyone else,
        then the resolution form. Only ambassadors get the form; a prompt for a ticket
        closed since then is refused."""
        asker, number = data.draw(staff, label="asker"), self.pick(data)
        self.reaction(asker, number, "✅", add=False)
        self.reaction(asker, number, "✅", add=True)
        prompts = [
            m
            for m in self.c.messages
            if m.channel_id.startswith("dm-")
            and any(b.action_id.startswith(PROMPT) for b in m.buttons)
        ]
        if not prompts:
            return
        prompt = data.draw(
            st.one_of(st.just(prompts[-1]), st.sampled_from(prompts)), label="prompt"
        )
        addressee = self.c.members[prompt.channel_id.removeprefix("dm-")].name
        who = data.draw(st.one_of(st.just(addressee), members), label="who")
        number = int(prompt.buttons[0].action_id.removeprefix(PROMPT))
        ticket = self.tickets[number]
        member, action_id = self.c.member(who), f"{PROMPT}{number}{outcome}"
        form_before = self.c.open_forms.get(member.id)
        press = self.c.press(member, prompt.number, action_id)
        self.act(who, f"pressed {action_id}", press, REFUSED, form=True)
        form = self.c.open_forms.get(member.id)
        opened = form is not None and form is not form_before
        allowed = _id(who) in AMBASSADORS and ticket.active
        assert opened == allowed, f"{who} pressed {action_id} on #{number} ({ticket.status})"
        if not opened:
            return
        submit = self.c.submit(member, {"resolution": note})
        expect = Expect(tickets={number: After(Status.RESOLVED, ticket.owner_id or _id(who))})
        text = note.strip()
        if not text or len(text) > NOTE_MAX:
            expect = REFUSED
        if outcome == ":declined" and len(text) < DECLINE_REASON_MIN:
            expect = REFUSED
        self.act(who, f"submitted {note[:40]!r} for {action_id}", submit, expect)

    # -- openers ----------------------------------------------------------------------------------

    @rule(data=st.data(), reason=notes, where=places)
    def withdraw(self, data: st.DataObject, reason: str, where: str) -> None:
        number = self.pick(data)
        who = self.opener_or_anyone(data, number)
        spot = self.place(data, number, where)
        ticket = target(self.tickets, number, spot, reason)
        if ticket is None or ticket.opener_id != _id(who) or not ticket.active:
            expect = REFUSED
        else:
            expect = Expect(tickets={number: After(Status.WITHDRAWN, ticket.owner_id)})
        self.step(who, free_text_line("withdraw", spot, reason), spot.channel, expect)

    @rule(data=st.data(), note=notes, where=places)
    def reopen(self, data: st.DataObject, note: str, where: str) -> None:
        number = self.pick(data)
        who = self.opener_or_anyone(data, number)
        spot = self.place(data, number, where)
        ticket = target(self.tickets, number, spot, note)
        ambassador = _id(who) in AMBASSADORS
        if ticket is None or ticket.status not in CLOSED:
            expect = REFUSED  # unknown, active, or merged
        elif ticket.opener_id != _id(who) and not ambassador:
            expect = REFUSED
        elif not ambassador and self.active_of(ticket.opener_id) >= MAX_OPEN:
            expect = REFUSED  # a reopened ticket counts against the opener's limit
        else:
            status = Status.CLAIMED if ticket.owner_id else Status.OPEN
            expect = Expect(tickets={number: After(status, ticket.owner_id)})
        self.step(who, free_text_line("reopen", spot, note), spot.channel, expect)

    # -- reading and waiting ----------------------------------------------------------------------

    @rule(data=st.data(), who=members, line=st.sampled_from(READS))
    def read(self, data: st.DataObject, who: str, line: str) -> None:
        """Reading changes nothing, whoever asks and whatever they ask for."""
        self.step(who, line.replace("{n}", str(self.pick(data))), "general", REFUSED)

    @rule(delta=st.sampled_from(WAITS))
    def wait(self, delta: timedelta) -> None:
        """Time passes: follow-ups, reminders and pings fire, for active tickets only."""
        before = self.state
        self.run(self.session.advance(delta))
        self.run(self.session.app.services.outbox.run_due())
        after = self.run(self.snapshot())
        for number, view in before.tickets.items():
            now = after.tickets[number]
            assert (now.ticket.status, now.ticket.owner_id) == (
                view.ticket.status,
                view.ticket.owner_id,
            ), number
            added = now.history[len(view.history) :]
            assert {e.actor_id for e in added} <= {BOT}, (number, added)
            if not view.ticket.active:
                assert now.compared == view.compared, f"#{number} is {view.ticket.status}"
        self.check(after)

    # -- one step ---------------------------------------------------------------------------

    def step(
        self, who: str, line: str, channel: str, expect: Expect, *, form: bool = False
    ) -> None:
        """Run one command line as `who` in `channel`."""
        command = self.c.run(self.c.member(who), line, channel)
        self.act(who, f"in #{channel}: {line[:100]!r}", command, expect, form=form)

    def act(
        self,
        who: str,
        what: str,
        action: Coroutine[Any, Any, None],
        expect: Expect,
        *,
        form: bool = False,
    ) -> None:
        """Do one thing as `who` and deliver what it queued; check the answer (a private
        reply, or a form where `form` allows one) and what changed against `expect`."""
        member = self.c.member(who)
        before = self.state
        replies = len(self.c.private_replies(member))
        form_before = self.c.open_forms.get(member.id)
        self.run(action)
        self.run(self.session.app.services.outbox.run_due())
        after = self.run(self.snapshot())
        answers = [m.text for m in self.c.private_replies(member)[replies:]]
        context = f"{who} {what} → {answers}"
        form_now = self.c.open_forms.get(member.id)
        form_opened = form_now is not None and form_now is not form_before
        assert answers or (form and form_opened), f"no answer: {context}"
        assert not any(a in text for text in answers for a in APOLOGIES), context
        if expect.refused:
            assert after.compared() == before.compared(), f"a refusal changed something: {context}"
        elif expect.known:
            assert after.compared() != before.compared(), f"nothing changed: {context}"
            check_accepted(before, after, expect, context)
        self.check(after)

    # -- invariants, after every step ----------------------------------------------------------

    def check(self, after: Snapshot) -> None:
        assert self.errors.records == [], self.errors.records
        numbers = sorted(after.tickets)
        assert numbers == list(range(1, len(numbers) + 1)), numbers
        assert len(numbers) >= len(self.state.tickets), "a ticket disappeared"
        for number, view in after.tickets.items():
            ticket = view.ticket
            seen = self.first_seen.setdefault(number, (ticket.opener_id, ticket.title))
            assert seen == (ticket.opener_id, ticket.title), f"#{number} was reused"
            check_history(ticket, view.history)
            assert ticket.vote_count == len(view.voters), number
            assert ticket.opener_id not in view.voters, number
            self.check_tracker(view)
            self.check_thread(view)
        posts = [(channel, text) for channel, text, deleted in after.public if not deleted]
        trackers = [text for channel, text in posts if channel == "tickets"]
        assert len(trackers) == len(numbers), trackers
        escalations = sum(
            1 for v in after.tickets.values() for e in v.history if e.action == "escalated"
        )
        assert sum(1 for channel, _ in posts if channel == "company") == escalations
        pings = [text for channel, text in posts if channel == "ambassadors" and PING in text]
        for number, view in after.tickets.items():
            sent = sum(1 for text in pings if f"Ticket #{number} “" in text)
            rows = sum(1 for e in view.history if e.action == "first-response-escalated")
            assert sent == rows <= 1, f"#{number}: {sent} first-response ping(s), {rows} row(s)"
        assert not any(a in text for _, text in posts for a in APOLOGIES)
        self.state = after

    def check_tracker(self, view: View) -> None:
        ticket = view.ticket
        assert ticket.tracker_message_id is not None, f"#{ticket.number} has no tracker"
        tracker = self.c.message(int(ticket.tracker_message_id))
        assert tracker.by_bot and tracker.channel_id == "tickets" and not tracker.deleted
        for line in tracker_lines(ticket):
            assert line in tracker.text, f"#{ticket.number}: {line!r} not in {tracker.text!r}"

    def check_thread(self, view: View) -> None:
        ticket = view.ticket
        threads = [
            c
            for c in self.c.channels.values()
            if c.parent_id == "tickets" and c.name.startswith(f"Ticket #{ticket.number}: ")
        ]
        assert len(threads) == 1 and ticket.thread_id == threads[0].id, (ticket.number, threads)
        assert view.archived is (not ticket.active), f"#{ticket.number} {ticket.status}"
        posts = [
            m.text
            for m in self.c.messages
            if m.channel_id == ticket.thread_id and m.by_bot and m.private_to is None
        ]
        actions = [e.action for e in view.history]
        assert len(posts) == announced(view.history), (ticket.number, actions, posts)

    # -- reading the community and the database -------------------------------------------------

    async def snapshot(self) -> Snapshot:
        key = self.c.community.key
        views: dict[int, View] = {}
        number = 1
        while (ticket := await self.repo.get(key, number)) is not None:
            history = tuple(await self.repo.history(key, number, limit=10_000))
            voters = tuple(await self.votes.voters(key, number))
            tracker = ""
            if ticket.tracker_message_id is not None:
                tracker = self.c.message(int(ticket.tracker_message_id)).text
            thread = self.c.channels.get(ticket.thread_id or "")
            views[number] = View(ticket, history, voters, tracker, thread and thread.archived)
            number += 1
        public = tuple(
            (m.channel_id, m.text, m.deleted)
            for m in self.c.messages
            if m.private_to is None and not m.channel_id.startswith("dm-")
        )
        dms = sum(
            1 for m in self.c.messages if m.channel_id.startswith("dm-") and m.private_to is None
        )
        return Snapshot(views, public, dms)

    @property
    def tickets(self) -> dict[int, Ticket]:
        return {n: v.ticket for n, v in self.state.tickets.items()}

    def active_of(self, opener_id: str) -> int:
        return sum(1 for t in self.tickets.values() if t.opener_id == opener_id and t.active)

    def voted(self, who: str, number: int) -> bool:
        view = self.state.tickets.get(number)
        return view is not None and _id(who) in view.voters

    # -- drawing tickets, actors and places -----------------------------------------------------

    def pick(self, data: st.DataObject, label: str = "number") -> int:
        """A ticket that exists, three times in four; else one that does not (0 is below
        the option's minimum)."""
        known = sorted(self.state.tickets)
        missing = st.sampled_from((0, len(known) + 1, 999_999_999))
        existing = st.sampled_from(known) if known else missing
        return data.draw(st.one_of(existing, existing, existing, missing), label=label)

    def opener_or_anyone(self, data: st.DataObject, number: int) -> str:
        ticket = self.tickets.get(number)
        if ticket is None:
            return data.draw(members, label="who")
        opener = self.c.members[ticket.opener_id].name
        return data.draw(st.one_of(st.just(opener), members), label="who")

    def place(self, data: st.DataObject, number: int, where: str) -> Spot:
        ticket = self.tickets.get(number)
        if where == "general" or ticket is None or ticket.thread_id is None:
            return Spot("general", f"#{number}", False)
        if where == "thread":
            return Spot(self.c.channels[ticket.thread_id].name, "", False)
        host = self.tickets.get(self.pick(data, "thread of"))
        if host is None or host.thread_id is None:
            return Spot("general", f"#{number}", False)
        return Spot(self.c.channels[host.thread_id].name, f"#{number}", host.number != number)

    def opening(self, who: str, title: str, details: str, category: str | None) -> Expect:
        """Open: a title and details that fit, a known category, the member's limit."""
        if (
            not " ".join(title.split())
            or len(title) > TITLE_MAX
            or len(details) > DETAILS_MAX
            or (category and category.lower() not in ("app", "billing"))
            or (_id(who) not in AMBASSADORS and self.active_of(_id(who)) >= MAX_OPEN)
        ):
            return REFUSED
        return Expect(tickets={len(self.tickets) + 1: After(Status.OPEN, None, 0)})

    def retried(
        self,
        who: str,
        number: int,
        spot: Spot,
        note: str,
        due: datetime | None = None,
        *,
        escalation: bool = False,
    ) -> bool:
        """An accepted update or escalation that repeats the owner's last public note (and
        promise) of a moment ago is a retry: it is confirmed and changes nothing. Only an
        escalation of a ticket already waiting on the company counts as repeated."""
        ticket = self.tickets[number]
        if escalation and ticket.status is not Status.WAITING:
            return False
        if not escalation and not same_promise(ticket.next_update_due, due):
            return False
        last = ticket.last_public_update_at
        return (
            ticket.owner_id == _id(who)
            and ticket.last_public_note == text_of(number, spot, note).strip()
            and last is not None
            and self.session.clock.now() - last <= REPEAT_WINDOW
        )

    def due(self, next_in: str | None) -> datetime | None:
        return None if next_in is None else self.session.clock.now() + PROMISES[next_in]

    def ambassador_step(
        self, who: str, number: int, spot: Spot, note: str, status: Status
    ) -> Expect:
        """Update, escalate and resolve: an ambassador, an active ticket, a fitting note;
        an ambassador acting on an unowned ticket takes it on."""
        ticket = target(self.tickets, number, spot, note)
        text = text_of(number, spot, note).strip()
        if _id(who) not in AMBASSADORS:
            return REFUSED
        if ticket is None or not ticket.active or not text or len(text) > NOTE_MAX:
            return REFUSED
        if status is Status.CLAIMED and ticket.status is Status.WAITING:
            status = Status.WAITING  # an update keeps a ticket waiting on the company
        return Expect(tickets={number: After(status, ticket.owner_id or _id(who))})


# -- helpers --------------------------------------------------------------------------------------


def same_promise(stored: datetime | None, asked: datetime | None) -> bool:
    if stored is None or asked is None:
        return stored is asked
    return abs(stored - asked) <= REPEAT_WINDOW


def check_accepted(before: Snapshot, after: Snapshot, expect: Expect, context: str) -> None:
    for number, wanted in expect.tickets.items():
        assert number in after.tickets, context
        ticket = after.tickets[number].ticket
        assert (ticket.status, ticket.owner_id) == (wanted.status, wanted.owner_id), context
        if wanted.votes is not None:
            assert ticket.vote_count == wanted.votes, context
    for number, view in before.tickets.items():
        if number not in expect.tickets and number not in expect.touches:
            assert after.tickets[number].compared == view.compared, f"#{number}: {context}"


def free_text_line(name: str, spot: Spot, text: str) -> str:
    return " ".join(part for part in (f"/ticket {name}", spot.ref, text) if part)


def target(tickets: dict[int, Ticket], number: int, spot: Spot, text: str) -> Ticket | None:
    """The ticket a free-text command acts on, or None where it must be refused: an
    unknown number, or another ticket's number leading the text inside a thread."""
    if spot.elsewhere:
        return None  # "/ticket resolve #2 …" inside #1's thread is ambiguous
    if spot.own_thread and text.startswith("#") and int(text[1:].split()[0]) != number:
        return None  # the text starts with another ticket's number
    return tickets.get(number)


def text_of(number: int, spot: Spot, text: str) -> str:
    """The free text as the command sees it, once a leading ``#N`` was taken."""
    if spot.own_thread and text.startswith(f"#{number} "):
        return text.removeprefix(f"#{number} ")
    return text


async def open_session(folder: Path) -> LocalSession:
    config = folder / "botschafter.toml"
    config.write_text(TICKETS_CONFIG, encoding="utf-8")
    settings = Settings(data_dir=folder / "data", config_file=config, _env_file=None)  # type: ignore[call-arg]
    clock = VirtualClock()
    community = new_community()
    community.now = clock.now
    return await LocalSession.open(settings, clock=clock, community=community)


def _id(name: str) -> str:
    return name.casefold()


def test_ticket_state_machine_under_random_commands_by_random_roles() -> None:
    run_state_machine_as_test(
        TicketDesk,
        # No "explain" phase: re-running every step of a failure's variants takes minutes
        # here, and the shrunk steps with each draw already say what happened.
        settings=settings(
            max_examples=30,
            stateful_step_count=25,
            phases=(Phase.explicit, Phase.generate, Phase.shrink),
        ),
    )
