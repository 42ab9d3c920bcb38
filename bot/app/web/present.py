"""Tickets and their steps in the words of the page's language: plain text for the
templates (which escape it) and the feeds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot import formatting
from bot.i18n import I18n
from storage.tickets import HistoryEntry, Outcome, Status, Ticket


@dataclass(frozen=True, slots=True)
class Promise:
    """The promised next update: when, and whether it was kept so far."""

    due: datetime
    text: str
    overdue: bool


@dataclass(frozen=True, slots=True)
class StepView:
    at: datetime
    actor: str
    action: str
    note: str


class Presenter:
    def __init__(self, texts: I18n, locale: str, now: datetime) -> None:
        self.texts = texts
        self.locale = locale
        self.now = now

    def t(self, key: str, /, **values: str | int) -> str:
        return self.texts.text(key, self.locale, **values)

    def status(self, ticket: Ticket) -> str:
        return self.t(f"web.status.{ticket.status.value}")

    def outcome(self, ticket: Ticket) -> str:
        """How a resolved ticket ended (done, declined, duplicate); empty otherwise."""
        if ticket.status is not Status.RESOLVED:
            return ""
        return self.t(f"web.outcome.{(ticket.outcome or Outcome.DONE).value}")

    def promise(self, ticket: Ticket) -> Promise | None:
        """An active ticket's promised update: pending until due, then not kept; a new
        public update replaces it with the next promise."""
        due = ticket.next_update_due
        if due is None or not ticket.active:
            return None
        if due <= self.now:
            return Promise(due, self.t("web.promise_overdue", when=self.when(due)), True)
        return Promise(due, self.t("web.promise_pending", when=self.when(due)), False)

    def when(self, moment: datetime) -> str:
        return formatting.moment(moment, self.locale)

    def age(self, moment: datetime) -> str:
        return formatting.age(self.now - moment, self.locale)

    def step(self, entry: HistoryEntry) -> StepView:
        action = entry.action
        if action == "resolved" and entry.outcome not in (None, Outcome.DONE):
            action = str(entry.outcome)  # "declined it", "closed it as a duplicate"
        note = entry.note
        if entry.action == "follow-up":  # the note is the reason's code, not member text
            note = self._known(f"tickets.follow_up_reason.{entry.note}")
        return StepView(
            entry.at,
            entry.actor_name or entry.actor_id,
            self._known(f"tickets.action.{action}") or action,
            note,
        )

    def _known(self, key: str) -> str:
        """The text, or nothing for a key a newer version wrote and this one lacks."""
        try:
            return self.t(key)
        except KeyError:
            return ""
