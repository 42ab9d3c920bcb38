"""Reactions on a tracker: 👍 votes (and un-votes), ✅ from an ambassador asks to resolve.

Reactions carry no reply channel, so refusals go to the member privately where the platform
allows, and a reaction that must not stand (a vote on one's own ticket, a ✅ from a member
who is not an ambassador) is removed where the platform lets the bot do that.
"""

from __future__ import annotations

import logging
import secrets

from bot.cog import Services
from bot.commands import Permission
from bot.effects import Unreact
from bot.errors import UserError
from bot.events import ReactionAdded, ReactionRemoved
from bot.model import ChannelRef, Community, Member, MessageRef
from bot.outgoing import Button, ButtonStyle, Markup, Mention, OutgoingMessage, rich
from bot.permissions import has_permission
from bot.platform import Capability
from bot.reconcile import ReactionLedger, catch_up
from cogs.tickets.announce import Announcer, conversation_ref, tracker_ref
from cogs.tickets.emoji import is_resolve, is_vote
from cogs.tickets.votes import Voting
from storage.reaction_marks import ReactionMarks
from storage.tickets import CLOSED, Outcome, Ticket, TicketRepository

log = logging.getLogger(__name__)

RESOLVE_BUTTON = "ticket:resolve:"
# The ✅ prompt's buttons, in order: done is what ✅ means; the others close a ticket that
# will not be done (spam, out of scope, already asked) without counting it as done.
PROMPT_OUTCOMES = (Outcome.DONE, Outcome.DECLINED, Outcome.DUPLICATE)


def resolve_action(prefix: str, number: int, outcome: Outcome) -> str:
    """The id of a resolve button or form: ``ticket:resolve:12`` (done) or ``…:12:declined``.

    Done keeps the plain form, so prompts sent before outcomes existed still work."""
    return f"{prefix}{number}" if outcome is Outcome.DONE else f"{prefix}{number}:{outcome}"


def parse_resolve_action(action_id: str, prefix: str) -> tuple[int, Outcome]:
    number, _, outcome = action_id.removeprefix(prefix).partition(":")
    return int(number), Outcome(outcome or Outcome.DONE)


def counts(emoji: str) -> bool:
    """A reaction the tickets feature acts on."""
    return is_vote(emoji) or is_resolve(emoji)


class Reactions:
    def __init__(
        self,
        services: Services,
        tickets: TicketRepository,
        voting: Voting,
        announcer: Announcer,
    ) -> None:
        self._services = services
        self._tickets = tickets
        self._voting = voting
        self._announcer = announcer
        self._ledger = ReactionLedger(services.db)
        self._marks = ReactionMarks(services.db)

    async def catch_up(self, community: Community, limit: int) -> None:
        """Count the votes and answer the ✅ made on the newest trackers while the bot was
        away, through the same handlers as live reactions (each reaction once)."""
        tickets = await self._tickets.recent_trackers(community.key, limit) if limit else []
        trackers = [
            MessageRef(ChannelRef(community, str(t.channel_id)), str(t.tracker_message_id))
            for t in tickets
        ]
        platform = self._services.platform(community)
        await catch_up(
            self._ledger,
            platform,
            trackers,
            added=self.added,
            removed=self.removed,
            relevant=counts,
        )

    async def added(self, event: ReactionAdded) -> None:
        vote, resolve = is_vote(event.emoji), is_resolve(event.emoji)
        if not (vote or resolve) or event.member.is_bot:
            return
        ticket = await self._tickets.by_tracker(event.community.key, event.message.id)
        if ticket is None:
            return
        async with self._ledger.handling(event) as fresh:
            if fresh:  # else acted on before (live, or after a reconnect)
                await self._tracker_reaction(event, ticket, vote)

    async def recover(self) -> None:
        """Settle reactions a crash cut off (see `ReactionLedger.recover`)."""

        async def tracker_active(community: str, channel_id: str, message_id: str) -> bool | None:
            ticket = await self._tickets.by_tracker(community, message_id)
            return None if ticket is None else ticket.active

        await self._ledger.recover(tracker_active)

    async def _tracker_reaction(self, event: ReactionAdded, ticket: Ticket, vote: bool) -> None:
        locale = await self._services.locale_for(event.member)
        if vote:
            if ticket.status in CLOSED:
                return  # applause for a closed ticket: no vote, but nothing to refuse either
            refusal = await self._voting.vote_by_reaction(event.member, locale, ticket.number)
            if refusal is not None:
                await self._take_back(event, refusal.message)
            return
        await self._resolve_requested(event, ticket, locale)

    async def removed(self, event: ReactionRemoved) -> None:
        """A 👍 taken off is a vote taken back; a ✅ taken off may be put on again, and
        then asks again (so its mark goes)."""
        if not counts(event.emoji) or event.member.is_bot:
            return
        ticket = await self._tickets.by_tracker(event.community.key, event.message.id)
        if ticket is None:
            return
        await self._ledger.taken_off(event)
        if not ticket.active or not is_vote(event.emoji):
            return
        locale = await self._services.locale_for(event.member)
        try:
            await self._voting.unvote(event.member, locale, ticket.number)
        except UserError:  # a 👍 that never counted (e.g. the opener's own): nothing to undo
            return

    async def forget_resolve_marks(self, ticket: Ticket) -> None:
        """After a reopen the ✅ made before count as never seen: the next ✅ (or the same
        one, where the platform cannot remove it and the ambassador re-adds it) asks for a
        resolution again."""
        ref = tracker_ref(ticket)
        if ref is None:
            return
        key = (ticket.community, ref.channel.id, ref.id)
        for emoji, user_id in await self._marks.marked(*key):
            if is_resolve(emoji):
                await self._marks.release(*key, emoji, user_id)

    async def _resolve_requested(self, event: ReactionAdded, ticket: Ticket, locale: str) -> None:
        i18n = self._services.i18n
        config = await self._services.config.get(event.community)
        if not has_permission(event.member, Permission.AMBASSADOR, config.community.roles):
            refusal = i18n.text("core.permission_denied", locale, level="ambassador")
            await self._take_back(event, refusal)
            return
        if not ticket.active:
            return
        await self.ask_for_resolution(event.member, ticket, locale)

    async def ask_for_resolution(self, member: Member, ticket: Ticket, locale: str) -> None:
        """A private prompt with a button that opens the resolution form; else the command.

        Where the member's direct messages are closed, the prompt goes to the ticket's
        thread with a mention; the button there works only for ambassadors.
        """
        i18n = self._services.i18n
        platform = self._services.platform(member.community)
        values = {"number": ticket.number, "title": ticket.title}
        if {Capability.BUTTONS, Capability.FORMS} <= platform.capabilities:
            buttons = tuple(
                Button(
                    resolve_action(RESOLVE_BUTTON, ticket.number, outcome),
                    i18n.text(f"tickets.resolve_prompt.button_{outcome}", locale),
                    ButtonStyle.PRIMARY if outcome is Outcome.DONE else ButtonStyle.SECONDARY,
                )
                for outcome in PROMPT_OUTCOMES
            )
            message = OutgoingMessage(
                text=i18n.t("tickets.resolve_prompt.text", locale, **values), buttons=buttons
            )
        else:
            message = OutgoingMessage(
                text=i18n.t("tickets.resolve_prompt.command", locale, **values)
            )
        notices = await self._announcer.notices(member.community)
        key = "tickets.resolve_prompt.text" if message.buttons else "tickets.resolve_prompt.command"
        text = rich(
            Mention(member.id, member.shown_name),
            Markup(": "),
            i18n.t(key, notices.locale, **values),
        )
        public = OutgoingMessage(text=text, buttons=message.buttons)
        where = conversation_ref(ticket)
        async with self._services.db.transaction() as tx:
            notices.begin(tx, f"auto:{secrets.token_hex(8)}")  # a new prompt each time asked
            fallback = None if where is None else (where, public)
            if not await self._announcer.private.direct(
                notices, member.community, member.id, message, fallback
            ):
                await self._announcer.post_message(notices, ticket, public)
        await notices.deliver()

    async def _take_back(self, event: ReactionAdded, refusal: str) -> None:
        """Remove a reaction that must not stand and tell the member why, privately."""
        platform = self._services.platform(event.community)
        notices = await self._announcer.notices(event.community)
        async with self._services.db.transaction() as tx:
            notices.begin(tx, f"auto:{secrets.token_hex(8)}")  # an event is handled once
            if Capability.REMOVE_REACTIONS in platform.capabilities:
                await notices.add(Unreact(event.message, event.emoji, event.member.ref))
            message = OutgoingMessage.of(refusal)
            await self._announcer.private.direct(notices, event.community, event.member.id, message)
        await notices.deliver()
