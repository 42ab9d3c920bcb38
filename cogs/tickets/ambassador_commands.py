"""Commands for ambassadors: claim, update with a promise, escalate, resolve, merge, digest.

The dispatcher refuses these to anyone without the ambassador level before they run; the
resolution button and form check the level themselves, since any member can press a button.
"""

from __future__ import annotations

import re
from datetime import timedelta

from bot.cog import button, command, form
from bot.commands import Option, OptionType, Permission
from bot.errors import PermissionDenied
from bot.interaction import Interaction
from bot.model import UserRef
from bot.outgoing import Form, FormField
from bot.permissions import has_permission
from bot.platform import Capability
from cogs.tickets.base import TicketsBase
from cogs.tickets.lifecycle import NOTE_MAX, OUTCOME_KEY
from cogs.tickets.member_commands import TICKET, TICKET_NAMED
from cogs.tickets.reactions import RESOLVE_BUTTON, parse_resolve_action, resolve_action
from storage.tickets import Outcome, Status, Ticket

RESOLVE_FORM = "ticket:resolve:"
_INTO = re.compile(r"^\s*(?:into\s+)?#?(\d{1,9})\s*$", re.IGNORECASE)


class AmbassadorCommands(TicketsBase):
    @command(
        "ticket claim",
        "Take on a ticket: you become its owner.",
        TICKET,
        Option(
            "takeover",
            "Take it over from the ambassador who owns it now",
            OptionType.BOOLEAN,
            required=False,
            keyword_only=True,
        ),
        permission=Permission.AMBASSADOR,
        private=True,
        description_de="Ein Ticket übernehmen: du wirst zuständig.",
    )
    async def claim(self, interaction: Interaction) -> None:
        number = await self.number(interaction)
        ticket = await self.lifecycle.claim(
            interaction.member,
            interaction.locale,
            number,
            takeover=interaction.args["takeover"] is True,
        )
        await self.confirm(interaction, "tickets.reply.claimed", ticket)

    @command(
        "ticket assign",
        "Make an ambassador the owner of a ticket.",
        TICKET,
        Option("ambassador", "Who looks after it from now on", OptionType.USER),
        permission=Permission.AMBASSADOR,
        private=True,
        description_de="Ein Ticket einem Botschafter zuweisen.",
    )
    async def assign(self, interaction: Interaction) -> None:
        number = await self.number(interaction)
        target = interaction.args["ambassador"]
        assert isinstance(target, UserRef)  # a required USER option
        ticket = await self.lifecycle.assign(interaction.member, interaction.locale, number, target)
        if ticket.owner_id == interaction.member.id:
            await self.confirm(interaction, "tickets.reply.claimed", ticket)
            return
        await self.confirm(
            interaction, "tickets.reply.assigned", ticket, owner=ticket.owner_name or ""
        )

    @command(
        "ticket update",
        "Post a public update; add next:7d to promise the next one.",
        Option("note", "What happened, for everyone to read"),
        TICKET_NAMED,
        Option(
            "next",
            "When you will report next, e.g. 7d",
            OptionType.DURATION,
            required=False,
            keyword_only=True,
        ),
        permission=Permission.AMBASSADOR,
        private=True,
        description_de="Ein öffentliches Update posten; mit next:7d das nächste versprechen.",
    )
    async def update(self, interaction: Interaction) -> None:
        number, note = await self.number_and_text(interaction, "note")
        next_in = interaction.args["next"]
        update = await self.lifecycle.update(
            interaction.member,
            interaction.locale,
            number,
            note,
            next_in if isinstance(next_in, timedelta) else None,
        )
        await self.confirm(interaction, update.reply_key, update.ticket)

    @command(
        "ticket escalate",
        "Hand a ticket to the company: it waits on them now.",
        Option("note", "What you asked the company, for everyone to read"),
        TICKET_NAMED,
        permission=Permission.AMBASSADOR,
        private=True,
        description_de="Ein Ticket ans Unternehmen geben: es wartet nun auf dessen Antwort.",
    )
    async def escalate(self, interaction: Interaction) -> None:
        number, note = await self.number_and_text(interaction, "note")
        outcome = await self.lifecycle.escalate(
            interaction.member, interaction.locale, number, note
        )
        await self.confirm(interaction, outcome.hand_over.reply_key, outcome.ticket)

    @command(
        "ticket resolve",
        "Close a ticket with its resolution; in its thread the number is optional.",
        Option("resolution", "What was done (or why not), for everyone to read"),
        TICKET_NAMED,
        Option(
            "outcome",
            "done (default), declined or duplicate",
            OptionType.CHOICE,
            required=False,
            choices=tuple(o.value for o in Outcome),
            keyword_only=True,
        ),
        permission=Permission.AMBASSADOR,
        private=True,
        description_de="Ein Ticket mit seiner Lösung schließen; im Thread ohne Nummer.",
    )
    async def resolve(self, interaction: Interaction) -> None:
        number, resolution = await self.number_and_text(interaction, "resolution")
        outcome = Outcome(interaction.args.text("outcome") or Outcome.DONE)
        ticket = await self.lifecycle.resolve(
            interaction.member, interaction.locale, number, resolution, outcome
        )
        await self._resolved(interaction, ticket)

    @command(
        "ticket merge",
        "Merge a duplicate into another ticket: /ticket merge #12 into #7.",
        Option("ticket", "The duplicate, e.g. #12", OptionType.INTEGER, min_value=1),
        Option("into", "The ticket to keep, e.g. into #7"),
        permission=Permission.AMBASSADOR,
        private=True,
        description_de="Ein Duplikat zusammenführen: /ticket merge #12 into #7.",
    )
    async def merge(self, interaction: Interaction) -> None:
        source = await self.number(interaction)
        match = _INTO.match(interaction.args.text("into") or "")
        if match is None:
            raise self.refusals.error(interaction.locale, "merge_usage")
        old, new = await self.lifecycle.merge(
            interaction.member, interaction.locale, source, int(match.group(1))
        )
        await self.confirm(
            interaction, "tickets.reply.merged", new, source=old.number, votes=new.vote_count
        )

    @command(
        "ticket digest",
        "Show this week's ticket digest now, privately.",
        Option("language", "Only tickets in this language, e.g. de", required=False),
        permission=Permission.AMBASSADOR,
        private=True,
        description_de="Den Ticket-Wochenbericht jetzt privat anzeigen.",
    )
    async def digest(self, interaction: Interaction) -> None:
        language = self.views.language(interaction.args.text("language"), interaction.locale)
        await interaction.reply(
            await self.digests.preview(interaction.community, interaction.locale, language)
        )

    @button(RESOLVE_BUTTON, opens_form=True)
    async def resolve_pressed(self, interaction: Interaction) -> None:
        """A button of the ✅ prompt: open the form for that outcome's resolution."""
        self._require_ambassador(interaction)
        number, outcome = parse_resolve_action(interaction.action_id, RESOLVE_BUTTON)
        ticket = await self.ticket(interaction, number)
        if not ticket.active:
            raise self.refusals.wrong_status(interaction.locale, ticket, Status.RESOLVED)
        if Capability.FORMS not in interaction.platform.capabilities:
            await interaction.say(
                "tickets.resolve_prompt.command", number=number, title=ticket.title
            )
            return
        i18n, locale = interaction.i18n, interaction.locale
        await interaction.open_form(
            Form(
                resolve_action(RESOLVE_FORM, number, outcome),
                i18n.text(f"tickets.form.{OUTCOME_KEY[outcome]}_title", locale, number=number),
                (
                    FormField(
                        "resolution",
                        i18n.text(f"tickets.form.{OUTCOME_KEY[outcome]}_text", locale),
                        long=True,
                        max_length=NOTE_MAX,
                    ),
                ),
            )
        )

    @form(RESOLVE_FORM)
    async def resolve_submitted(self, interaction: Interaction) -> None:
        self._require_ambassador(interaction)
        number, outcome = parse_resolve_action(interaction.action_id, RESOLVE_FORM)
        ticket = await self.lifecycle.resolve(
            interaction.member,
            interaction.locale,
            number,
            interaction.form_values.get("resolution", ""),
            outcome,
        )
        await self._resolved(interaction, ticket)

    async def _resolved(self, interaction: Interaction, ticket: Ticket) -> None:
        key = OUTCOME_KEY[ticket.outcome or Outcome.DONE]
        await self.confirm(interaction, f"tickets.reply.{key}", ticket)

    def _require_ambassador(self, interaction: Interaction) -> None:
        roles = interaction.config.community.roles
        if not has_permission(interaction.member, Permission.AMBASSADOR, roles):
            raise PermissionDenied(
                interaction.i18n.text(
                    "core.permission_denied", interaction.locale, level="ambassador"
                )
            )
