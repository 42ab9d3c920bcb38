"""How tickets look: the public tracker message, list lines, history lines, times and ages.

Rendering is pure (ticket + catalog + locale + now in, neutral message out), so the tracker
looks the same wherever it is edited from: a command, a reaction or a scheduled follow-up.
User-written text (title, details, notes) always goes in as plain, escaped text.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot import formatting
from bot.i18n import I18n
from bot.languages import own_name
from bot.outgoing import Field, Link, Markup, Mention, OutgoingMessage, Rich, Segment, rich
from bot.platform_names import platform_name
from bot.text import excerpt
from storage.tickets import HistoryEntry, Outcome, Status, Ticket

# Discord embeds and Slack blocks both cut long fields; these keep a tracker readable.
DETAILS_ON_TRACKER = 300
NOTE_ON_TRACKER = 200
TITLE_IN_LIST = 60


def when(moment: datetime, locale: str) -> str:
    """A time in UTC, named so: trackers are read across time zones (`formatting.moment`)."""
    return formatting.moment(moment, locale)


def age(delta: timedelta, locale: str) -> str:
    """A coarse age (``3d``, ``5h``, ``12m``): precision beyond the largest unit is noise."""
    return formatting.age(delta, locale)


def person(user_id: str | None, name: str | None) -> Segment:
    return Mention(user_id, name or user_id) if user_id else Markup("—")


class TicketRenderer:
    def __init__(self, i18n: I18n) -> None:
        self._i18n = i18n

    def status(self, ticket: Ticket, locale: str) -> str:
        if ticket.status is Status.MERGED:
            return self._i18n.text("tickets.status.merged_into", locale, target=ticket.merged_into)
        return self._status(ticket.status, ticket.outcome, locale)

    def _status(self, status: Status, outcome: Outcome | None, locale: str) -> str:
        """A resolved ticket shows how it ended: resolved (done), declined or duplicate."""
        if status is Status.RESOLVED and outcome not in (None, Outcome.DONE):
            return self._i18n.text(f"tickets.status.{outcome}", locale)
        return self._i18n.text(f"tickets.status.{status.value}", locale)

    def tracker(
        self,
        ticket: Ticket,
        locale: str,
        now: datetime,
        board: str | None = None,
        *,
        language: str | None = None,
    ) -> OutgoingMessage:
        """The public tracker: everything a member needs to see where a ticket stands;
        `board` is the ticket's page on the public web board, when there is one, and
        `language` the ticket's language, shown by its own name (``Deutsch``) so its
        speakers spot it, when the community set up languages (`Announcer.language`)."""
        t = self._i18n.t
        fields = [
            Field(t("tickets.field.status", locale), rich(self.status(ticket, locale))),
            Field(
                t("tickets.field.opened_by", locale),
                (person(ticket.opener_id, ticket.opener_name),),
            ),
            Field(t("tickets.field.owner", locale), (person(ticket.owner_id, ticket.owner_name),)),
            Field(
                t("tickets.field.age", locale),
                t(
                    "tickets.value.age",
                    locale,
                    age=age(now - ticket.opened_at, locale),
                    opened=when(ticket.opened_at, locale),
                ),
            ),
            Field(
                t("tickets.field.votes", locale),
                t("tickets.value.votes", locale, votes=ticket.vote_count),
            ),
            Field(t("tickets.field.last_update", locale), self._last_update(ticket, locale)),
        ]
        if language:
            fields.insert(1, Field(t("tickets.field.language", locale), rich(own_name(language))))
        if ticket.category:
            fields.insert(1, Field(t("tickets.field.category", locale), rich(ticket.category)))
        if ticket.active:
            fields.append(
                Field(t("tickets.field.next_update", locale), self._promise(ticket, locale))
            )
        if ticket.status is Status.RESOLVED:
            fields.append(Field(t("tickets.field.resolution", locale), rich(ticket.resolution)))
        if board:
            fields.append(Field(t("tickets.field.board", locale), (Link(board),)))
        text: Rich = rich(excerpt(ticket.details, DETAILS_ON_TRACKER)) if ticket.details else ()
        if ticket.private:
            hint = t("tickets.tracker.private_hint", locale, number=ticket.number)
            text = rich(text, Markup("\n\n") if text else (), hint)
        elif ticket.active:
            hint = t("tickets.tracker.vote_hint", locale, number=ticket.number)
            text = rich(text, Markup("\n\n") if text else (), hint)
        title_key = "tickets.tracker.title_private" if ticket.private else "tickets.tracker.title"
        return OutgoingMessage(
            title=t(title_key, locale, number=ticket.number, title=ticket.title),
            text=text,
            fields=tuple(fields),
        )

    def list_line(self, ticket: Ticket, locale: str, now: datetime, *, platform: bool) -> Rich:
        """One line of /ticket list; names, not mentions, so other platforms' users read fine."""
        line = self._i18n.t(
            "tickets.list.line_private" if ticket.private else "tickets.list.line",
            locale,
            number=ticket.number,
            title=excerpt(ticket.title, TITLE_IN_LIST),
            status=self.status(ticket, locale),
            owner=ticket.owner_name or "—",
            votes=ticket.vote_count,
            age=age(now - ticket.opened_at, locale),
        )
        prefix: Rich = ()
        if platform:
            prefix = self._i18n.t(
                "tickets.list.platform",
                locale,
                platform=platform_name(self._i18n, ticket.community.partition(":")[0], locale),
            )
        link: Rich = (Markup(" — "), Link(ticket.tracker_url)) if ticket.tracker_url else ()
        return rich(prefix, line, link)

    def history_line(self, entry: HistoryEntry, locale: str) -> Rich:
        change = ""
        if entry.from_status and entry.to_status and entry.from_status != entry.to_status:
            change = self._i18n.text(
                "tickets.history.change",
                locale,
                before=self._status(entry.from_status, entry.outcome, locale),
                after=self._status(entry.to_status, entry.outcome, locale),
            )
        action = entry.action
        if action == "resolved" and entry.outcome not in (None, Outcome.DONE):
            action = str(entry.outcome)  # "declined it", "closed it as a duplicate"
        return self._i18n.t(
            "tickets.history.line",
            locale,
            at=when(entry.at, locale),
            actor=entry.actor_name or entry.actor_id,
            action=self._i18n.text(f"tickets.action.{action}", locale),
            change=change,
            note=f": {self._note(entry, locale)}" if entry.note else "",
        )

    def _note(self, entry: HistoryEntry, locale: str) -> str:
        if entry.action == "follow-up":  # the note is the reason's code, not member text
            return self._i18n.text(f"tickets.follow_up_reason.{entry.note}", locale)
        return excerpt(entry.note, NOTE_ON_TRACKER)

    def _last_update(self, ticket: Ticket, locale: str) -> Rich:
        if ticket.last_public_update_at is None:
            return self._i18n.t("tickets.value.none_yet", locale)
        note = ticket.last_public_note
        return self._i18n.t(
            "tickets.value.last_update",
            locale,
            at=when(ticket.last_public_update_at, locale),
            note=f": {excerpt(note, NOTE_ON_TRACKER)}" if note else "",
        )

    def _promise(self, ticket: Ticket, locale: str) -> Rich:
        if ticket.next_update_due is None:
            return self._i18n.t("tickets.value.no_promise", locale)
        return rich(when(ticket.next_update_due, locale))
