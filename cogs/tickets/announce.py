"""Telling people: the tracker message, its thread, and private notes with a public fallback.

Everything here runs after the change it announces has been stored. A platform hiccup (a
deleted tracker, a thread the bot can no longer post in) is logged and never undoes or
blocks the change; a missing tracker is posted again at the next start-up.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from bot.cog import Services
from bot.errors import DirectMessagesClosed, MissingPermission, NotFound, PlatformError
from bot.model import ChannelRef, Community, MessageRef, UserRef
from bot.outgoing import Markup, Mention, OutgoingMessage, Rich, Segment, rich
from bot.platform import Capability, Platform
from bot.text import excerpt
from cogs.tickets.render import TicketRenderer
from storage.tickets import Ticket, TicketRepository

log = logging.getLogger(__name__)

# Discord allows 100 characters in a thread name; cut a little earlier so the cut shows.
THREAD_NAME_LENGTH = 90


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


class Announcer:
    def __init__(
        self, services: Services, renderer: TicketRenderer, tickets: TicketRepository
    ) -> None:
        self._services = services
        self._renderer = renderer
        self._tickets = tickets

    async def public_locale(self, community: Community) -> str:
        config = await self._services.config.get(community)
        return self._services.i18n.pick_locale(None, config.community.locale)

    async def find_channel(self, community: Community, name_or_id: str) -> ChannelRef | None:
        if not name_or_id:
            return None
        return await self._services.platform(community).find_channel(community, name_or_id)

    async def post_tracker(self, ticket: Ticket) -> Ticket:
        """Post the tracker and its thread, store where they are, and return the ticket."""
        community = Community.from_key(ticket.community)
        config = await self._services.config.get(community)
        channel = await self.find_channel(community, config.community.channels.tickets)
        if channel is None:
            log.warning(
                "ticket %s #%d: no tickets channel to post in", community.key, ticket.number
            )
            return ticket
        platform = self._services.platform(community)
        locale = await self.public_locale(community)
        now = self._services.clock.now()
        message = await platform.send(
            channel, self._renderer.tracker(ticket, locale, now), allow_pings=False
        )
        # The tracker is out: from here a failure must not leave it unrecorded, or the
        # retry would post a second one. Without a thread the conversation uses the channel.
        thread_id = await self._open_thread(platform, message, ticket)
        await self._tickets.set_tracker(
            ticket.community,
            ticket.number,
            channel_id=channel.id,
            message_id=message.id,
            thread_id=thread_id,
            url=await self._permalink(platform, message, ticket),
        )
        stored = await self._tickets.get(ticket.community, ticket.number)
        assert stored is not None
        return stored

    async def _open_thread(
        self, platform: Platform, tracker: MessageRef, ticket: Ticket
    ) -> str | None:
        if Capability.THREADS not in platform.capabilities:
            return None
        name = excerpt(f"Ticket #{ticket.number}: {ticket.title}", THREAD_NAME_LENGTH)
        try:
            return (await platform.open_thread(tracker, name)).id
        except PlatformError as error:
            log.warning(
                "ticket %s #%d: no thread, talking in the channel: %s",
                ticket.community,
                ticket.number,
                error,
            )
            return None

    async def _permalink(self, platform: Platform, tracker: MessageRef, ticket: Ticket) -> str:
        try:
            return await platform.permalink(tracker)
        except PlatformError as error:
            log.warning("ticket %s #%d: no permalink: %s", ticket.community, ticket.number, error)
            return ""

    async def refresh(self, ticket: Ticket) -> None:
        """Edit the tracker in place to show the ticket as it is now."""
        ref = tracker_ref(ticket)
        community = Community.from_key(ticket.community)
        platform = self._services.platform(community)
        if ref is None or Capability.EDIT not in platform.capabilities:
            return
        locale = await self.public_locale(community)
        message = self._renderer.tracker(ticket, locale, self._services.clock.now())
        try:
            await platform.edit(ref, message)
        except PlatformError as error:
            log.warning(
                "ticket %s #%d: tracker not updated: %s", community.key, ticket.number, error
            )

    async def say(self, ticket: Ticket, key: str, /, **values: Segment | str | int) -> None:
        """Post a catalog text in the ticket's conversation, in the community's language."""
        community = Community.from_key(ticket.community)
        locale = await self.public_locale(community)
        await self.post(ticket, self._services.i18n.t(key, locale, **values))

    async def post(self, ticket: Ticket, text: Rich) -> None:
        await self.post_message(ticket, OutgoingMessage(text=text))

    async def post_message(self, ticket: Ticket, message: OutgoingMessage) -> None:
        where = conversation_ref(ticket)
        if where is None:
            return
        platform = self._services.platform(where.community)
        try:
            await platform.send(where, message)
        except PlatformError as error:
            log.warning(
                "ticket %s #%d: thread post failed: %s", ticket.community, ticket.number, error
            )

    async def archive(self, ticket: Ticket) -> None:
        """Archive and lock the thread where the platform allows; else leave it open."""
        await self._set_thread_archived(ticket, archived=True)

    async def unarchive(self, ticket: Ticket) -> None:
        """Open a reopened ticket's thread again, so members can take part once more."""
        await self._set_thread_archived(ticket, archived=False)

    async def _set_thread_archived(self, ticket: Ticket, *, archived: bool) -> None:
        where = conversation_ref(ticket)
        if where is None or not where.is_thread:
            return
        platform = self._services.platform(where.community)
        if Capability.ARCHIVE_THREADS not in platform.capabilities:
            return
        try:
            if archived:
                await platform.archive_thread(where, lock=True)
            else:
                await platform.unarchive_thread(where)
        except PlatformError as error:
            log.warning(
                "ticket %s #%d: thread not %s: %s",
                ticket.community,
                ticket.number,
                "archived" if archived else "unarchived",
                error,
            )

    async def to_ambassadors(self, community: Community, text: Rich) -> None:
        """Post in the ambassadors' channel (pings, reminders nobody could get privately)."""
        config = await self._services.config.get(community)
        channel = await self.find_channel(community, config.community.channels.ambassadors)
        if channel is None:
            log.warning("%s: no ambassadors channel for %r", community.key, text)
            return
        await self._services.platform(community).send(channel, OutgoingMessage(text=text))

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

    async def direct(self, community: Community, user_id: str, message: OutgoingMessage) -> bool:
        """Send a private message; False when it cannot be delivered (DMs closed, gone)."""
        platform = self._services.platform(community)
        if Capability.DIRECT_MESSAGES not in platform.capabilities:
            return False
        try:
            await platform.send_direct(UserRef(community, user_id), message)
        except (DirectMessagesClosed, NotFound, MissingPermission):
            return False
        return True

    async def notify(
        self,
        ticket: Ticket,
        recipients: Iterable[Recipient],
        key: str,
        **values: Segment | str | int,
    ) -> list[str]:
        """Tell each recipient privately in their language; mention the rest in the thread.

        Returns the ids of those who could only be reached in the thread.
        """
        community = Community.from_key(ticket.community)
        i18n = self._services.i18n
        default = await self.public_locale(community)
        unreachable: list[Recipient] = []
        for recipient in recipients:
            locale = i18n.pick_locale(recipient.locale, default)
            delivered = await self.direct(
                community, recipient.user_id, OutgoingMessage(text=i18n.t(key, locale, **values))
            )
            if not delivered:
                unreachable.append(recipient)
        if unreachable:
            mentions: list[Segment] = []
            for index, recipient in enumerate(unreachable):
                if index:
                    mentions.append(Markup(", "))
                mentions.append(Mention(recipient.user_id, recipient.name))
            await self.post(ticket, rich(mentions, Markup(": "), i18n.t(key, default, **values)))
        return [r.user_id for r in unreachable]
