"""Commands every member has: open, vote, watch, withdraw and reopen, list and show."""

from __future__ import annotations

from bot.cog import button, command, form
from bot.commands import Option, OptionType
from bot.interaction import Interaction
from bot.model import UserRef
from bot.outgoing import Button, ButtonStyle, Form, FormField, OutgoingMessage
from bot.platform import Capability
from bot.text import excerpt
from cogs.tickets.base import TicketsBase
from cogs.tickets.config import TicketsConfig
from cogs.tickets.lifecycle import DETAILS_MAX, TITLE_MAX, TicketEdit
from cogs.tickets.views import ListRequest
from storage.ticket_queue import Sort
from storage.tickets import Status, Ticket

OPEN_FORM = "ticket:open"
PRIVATE_FORM = "ticket:open:private"
UNWATCH_BUTTON = "ticket:unwatch:"
TICKET = Option(
    "ticket",
    "Ticket number, e.g. 12 (optional in its thread)",
    OptionType.INTEGER,
    required=False,
    min_value=1,
)
TICKET_NAMED = Option(
    "ticket",
    "Ticket number, e.g. 12 (or start the text with #12)",
    OptionType.INTEGER,
    required=False,
    min_value=1,
    keyword_only=True,
)
STATUS_CHOICES = (*(s.value for s in Status), "all")
# Discord cuts modal field labels at 45 characters.
FORM_LABEL_MAX = 45


class MemberCommands(TicketsBase):
    @command(
        "ticket open",
        "Open a ticket: a concern or wish for the ambassadors to take to the company.",
        Option("title", "What it is about, in a few words", required=False),
        Option("details", "More details", required=False, keyword_only=True, runs_on=True),
        Option("category", "One of the community's categories", required=False, keyword_only=True),
        Option(
            "private",
            "Only you and ambassadors see it",
            OptionType.BOOLEAN,
            required=False,
            keyword_only=True,
        ),
        Option(
            "language",
            "Its language, e.g. de (default: this channel's, else yours)",
            required=False,
            keyword_only=True,
        ),
        private=True,
        description_de="Ein Anliegen oder einen Wunsch als Ticket an die Botschafter geben.",
        opens_form=True,  # without a title, a form asks for one
    )
    async def open(self, interaction: Interaction) -> None:
        title = interaction.args.text("title")
        private = interaction.args["private"] is True
        if title is None:
            if Capability.FORMS not in interaction.platform.capabilities:
                raise self.refusals.error(interaction.locale, "title_missing")
            # Before the form, not after: a refused form would lose everything typed in it.
            await self.lifecycle.refuse_if_limited(interaction.member, interaction.locale)
            await interaction.open_form(await self._open_form(interaction, private))
            return
        ticket = await self.lifecycle.open(
            interaction.member,
            interaction.locale,
            title,
            interaction.args.text("details") or "",
            interaction.args.text("category"),
            private=private,
            channel=interaction.channel,
            language=interaction.args.text("language"),
        )
        await self._opened(interaction, ticket)

    @form(OPEN_FORM)
    async def open_submitted(self, interaction: Interaction) -> None:
        """The open form; ``ticket:open:private`` is the form of a private ticket."""
        values = interaction.form_values
        ticket = await self.lifecycle.open(
            interaction.member,
            interaction.locale,
            values.get("title", ""),
            values.get("details", ""),
            values.get("category") or None,
            private=interaction.action_id == PRIVATE_FORM,
            channel=interaction.channel,
        )
        await self._opened(interaction, ticket)

    @command(
        "ticket edit",
        "Change a ticket's title, details or category.",
        TICKET,
        Option("title", "The new title", required=False, keyword_only=True, runs_on=True),
        Option("details", "The new details", required=False, keyword_only=True, runs_on=True),
        Option("category", "The new category", required=False, keyword_only=True),
        private=True,
        description_de="Titel, Details oder Kategorie eines Tickets ändern.",
    )
    async def edit(self, interaction: Interaction) -> None:
        args = interaction.args
        edit = TicketEdit(args.text("title"), args.text("details"), args.text("category"))
        number = await self.number(interaction)
        ticket = await self.lifecycle.edit(interaction.member, interaction.locale, number, edit)
        await self.confirm(interaction, "tickets.reply.edited", ticket)

    @command(
        "ticket vote",
        "+1 a ticket; you will hear when it is resolved unless you say notify:no.",
        TICKET,
        Option(
            "notify",
            "Tell me when it is resolved",
            OptionType.BOOLEAN,
            required=False,
            keyword_only=True,
        ),
        private=True,
        description_de="Ein Ticket unterstützen (+1); notify:no für keine Nachricht bei Lösung.",
    )
    async def vote(self, interaction: Interaction) -> None:
        notify = interaction.args["notify"]
        result = await self.voting.vote(
            interaction.member,
            interaction.locale,
            await self.number(interaction),
            notify if isinstance(notify, bool) else None,
        )
        if not result.counted:
            key = "tickets.reply.notify_on" if notify else "tickets.reply.notify_off"
        else:
            key = "tickets.reply.voted_quiet" if notify is False else "tickets.reply.voted"
        await self.confirm(interaction, key, result.ticket, votes=result.ticket.vote_count)

    @command(
        "ticket unvote",
        "Take back your +1.",
        TICKET,
        Option(
            "watch",
            "Still hear when it is resolved?",
            OptionType.BOOLEAN,
            required=False,
            keyword_only=True,
        ),
        private=True,
        description_de="Deine Unterstützung (+1) zurücknehmen.",
    )
    async def unvote(self, interaction: Interaction) -> None:
        """Take the vote back, then settle watching: as the option says, or by asking (a
        button where the platform has them) when the member still watches."""
        number = await self.number(interaction)
        member, locale = interaction.member, interaction.locale
        ticket = await self.voting.unvote(member, locale, number, by_command=True)
        watch = interaction.args["watch"]
        if watch is False:
            await self.voting.watch(member, locale, number, False)
            key = "tickets.reply.unvoted_unwatched"
        elif watch is True or not await self.voting.watching(member, number):
            key = "tickets.reply.unvoted"
        else:
            await interaction.reply(self._ask_unwatch(interaction, ticket))
            return
        await self.confirm(interaction, key, ticket, votes=ticket.vote_count)

    @button(UNWATCH_BUTTON)
    async def unwatch_pressed(self, interaction: Interaction) -> None:
        """The "Stop watching" button under an unvote's answer."""
        number = int(interaction.action_id.removeprefix(UNWATCH_BUTTON))
        await self._check_visible(interaction, number)
        ticket = await self.voting.watch(interaction.member, interaction.locale, number, False)
        await self.confirm(interaction, "tickets.reply.unwatched", ticket)

    def _ask_unwatch(self, interaction: Interaction, ticket: Ticket) -> OutgoingMessage:
        values = {"number": ticket.number, "votes": ticket.vote_count}
        if Capability.BUTTONS not in interaction.platform.capabilities:
            text = interaction.t("tickets.reply.unvoted_ask_command", **values)
            return OutgoingMessage(text=text)
        label = interaction.i18n.text("tickets.reply.unwatch_button", interaction.locale)
        return OutgoingMessage(
            text=interaction.t("tickets.reply.unvoted_ask", **values),
            buttons=(Button(f"{UNWATCH_BUTTON}{ticket.number}", label, ButtonStyle.SECONDARY),),
        )

    @command(
        "ticket watch",
        "Hear privately when a ticket is resolved.",
        TICKET,
        private=True,
        description_de="Privat erfahren, wenn ein Ticket gelöst ist.",
    )
    async def watch(self, interaction: Interaction) -> None:
        number = await self.number(interaction)
        ticket = await self.voting.watch(interaction.member, interaction.locale, number, True)
        await self.confirm(interaction, "tickets.reply.watching", ticket)

    @command(
        "ticket unwatch",
        "Stop hearing about a ticket (your vote still counts).",
        TICKET,
        private=True,
        description_de="Keine Nachricht mehr zu einem Ticket (deine Stimme zählt weiter).",
    )
    async def unwatch(self, interaction: Interaction) -> None:
        number = await self.number(interaction)
        ticket = await self.voting.watch(interaction.member, interaction.locale, number, False)
        await self.confirm(interaction, "tickets.reply.unwatched", ticket)

    @command(
        "ticket withdraw",
        "Withdraw a ticket you opened.",
        Option("reason", "Why, for the thread", required=False),
        TICKET_NAMED,
        private=True,
        description_de="Ein eigenes Ticket zurückziehen.",
    )
    async def withdraw(self, interaction: Interaction) -> None:
        number, reason = await self.number_and_text(interaction, "reason")
        ticket = await self.lifecycle.withdraw(
            interaction.member, interaction.locale, number, reason
        )
        await self.confirm(interaction, "tickets.reply.withdrawn", ticket)

    @command(
        "ticket reopen",
        "Reopen a resolved or withdrawn ticket (yours, or any as an ambassador).",
        Option("note", "What is still missing", required=False),
        TICKET_NAMED,
        private=True,
        description_de="Ein gelöstes oder zurückgezogenes Ticket wieder öffnen.",
    )
    async def reopen(self, interaction: Interaction) -> None:
        number, note = await self.number_and_text(interaction, "note")
        ticket = await self.lifecycle.reopen(interaction.member, interaction.locale, number, note)
        await self.reactions.forget_resolve_marks(ticket)
        await self.confirm(interaction, "tickets.reply.reopened", ticket)

    @command(
        "ticket list",
        "List tickets: open ones by votes unless you filter or sort otherwise.",
        Option(
            "status",
            "Status (default: the open ones)",
            OptionType.CHOICE,
            required=False,
            choices=STATUS_CHOICES,
        ),
        Option(
            "mine",
            "Only yours (ambassadors: those you own)",
            OptionType.BOOLEAN,
            required=False,
            keyword_only=True,
        ),
        Option(
            "opened",
            "Only those you opened",
            OptionType.BOOLEAN,
            required=False,
            keyword_only=True,
        ),
        Option(
            "owner",
            "Only tickets this ambassador owns",
            OptionType.USER,
            required=False,
            keyword_only=True,
        ),
        Option("category", "Only this category", required=False, keyword_only=True),
        Option("language", "Only this language, e.g. de", required=False, keyword_only=True),
        Option(
            "sort",
            "Order",
            OptionType.CHOICE,
            required=False,
            choices=tuple(s.value for s in Sort),
            keyword_only=True,
        ),
        Option(
            "page",
            "Page number",
            OptionType.INTEGER,
            required=False,
            min_value=1,
            max_value=10000,
            keyword_only=True,
        ),
        Option(
            "everywhere",
            "The whole team's queue (ambassadors)",
            OptionType.BOOLEAN,
            required=False,
            keyword_only=True,
        ),
        private=True,
        description_de="Tickets auflisten: offene nach Stimmen, mit Filtern und Sortierung.",
    )
    async def list(self, interaction: Interaction) -> None:
        args = interaction.args
        everywhere = args["everywhere"] is True
        ambassador = self.is_ambassador(interaction)
        if everywhere and not ambassador:
            raise self.refusals.error(interaction.locale, "everywhere_ambassadors")
        me = interaction.member.id
        owner = args["owner"]
        owner_id = owner.id if isinstance(owner, UserRef) else None
        if args["mine"] is True and ambassador:
            if owner_id not in (None, me):
                raise self.refusals.error(interaction.locale, "mine_and_owner")
            owner_id = me
        opened = args["opened"] is True or (args["mine"] is True and not ambassador)
        category, language = args.text("category"), args.text("language")
        request = ListRequest(
            status=args.text("status"),
            opener_id=me if opened else None,
            owner_id=owner_id,
            viewer_id=None if ambassador else me,
            category=category.strip().lower() if category else None,
            language=self.views.language(language, interaction.locale),
            sort=Sort(args.text("sort") or Sort.VOTES.value),
            page=int(args["page"] or 1),  # type: ignore[call-overload]
            everywhere=everywhere,
        )
        await interaction.reply(
            await self.views.list_page(interaction.community, interaction.locale, request)
        )

    @command(
        "ticket show",
        "Show a ticket with its history.",
        TICKET,
        private=True,
        description_de="Ein Ticket mit seinem Verlauf zeigen.",
    )
    async def show(self, interaction: Interaction) -> None:
        ticket = await self.ticket(interaction, await self.number(interaction))
        await interaction.reply(await self.views.show(ticket, interaction.locale))

    async def _open_form(self, interaction: Interaction, private: bool) -> Form:
        i18n, locale = interaction.i18n, interaction.locale
        policy = interaction.config.section("tickets", TicketsConfig)
        fields = [
            FormField("title", i18n.text("tickets.form.title", locale), max_length=TITLE_MAX),
            FormField(
                "details",
                i18n.text("tickets.form.details", locale),
                long=True,
                required=False,
                max_length=DETAILS_MAX,
            ),
        ]
        if policy.categories:
            label = i18n.text(
                "tickets.form.category", locale, categories=", ".join(policy.categories)
            )
            label = excerpt(label, FORM_LABEL_MAX)
            fields.append(FormField("category", label, required=False, max_length=40))
        if private:
            title = i18n.text("tickets.form.open_private_title", locale)
            return Form(PRIVATE_FORM, title, tuple(fields))
        return Form(OPEN_FORM, i18n.text("tickets.form.open_title", locale), tuple(fields))

    async def _opened(self, interaction: Interaction, ticket: Ticket) -> None:
        if ticket.private:
            key = "tickets.reply.opened_private"
        elif ticket.tracker_url:
            key = "tickets.reply.opened"
        else:
            key = "tickets.reply.opened_pending"
        await self.confirm(interaction, key, ticket)
