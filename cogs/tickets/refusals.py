"""Polite refusals in the member's language, and the translation of storage exceptions.

Every refusal is a `UserError`: the dispatcher shows it privately and nothing has changed,
because the storage layer raised before committing anything.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from bot.errors import UserError
from bot.i18n import I18n
from cogs.tickets.render import TicketRenderer
from storage.tickets import Status, Ticket, TicketNotFound, WrongStatus


class Refusals:
    def __init__(self, i18n: I18n, renderer: TicketRenderer) -> None:
        self._i18n = i18n
        self._renderer = renderer

    def error(self, locale: str, key: str, /, **values: str | int) -> UserError:
        return UserError(self._i18n.text(f"tickets.error.{key}", locale, **values))

    def wrong_status(
        self, locale: str, ticket: Ticket, wanted: Status | None = None, closed: str = "closed"
    ) -> UserError:
        """Why this ticket's status rules the action out, and what to do instead.

        `wanted` is the status the action leads to: a ticket already there (resolved twice,
        two ✅ at once, withdrawn twice) is said to be so, not to need reopening first.
        `closed` is the refusal for a resolved or withdrawn ticket (votes say it otherwise).
        """
        if ticket.status is Status.MERGED:
            return self.error(
                locale, "merged", number=ticket.number, target=ticket.merged_into or 0
            )
        status = self._renderer.status(ticket, locale)
        if ticket.status is wanted:
            return self.error(locale, "already", number=ticket.number, status=status)
        if ticket.active:
            return self.error(locale, "still_active", number=ticket.number, status=status)
        return self.error(locale, closed, number=ticket.number, status=status)

    @contextmanager
    def translated(
        self, locale: str, wanted: Status | None = None, closed: str = "closed"
    ) -> Iterator[None]:
        """Turn "no such ticket" and "wrong status" from storage into member-facing text."""
        try:
            yield
        except TicketNotFound as missing:
            raise self.error(locale, "not_found", number=missing.number) from None
        except WrongStatus as wrong:
            raise self.wrong_status(locale, wrong.ticket, wanted, closed) from None
