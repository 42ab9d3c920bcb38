"""Telling people: the tracker message, its thread, and posts in the ticket's conversation.

Nothing here calls the platform to change anything. Each announcement is an outbox entry
(`Notices`) written in the transaction of the change it announces, under a key derived
from that change, and delivered once the change has committed: a crash in between loses
nothing and a re-run adds nothing twice.

A new ticket's tracker, thread and opening post are written as one chain: the thread
opens on the posted tracker, the opening post goes into the opened thread. The ticket
stores the placeholders of the tracker and the thread until they exist, so a step taken
while the tracker still waits in the outbox (an outage) writes its thread post and tracker
edit behind them; continuations store the real ids. A post to a configured channel that
the platform refused for good is written again a little later, a few times (`refused`),
so an admin who fixes the channel gets it without doing more.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from bot.board import board_on, ticket_path
from bot.codec import decode, encode
from bot.cog import Services
from bot.delivery import Outbox, Outcome, Pending, Then
from bot.effects import Edit, Effect, OpenThread, Post, RenameThread, UnarchiveThread, Unreact
from bot.errors import PlatformError
from bot.languages import LanguageTeam, language_name, shown_language
from bot.model import ChannelRef, Community, MessageRef, UserRef
from bot.outgoing import Markup, Mention, OutgoingMessage, Rich, Segment, plain_text, rich
from bot.platform import Capability
from bot.text import defuse_mass_mentions, excerpt
from cogs.tickets.emoji import is_resolve
from cogs.tickets.private_notes import PrivateNotes, Recipient
from cogs.tickets.refused import POSTED_AGAIN, retry_data
from cogs.tickets.render import TicketRenderer
from storage.database import Transaction
from storage.tickets import (
    Ticket,
    TicketRepository,
    forget_tracker,
    load_ticket,
    record_tracker,
    set_thread,
)

log = logging.getLogger(__name__)

# Discord allows 100 characters in a thread name; cut a little earlier so the cut shows.
THREAD_NAME_LENGTH = 90
# A tracker the platform refused (a missing permission, a channel gone) is written again
# this much later, a few times, so a fixed permission brings the ticket out on its own.
TRACKER_RETRY = timedelta(minutes=1)
TRACKER_RETRIES = 5
# Continuations (registered by the cog, see `handlers`).
TRACKER_POSTED = "tickets.tracker-posted"
THREAD_OPENED = "tickets.thread-opened"


def tracker_ref(ticket: Ticket) -> MessageRef | None:
    """The tracker message, or the placeholder of its post still waiting in the outbox."""
    if ticket.channel_id is None or ticket.tracker_message_id is None:
        return None
    community = Community.from_key(ticket.community)
    return MessageRef(ChannelRef(community, ticket.channel_id), ticket.tracker_message_id)


def thread_name(ticket: Ticket) -> str:
    """The name of the ticket's thread: its number and title, cut to fit; a title's
    ``@everyone`` is defused, as a name is shown in the thread's notices and lists."""
    return excerpt(
        defuse_mass_mentions(f"Ticket #{ticket.number}: {ticket.title}"), THREAD_NAME_LENGTH
    )


def conversation_ref(ticket: Ticket) -> ChannelRef | None:
    """The ticket's thread (or its placeholder), or the tickets channel where the platform
    has no threads; None for a ticket whose tracker was never written (older versions)."""
    if ticket.channel_id is None:
        return None
    community = Community.from_key(ticket.community)
    if ticket.thread_id is None:
        return ChannelRef(community, ticket.channel_id)
    return ChannelRef(community, ticket.thread_id, parent_id=ticket.channel_id)


class Notices:
    """The outbox entries of one change: written in its transaction (`begin`) under keys
    derived from `key`, so a re-run of the same change adds nothing, then delivered."""

    def __init__(self, outbox: Outbox, locale: str) -> None:
        self.locale = locale
        self.pending: list[Pending] = []
        self._outbox = outbox
        self._tx: Transaction | None = None
        self._key = ""
        self._count = 0

    def begin(self, tx: Transaction, key: str) -> None:
        self._tx, self._key, self._count = tx, key, 0

    @property
    def tx(self) -> Transaction:
        if self._tx is None:
            raise RuntimeError("notices are written inside the change's transaction")
        return self._tx

    def next_key(self) -> str:
        """The key of the next entry: the change's key and a count."""
        self._count += 1
        return f"{self._key}:{self._count}"

    async def add(
        self,
        effect: Effect,
        *,
        then: Then | None = None,
        after: timedelta = timedelta(),
        key: str = "",
        now: bool = True,
    ) -> Pending:
        """Write `effect` (under `key`, else the next key); with `now` False it is left to
        the delivery loop rather than carried out before the member's answer (a company
        webhook may take seconds)."""
        pending = await self._outbox.add(
            self.tx, effect, key=key or self.next_key(), then=then, after=after
        )
        if now:
            self.pending.append(pending)
        return pending

    async def deliver(self) -> list[Outcome]:
        """Carry the entries out now; those that cannot go yet stay queued."""
        return await self._outbox.deliver(*self.pending) if self.pending else []


class Announcer:
    def __init__(self, services: Services, renderer: TicketRenderer) -> None:
        self._services = services
        self._renderer = renderer
        self.private = PrivateNotes(services)

    async def public_locale(self, community: Community) -> str:
        config = await self._services.config.get(community)
        return self._services.i18n.pick_locale(None, config.community.locale)

    async def notices(self, community: Community) -> Notices:
        """Start the notices of a change; call before its transaction (reads settings)."""
        return Notices(self._services.outbox, await self.public_locale(community))

    async def find_channel(self, community: Community, name_or_id: str) -> ChannelRef | None:
        if not name_or_id:
            return None
        return await self._services.platform(community).find_channel(community, name_or_id)

    async def tickets_channel(self, community: Community) -> ChannelRef | None:
        config = await self._services.config.get(community)
        return await self.find_channel(community, config.community.channels.tickets)

    async def ambassadors_channel(self, community: Community) -> ChannelRef | None:
        config = await self._services.config.get(community)
        return await self.find_channel(community, config.community.channels.ambassadors)

    # -- the tracker ------------------------------------------------------------------------

    async def post_tracker(
        self,
        notices: Notices,
        ticket: Ticket,
        channel: ChannelRef,
        retries: int = 0,
        *,
        team: LanguageTeam | None = None,
        opening: OutgoingMessage | None = None,
    ) -> Pending:
        """Write the tracker, its thread and the opening post as one chain, and store their
        placeholders on the ticket, so later steps queue behind them. The opening post asks
        the ticket's language `team` first (a written-again tracker passes the first
        attempt's `opening`, which has that question in it)."""
        community = Community.from_key(ticket.community)
        message = await self.tracker(ticket, notices.locale)
        if opening is None:
            opening = OutgoingMessage(text=self.opening_text(ticket, notices.locale, team))
        data = {"community": ticket.community, "number": ticket.number, "retries": retries}
        tracker = await notices.add(
            Post(channel, message, allow_pings=False),
            then=Then(TRACKER_POSTED, {**data, "opening": encode(opening)}),
            after=TRACKER_RETRY if retries else timedelta(),
        )
        thread_id: str | None = None
        if Capability.THREADS in self._services.platform(community).capabilities:
            thread = await notices.add(
                OpenThread(tracker.message, thread_name(ticket)),
                then=Then(THREAD_OPENED, {**data, "opening": encode(opening)}),
            )
            await notices.add(Post(thread.thread, opening))
            thread_id = thread.thread.id
        else:
            await notices.add(Post(channel, opening))
        await record_tracker(
            notices.tx,
            ticket.community,
            ticket.number,
            channel_id=channel.id,
            message_id=tracker.message.id,
        )
        await set_thread(notices.tx, ticket.community, ticket.number, thread_id)
        return tracker

    def opening_text(self, ticket: Ticket, locale: str, team: LanguageTeam | None = None) -> Rich:
        text = self._services.i18n.t(
            "tickets.thread.opened",
            locale,
            opener=Mention(ticket.opener_id, ticket.opener_name),
            number=ticket.number,
        )
        details: Rich = (Markup("\n\n"), *rich(ticket.details)) if ticket.details else ()
        asked: Rich = ()
        if team is not None:
            language = language_name(team.language, locale)
            question = self._services.i18n.t("tickets.thread.team", locale, language=language)
            asked = (Markup("\n\n"), *team.address(question))
        return rich(text, details, asked)

    async def tracker_posted(self, tx: Transaction, outcome: Outcome, data: dict[str, Any]) -> None:
        """Store where the tracker went; a tracker refused for good is written again a
        little later (a few times), so the ticket still comes out once it can."""
        community = Community.from_key(data["community"])
        number = int(data["number"])
        if outcome.delivered:
            message: MessageRef = outcome.result
            await record_tracker(
                tx,
                community.key,
                number,
                channel_id=message.channel.id,
                message_id=message.id,
                url=await self._permalink(message, number),
            )
            return
        retries = int(data["retries"]) + 1
        ticket = await load_ticket(tx, community.key, number)
        channel = await self.tickets_channel(community)
        if retries > TRACKER_RETRIES or channel is None or not ticket.active:
            log.error("ticket %s #%d: tracker not posted, giving up", community.key, number)
            await forget_tracker(tx, community.key, number)
            return
        notices = Notices(self._services.outbox, await self.public_locale(community))
        notices.begin(tx, f"ticket:{community.key}:{number}:tracker:retry{retries}")
        opening = decode(data["opening"])
        await self.post_tracker(notices, ticket, channel, retries, opening=opening)

    async def thread_opened(self, tx: Transaction, outcome: Outcome, data: dict[str, Any]) -> None:
        """Store the thread; without one the conversation takes place in the channel."""
        community = Community.from_key(data["community"])
        number = int(data["number"])
        if outcome.delivered:
            await set_thread(tx, community.key, number, outcome.result.id)
            return
        ticket = await load_ticket(tx, community.key, number)
        if ticket.channel_id is None:
            return  # the tracker was given up meanwhile
        log.warning("ticket %s #%d: no thread, talking in the channel", community.key, number)
        await set_thread(tx, community.key, number, None)
        await self._services.outbox.add(
            tx,
            Post(ChannelRef(community, ticket.channel_id), decode(data["opening"])),
            key=f"ticket:{community.key}:{number}:opening-in-channel",
        )

    async def _permalink(self, message: MessageRef, number: int) -> str:
        try:
            return await self._services.platform(message.community).permalink(message)
        except PlatformError as error:
            log.warning("ticket %s #%d: no permalink: %s", message.community.key, number, error)
            return ""

    async def tracker(self, ticket: Ticket, locale: str) -> OutgoingMessage:
        """The tracker as the ticket stands now, with its board link and language."""
        now = self._services.clock.now()
        board = await self.board(ticket)
        return self._renderer.tracker(
            ticket, locale, now, board, language=await self.language(ticket)
        )

    async def language(self, ticket: Ticket) -> str | None:
        """The language the tracker names: the ticket's, in a community that set up
        ``[community.languages]``; None elsewhere (and for tickets from before languages)."""
        config = await self._services.config.get(Community.from_key(ticket.community))
        return shown_language(config.community, ticket.language)

    async def board(self, ticket: Ticket) -> str | None:
        """The ticket's page on the public web board: when the bot serves one, the community
        shows its board, and the ticket is public."""
        base = self._services.board_url
        if base is None or not ticket.is_public:
            return None
        community = Community.from_key(ticket.community)
        config = await self._services.config.get(community)
        if not board_on(config.community.board, community):
            return None
        return base + ticket_path(community, ticket.number)

    # -- changes ----------------------------------------------------------------------------

    async def refresh(self, notices: Notices, ticket: Ticket) -> None:
        """Edit the tracker in place to show the ticket as it is now (a later edit of the
        same tracker supersedes one still waiting)."""
        ref = tracker_ref(ticket)
        community = Community.from_key(ticket.community)
        if ref is None or Capability.EDIT not in self._services.platform(community).capabilities:
            return
        await notices.add(Edit(ref, await self.tracker(ticket, notices.locale)))

    async def say(
        self,
        notices: Notices,
        ticket: Ticket,
        key: str,
        /,
        *,
        then: Then | None = None,
        **values: Segment | str | int,
    ) -> Pending | None:
        """Post a catalog text in the ticket's conversation, in the community's language."""
        text = self._services.i18n.t(key, notices.locale, **values)
        return await self.post(notices, ticket, text, then=then)

    async def post(
        self, notices: Notices, ticket: Ticket, text: Rich, *, then: Then | None = None
    ) -> Pending | None:
        return await self.post_message(notices, ticket, OutgoingMessage(text=text), then=then)

    async def post_message(
        self,
        notices: Notices,
        ticket: Ticket,
        message: OutgoingMessage,
        *,
        then: Then | None = None,
    ) -> Pending | None:
        """Post in the ticket's conversation. A private ticket's conversation is in the
        ambassadors' channel, which its opener cannot read: they get each post as a
        direct message too."""
        where = conversation_ref(ticket)
        if where is None:
            log.warning(
                "ticket %s #%d: stored without a tracker; not posted: %s",
                ticket.community,
                ticket.number,
                excerpt(plain_text(message.text), 80),
            )
            return None
        posted = await notices.add(Post(where, message), then=then)
        if ticket.private:
            await self.private.direct(
                notices,
                Community.from_key(ticket.community),
                ticket.opener_id,
                OutgoingMessage(text=message.text),
            )
        return posted

    async def rename_thread(self, notices: Notices, ticket: Ticket) -> None:
        """Name the ticket's thread after its title as it is now (an edited title). Behind
        a thread still being opened (an outage) it waits for it; a conversation held in
        the channel (no thread could be opened) has nothing to rename, and on Slack, whose
        threads are unnamed replies, the adapter has nothing to do."""
        where = conversation_ref(ticket)
        if where is not None and where.is_thread:
            await notices.add(RenameThread(where, thread_name(ticket)))

    async def unarchive(self, notices: Notices, ticket: Ticket) -> None:
        """Open a reopened ticket's thread again, so members can take part once more."""
        where = self.archivable_thread(ticket)
        if where is not None:
            await notices.add(UnarchiveThread(where))

    async def notify(
        self,
        notices: Notices,
        ticket: Ticket,
        recipients: Iterable[Recipient],
        key: str,
        *,
        archive: bool = False,
        **values: Segment | str | int,
    ) -> None:
        """Tell each recipient privately in their language; mention in one post in the
        ticket's conversation whoever cannot be reached privately; with `archive`, archive
        the thread after that (see `private_notes`). A private ticket's opener already
        had the conversation's post by direct message, so is not told twice."""
        if ticket.private:
            recipients = [r for r in recipients if r.user_id != ticket.opener_id]
        await self.private.notify(
            notices,
            Community.from_key(ticket.community),
            conversation_ref(ticket),
            recipients,
            (key, values),
            archive=self.archivable_thread(ticket) if archive else None,
        )

    async def resolve_reactions(
        self, community: Community, number: int
    ) -> list[tuple[str, UserRef]]:
        """Who has a ✅ on the ticket's tracker now (read before a reopen's transaction):
        a ✅ left from before the ticket was closed would stop a new one from asking."""
        ticket = await TicketRepository(self._services.db).get(community.key, number)
        ref = None if ticket is None or not ticket.tracker_url else tracker_ref(ticket)
        if ref is None:  # no tracker, or one still waiting in the outbox: no reactions yet
            return []
        try:
            reactions = await self._services.platform(community).reactions(ref)
        except PlatformError as error:
            log.warning("ticket %s #%d: reactions not read: %s", community.key, number, error)
            return []
        return [(r.emoji, user) for r in reactions if is_resolve(r.emoji) for user in r.users]

    async def clear_resolve_reactions(
        self, notices: Notices, ticket: Ticket, reactions: list[tuple[str, UserRef]]
    ) -> None:
        """Take the stale ✅ off a reopened ticket's tracker (where the platform lets the
        bot remove others' reactions), so the next ✅ asks for a resolution again."""
        ref = tracker_ref(ticket)
        platform = self._services.platform(Community.from_key(ticket.community))
        if ref is None or Capability.REMOVE_REACTIONS not in platform.capabilities:
            return
        for emoji, user in reactions:
            await notices.add(Unreact(ref, emoji, user))

    def archivable_thread(self, ticket: Ticket) -> ChannelRef | None:
        """The thread to archive and lock when the ticket closes (after its notes, see
        `notify`), where the platform allows; else None and it stays open."""
        where = conversation_ref(ticket)
        if where is None or not where.is_thread:
            return None
        platform = self._services.platform(where.community)
        return where if Capability.ARCHIVE_THREADS in platform.capabilities else None

    # -- the ambassadors' channel, and posts written again after a refusal ------------------

    async def to_ambassadors(
        self,
        notices: Notices,
        community: Community,
        text: Rich,
        *,
        then_kind: str = "",
        extra: dict[str, Any] | None = None,
        key: str = "",
    ) -> Pending | None:
        """Post in the ambassadors' channel (pings, notices about the company); a post the
        platform refuses is written again a few times (by `POSTED_AGAIN`, or by the
        continuation `then_kind`, which calls `refused.post_again`)."""
        channel = await self.ambassadors_channel(community)
        if channel is None:
            log.warning("%s: no ambassadors channel for %r", community.key, text)
            return None
        post = Post(channel, OutgoingMessage(text=text))
        return await self.post_retried(notices, post, then_kind, extra, key=key)

    async def post_retried(
        self,
        notices: Notices,
        post: Post,
        then_kind: str = "",
        extra: dict[str, Any] | None = None,
        *,
        key: str = "",
    ) -> Pending:
        """Write `post` (under `key`, else the change's next key) so that a refusal writes
        it again later (`refused.post_again`); `extra` goes into the continuation's data."""
        key = key or notices.next_key()
        data = {**(extra or {}), **retry_data(post, key)}
        return await notices.add(post, key=key, then=Then(then_kind or POSTED_AGAIN, data))
