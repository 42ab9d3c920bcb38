"""Telling people: the tracker message, its thread, and private notes with a public fallback.

Nothing here calls the platform to change anything. Each announcement is an outbox entry
(`Notices`) written in the transaction of the change it announces, under a key derived
from that change, and delivered once the change has committed: a crash in between loses
nothing and a re-run adds nothing twice. What must wait for a result (the thread on a new
tracker, the post in that thread) names it with a placeholder; continuations store the
tracker's and thread's ids, fall back to the ticket's channel where no thread can be
opened, and mention in public whoever could not be told privately.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from bot.codec import decode, encode
from bot.cog import Services
from bot.delivery import Outbox, Outcome, Pending, Then
from bot.effects import (
    ArchiveThread,
    DirectMessage,
    Edit,
    Effect,
    OpenThread,
    Post,
    UnarchiveThread,
)
from bot.errors import DirectMessagesClosed, MissingPermission, NotFound, PlatformError
from bot.model import ChannelRef, Community, MessageRef, UserRef
from bot.outgoing import Markup, Mention, OutgoingMessage, Rich, Segment, rich
from bot.platform import Capability
from bot.text import excerpt
from cogs.tickets.render import TicketRenderer
from storage.database import Transaction
from storage.tickets import Ticket, load_ticket, set_thread, set_tracker

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
DIRECT_DONE = "tickets.direct-done"
# A private note that cannot reach its member for these reasons goes to the public fallback.
UNREACHABLE = (DirectMessagesClosed, NotFound, MissingPermission)


@dataclass(frozen=True, slots=True)
class Recipient:
    user_id: str
    name: str
    locale: str | None


def tracker_ref(ticket: Ticket) -> MessageRef | None:
    if ticket.channel_id is None or ticket.tracker_message_id is None:
        return None
    community = Community.from_key(ticket.community)
    return MessageRef(ChannelRef(community, ticket.channel_id), ticket.tracker_message_id)


def conversation_ref(ticket: Ticket) -> ChannelRef | None:
    """The ticket's thread, or the tickets channel where the platform has no threads."""
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

    async def add(
        self, effect: Effect, *, then: Then | None = None, after: timedelta = timedelta()
    ) -> Pending:
        if self._tx is None:
            raise RuntimeError("notices are written inside the change's transaction")
        self._count += 1
        pending = await self._outbox.add(
            self._tx, effect, key=f"{self._key}:{self._count}", then=then, after=after
        )
        self.pending.append(pending)
        return pending

    async def deliver(self) -> list[Outcome]:
        """Carry the entries out now; those that cannot go yet stay queued."""
        return await self._outbox.deliver(*self.pending) if self.pending else []


class Announcer:
    def __init__(self, services: Services, renderer: TicketRenderer) -> None:
        self._services = services
        self._renderer = renderer

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

    # -- the tracker ------------------------------------------------------------------------

    async def post_tracker(
        self, notices: Notices, ticket: Ticket, channel: ChannelRef, retries: int = 0
    ) -> Pending:
        """Write the tracker, its thread and the opening post as one chain: the thread
        opens on the posted tracker, the opening post goes into the opened thread."""
        community = Community.from_key(ticket.community)
        message = self._renderer.tracker(ticket, notices.locale, self._services.clock.now())
        opening = OutgoingMessage(text=self.opening_text(ticket, notices.locale))
        data = {"community": ticket.community, "number": ticket.number, "retries": retries}
        tracker = await notices.add(
            Post(channel, message, allow_pings=False),
            then=Then(TRACKER_POSTED, {**data, "opening": encode(opening)}),
            after=TRACKER_RETRY if retries else timedelta(),
        )
        if Capability.THREADS in self._services.platform(community).capabilities:
            name = excerpt(f"Ticket #{ticket.number}: {ticket.title}", THREAD_NAME_LENGTH)
            thread = await notices.add(
                OpenThread(tracker.message, name),
                then=Then(THREAD_OPENED, {**data, "opening": encode(opening)}),
            )
            await notices.add(Post(thread.thread, opening))
        else:
            await notices.add(Post(channel, opening))
        return tracker

    def opening_text(self, ticket: Ticket, locale: str) -> Rich:
        text = self._services.i18n.t(
            "tickets.thread.opened",
            locale,
            opener=Mention(ticket.opener_id, ticket.opener_name),
            number=ticket.number,
        )
        details: Rich = (Markup("\n\n"), *rich(ticket.details)) if ticket.details else ()
        return rich(text, details)

    async def tracker_posted(self, tx: Transaction, outcome: Outcome, data: dict[str, Any]) -> None:
        """Store where the tracker went; a tracker refused for good is written again a
        little later (a few times), so the ticket still comes out once it can."""
        community = Community.from_key(data["community"])
        number = int(data["number"])
        if outcome.delivered:
            message: MessageRef = outcome.result
            await set_tracker(
                tx,
                community.key,
                number,
                channel_id=message.channel.id,
                message_id=message.id,
                thread_id=None,
                url=await self._permalink(message, number),
            )
            return
        retries = int(data["retries"]) + 1
        if retries > TRACKER_RETRIES:
            log.error("ticket %s #%d: tracker not posted, giving up", community.key, number)
            return
        ticket = await load_ticket(tx, community.key, number)
        channel = await self.tickets_channel(community)
        if channel is None or not ticket.active:
            return
        notices = Notices(self._services.outbox, await self.public_locale(community))
        notices.begin(tx, f"ticket:{community.key}:{number}:tracker:retry{retries}")
        await self.post_tracker(notices, ticket, channel, retries)

    async def thread_opened(self, tx: Transaction, outcome: Outcome, data: dict[str, Any]) -> None:
        """Store the thread; without one the conversation takes place in the channel."""
        community = Community.from_key(data["community"])
        number = int(data["number"])
        if outcome.delivered:
            await set_thread(tx, community.key, number, outcome.result.id)
            return
        ticket = await load_ticket(tx, community.key, number)
        where = conversation_ref(ticket)
        if where is None:
            return  # the tracker itself did not go out: its retry brings the opening
        log.warning("ticket %s #%d: no thread, talking in the channel", community.key, number)
        await self._services.outbox.add(
            tx,
            Post(where, decode(data["opening"])),
            key=f"ticket:{community.key}:{number}:opening-in-channel",
        )

    async def _permalink(self, message: MessageRef, number: int) -> str:
        try:
            return await self._services.platform(message.community).permalink(message)
        except PlatformError as error:
            log.warning("ticket %s #%d: no permalink: %s", message.community.key, number, error)
            return ""

    # -- changes ----------------------------------------------------------------------------

    async def refresh(self, notices: Notices, ticket: Ticket) -> None:
        """Edit the tracker in place to show the ticket as it is now (a later edit of the
        same tracker supersedes one still waiting)."""
        ref = tracker_ref(ticket)
        community = Community.from_key(ticket.community)
        if ref is None or Capability.EDIT not in self._services.platform(community).capabilities:
            return
        message = self._renderer.tracker(ticket, notices.locale, self._services.clock.now())
        await notices.add(Edit(ref, message))

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
        where = conversation_ref(ticket)
        if where is None:
            log.warning(
                "ticket %s #%d: no tracker yet to post under", ticket.community, ticket.number
            )
            return None
        return await notices.add(Post(where, message), then=then)

    async def archive(self, notices: Notices, ticket: Ticket) -> None:
        """Archive and lock the thread where the platform allows; else leave it open."""
        where = self._thread(ticket)
        if where is not None:
            await notices.add(ArchiveThread(where, lock=True))

    async def unarchive(self, notices: Notices, ticket: Ticket) -> None:
        """Open a reopened ticket's thread again, so members can take part once more."""
        where = self._thread(ticket)
        if where is not None:
            await notices.add(UnarchiveThread(where))

    def _thread(self, ticket: Ticket) -> ChannelRef | None:
        where = conversation_ref(ticket)
        if where is None or not where.is_thread:
            return None
        platform = self._services.platform(where.community)
        return where if Capability.ARCHIVE_THREADS in platform.capabilities else None

    async def ambassadors_channel(self, community: Community) -> ChannelRef | None:
        config = await self._services.config.get(community)
        return await self.find_channel(community, config.community.channels.ambassadors)

    async def to_ambassadors(self, notices: Notices, community: Community, text: Rich) -> bool:
        """Post in the ambassadors' channel (pings, reminders nobody could get privately)."""
        channel = await self.ambassadors_channel(community)
        if channel is None:
            log.warning("%s: no ambassadors channel for %r", community.key, text)
            return False
        await notices.add(Post(channel, OutgoingMessage(text=text)))
        return True

    async def recipient(self, community: Community, user_id: str, name: str) -> Recipient:
        """Someone to notify who is not a watcher (an owner): their language if the platform
        knows it; else the community's."""
        try:
            member = await self._services.platform(community).fetch_member(
                UserRef(community, user_id)
            )
        except PlatformError:
            member = None
        return Recipient(user_id, name, member.locale if member else None)

    async def direct(
        self,
        notices: Notices,
        community: Community,
        user_id: str,
        message: OutgoingMessage,
        fallback: tuple[ChannelRef, OutgoingMessage] | None = None,
    ) -> bool:
        """Send a private message; where it cannot be delivered (DMs closed, the member
        gone) the `fallback` is posted instead. False when the platform has no DMs."""
        platform = self._services.platform(community)
        if Capability.DIRECT_MESSAGES not in platform.capabilities:
            return False
        then = None
        if fallback is not None:
            where, public = fallback
            then = Then(DIRECT_DONE, {"where": encode(where), "message": encode(public)})
        await notices.add(DirectMessage(UserRef(community, user_id), message), then=then)
        return True

    async def direct_done(self, tx: Transaction, outcome: Outcome, data: dict[str, Any]) -> None:
        """A private note the member cannot receive goes to its public fallback."""
        if not isinstance(outcome.error, UNREACHABLE):
            return
        await self._services.outbox.add(
            tx,
            Post(decode(data["where"]), decode(data["message"])),
            key=f"direct-fallback:{outcome.entry_id}",
        )

    async def notify(
        self,
        notices: Notices,
        ticket: Ticket,
        recipients: Iterable[Recipient],
        key: str,
        **values: Segment | str | int,
    ) -> None:
        """Tell each recipient privately in their language; mention in the thread whoever
        cannot be reached privately."""
        community = Community.from_key(ticket.community)
        i18n = self._services.i18n
        where = conversation_ref(ticket)
        public = i18n.t(key, notices.locale, **values)
        for recipient in recipients:
            locale = i18n.pick_locale(recipient.locale, notices.locale)
            mention = rich(Mention(recipient.user_id, recipient.name), Markup(": "), public)
            private = OutgoingMessage(text=i18n.t(key, locale, **values))
            fallback = None if where is None else (where, OutgoingMessage(text=mention))
            if not await self.direct(notices, community, recipient.user_id, private, fallback):
                await self.post(notices, ticket, mention)
