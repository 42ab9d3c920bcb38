"""Wiring shared by the tickets cog's command and event modules.

`TicketsBase` builds the repositories and services once and offers the small helpers every
command needs: which ticket is meant (explicit ``#N``, a leading ``#N`` in the text, or
the thread the command was run in) and polite replies.
"""

from __future__ import annotations

import re
from pathlib import Path

from bot.cog import Cog, Services
from bot.commands import Permission
from bot.interaction import Interaction
from bot.outgoing import Link, Segment
from bot.permissions import has_permission
from cogs.tickets.announce import Announcer
from cogs.tickets.company import Company
from cogs.tickets.config import TicketsConfig
from cogs.tickets.digest import Digests
from cogs.tickets.followups import FollowUps
from cogs.tickets.lifecycle import Lifecycle
from cogs.tickets.reactions import Reactions
from cogs.tickets.refusals import Refusals
from cogs.tickets.render import TicketRenderer
from cogs.tickets.views import TicketViews
from cogs.tickets.votes import Voting
from storage.ticket_jobs import TicketJobAudit
from storage.ticket_queue import TicketQueue
from storage.ticket_reports import TicketReports
from storage.ticket_votes import TicketVoteRepository
from storage.tickets import Ticket, TicketRepository

_LEADING_NUMBER = re.compile(r"^\s*(#?)(\d{1,9})(?:\s+(.*))?$", re.DOTALL)


def split_leading_number(text: str, *, bare: bool) -> tuple[int | None, str]:
    """``"#12 Talked to the team"`` → ``(12, "Talked to the team")``; else ``(None, text)``.

    With `bare`, ``"12 Talked…"`` counts too; inside a ticket's thread it does not, so a
    note like "2 more users are affected" is never mistaken for ticket #2.
    """
    match = _LEADING_NUMBER.match(text)
    if match is None or not (match.group(1) or bare):
        return None, text
    return int(match.group(2)), (match.group(3) or "").strip()


class TicketsBase(Cog):
    name = "tickets"
    config_model = TicketsConfig
    locales = Path(__file__).parent / "locales"

    def __init__(self, services: Services) -> None:
        super().__init__(services)
        db = services.db
        self.tickets = TicketRepository(db)
        votes = TicketVoteRepository(db)
        queue = TicketQueue(db)
        self.renderer = TicketRenderer(services.i18n)
        self.refusals = Refusals(services.i18n, self.renderer)
        self.announcer = Announcer(services, self.renderer)
        self.followups = FollowUps(services, self.tickets, self.announcer, TicketJobAudit(db))
        self.company = Company(services, self.announcer)
        self.digests = Digests(services, TicketReports(db), queue, self.announcer)
        self.lifecycle = Lifecycle(
            services,
            self.tickets,
            votes,
            self.announcer,
            self.followups,
            self.company,
            self.digests,
            self.refusals,
        )
        self.voting = Voting(services, votes, self.announcer, self.refusals)
        self.reactions = Reactions(services, self.tickets, self.voting, self.announcer)
        self.views = TicketViews(services, queue, self.tickets, self.renderer)

    async def number(self, interaction: Interaction, explicit: int | None = None) -> int:
        """The ticket meant: given explicitly, else the thread the command runs in. A
        private ticket the member may not see is answered as if there were none, so its
        existence is not given away either."""
        if explicit is None:
            explicit = _as_number(interaction.args["ticket"])
        if explicit is not None:
            await self._check_visible(interaction, explicit)
            return explicit
        channel = interaction.channel
        if channel is not None and channel.is_thread:
            ticket = await self.tickets.by_thread(interaction.community.key, channel.id)
            if ticket is not None:
                return ticket.number
        raise self.refusals.error(interaction.locale, "which_ticket")

    def is_ambassador(self, interaction: Interaction) -> bool:
        roles = interaction.config.community.roles
        return has_permission(interaction.member, Permission.AMBASSADOR, roles)

    async def _check_visible(self, interaction: Interaction, number: int) -> None:
        ticket = await self.tickets.get(interaction.community.key, number)
        if ticket is not None and not ticket.visible_to(
            interaction.member.id, ambassador=self.is_ambassador(interaction)
        ):
            raise self.refusals.error(interaction.locale, "not_found", number=number)

    async def number_and_text(self, interaction: Interaction, option: str) -> tuple[int, str]:
        """For ``/ticket update #12 note``: the number may lead the free text.

        Inside a ticket's thread a leading ``#N`` for another ticket is refused rather than
        guessed at: "/ticket resolve #2 was the cause" in #1's thread may mean either
        ticket, and acting on the wrong one would announce it in public.
        """
        text = interaction.args.text(option) or ""
        explicit = _as_number(interaction.args["ticket"])
        if explicit is None:
            in_thread = interaction.channel is not None and interaction.channel.is_thread
            explicit, text = split_leading_number(text, bare=not in_thread)
            if explicit is not None and in_thread:
                await self._refuse_other_ticket(interaction, explicit)
        return await self.number(interaction, explicit), text

    async def _refuse_other_ticket(self, interaction: Interaction, number: int) -> None:
        assert interaction.channel is not None
        here = await self.tickets.by_thread(interaction.community.key, interaction.channel.id)
        if here is not None and here.number != number:
            raise self.refusals.error(
                interaction.locale, "other_ticket_in_thread", here=here.number, number=number
            )

    async def ticket(self, interaction: Interaction, number: int) -> Ticket:
        ticket = await self.tickets.get(interaction.community.key, number)
        if ticket is None:
            raise self.refusals.error(interaction.locale, "not_found", number=number)
        return ticket

    async def confirm(
        self, interaction: Interaction, key: str, ticket: Ticket, **values: Segment | str | int
    ) -> None:
        """A private confirmation naming the ticket, with a link to its tracker."""
        link: Segment | str = Link(ticket.tracker_url) if ticket.tracker_url else ""
        await interaction.say(key, number=ticket.number, title=ticket.title, link=link, **values)


def _as_number(value: object) -> int | None:
    return value if isinstance(value, int) else None
