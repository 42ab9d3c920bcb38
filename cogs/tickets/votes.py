"""Votes and watching: members +1 tickets and choose whether to hear about the outcome.

One vote per member and ticket, never on one's own ticket, only while it is active. Voting
makes the member a watcher (told when it is resolved) unless they say ``notify:no`` or
later ``/ticket unwatch``.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.cog import Services
from bot.effects import Unreact
from bot.errors import PlatformError, UserError
from bot.model import Member
from bot.platform import Capability
from cogs.tickets.announce import Announcer, Notices, tracker_ref
from cogs.tickets.emoji import is_vote
from cogs.tickets.lifecycle import actor
from cogs.tickets.refusals import Refusals
from storage.database import Transaction
from storage.ticket_votes import (
    AlreadyVoted,
    NotVoted,
    OwnTicket,
    PrivateTicket,
    TicketVoteRepository,
)
from storage.tickets import Effects, Ticket, TicketRepository


@dataclass(frozen=True, slots=True)
class VoteResult:
    ticket: Ticket
    counted: bool  # False: the member had voted before; only their `notify` choice changed


class Voting:
    def __init__(
        self,
        services: Services,
        votes: TicketVoteRepository,
        announcer: Announcer,
        refusals: Refusals,
    ) -> None:
        self._services = services
        self._votes = votes
        self._announcer = announcer
        self._refuse = refusals

    async def vote(
        self, member: Member, locale: str, number: int, notify: bool | None = None
    ) -> VoteResult:
        """Count the vote and refresh the tracker; refusals raise `UserError`.

        A member who voted before and now says ``notify:no`` (or ``yes``) means to change
        whether they hear about the resolution: that is done, not refused.
        """
        try:
            return VoteResult(await self._add(member, locale, number, notify), counted=True)
        except AlreadyVoted:
            if notify is None:
                raise self._refuse.error(locale, "already_voted", number=number) from None
        return VoteResult(await self.watch(member, locale, number, notify), counted=False)

    async def vote_by_reaction(self, member: Member, locale: str, number: int) -> UserError | None:
        """Like `vote`, but a repeated 👍 is quietly accepted; returns a refusal to pass on."""
        try:
            await self._add(member, locale, number, None)
        except AlreadyVoted:
            return None
        except UserError as refusal:
            return refusal
        return None

    async def unvote(
        self, member: Member, locale: str, number: int, *, by_command: bool = False
    ) -> Ticket:
        """Take the vote back. By command, the member's 👍 on the tracker goes too (where
        the platform lets the bot remove it), so the count and the reactions agree."""
        thumbs = await self._thumbs(member, number) if by_command else []
        notices, refresh = await self._refresher(member, thumbs)
        try:
            with self._refuse.translated(locale, closed="closed_vote"):
                ticket = await self._votes.remove_vote(
                    member.community.key, number, actor(member), self._services.clock.now(), refresh
                )
        except NotVoted:
            raise self._refuse.error(locale, "not_voted", number=number) from None
        await notices.deliver()
        return ticket

    async def watch(self, member: Member, locale: str, number: int, on: bool) -> Ticket:
        with self._refuse.translated(locale):
            return await self._votes.set_watch(
                member.community.key,
                number,
                actor(member),
                member.locale,
                on,
                self._services.clock.now(),
            )

    async def _add(self, member: Member, locale: str, number: int, notify: bool | None) -> Ticket:
        notices, refresh = await self._refresher(member)
        try:
            with self._refuse.translated(locale, closed="closed_vote"):
                ticket = await self._votes.add_vote(
                    member.community.key,
                    number,
                    actor(member),
                    member.locale,
                    self._services.clock.now(),
                    notify,
                    refresh,
                )
        except OwnTicket:
            raise self._refuse.error(locale, "own_ticket", number=number) from None
        except PrivateTicket:
            raise self._refuse.error(locale, "private_vote", number=number) from None
        await notices.deliver()
        return ticket

    async def watching(self, member: Member, number: int) -> bool:
        return await self._votes.watching(member.community.key, number, member.id)

    async def _thumbs(self, member: Member, number: int) -> list[str]:
        """The member's 👍 reactions on the tracker, as the platform spells them (read
        before the transaction; none where the bot may not remove them)."""
        platform = self._services.platform(member.community)
        if Capability.REMOVE_REACTIONS not in platform.capabilities:
            return []
        ticket = await TicketRepository(self._services.db).get(member.community.key, number)
        ref = None if ticket is None or not ticket.tracker_url else tracker_ref(ticket)
        if ref is None:
            return []
        try:
            reactions = await platform.reactions(ref)
        except PlatformError:
            return []
        mine = [r for r in reactions if any(user.id == member.id for user in r.users)]
        return [r.emoji for r in mine if is_vote(r.emoji)]

    async def _refresher(
        self, member: Member, thumbs: list[str] | None = None
    ) -> tuple[Notices, Effects]:
        """The tracker's new count, written with the vote that changes it (and, for a vote
        taken back by command, the removal of the member's 👍)."""
        notices = await self._announcer.notices(member.community)

        async def refresh(tx: Transaction, _: Ticket, after: Ticket, history: int) -> None:
            notices.begin(tx, f"ticket:{after.community}:{after.number}:{history}")
            await self._announcer.refresh(notices, after)
            ref = tracker_ref(after)
            if ref is not None:
                for emoji in thumbs or ():
                    await notices.add(Unreact(ref, emoji, member.ref))

        return notices, refresh
