"""Reactions on trackers, scheduled jobs and the start-up check that nothing was lost."""

from __future__ import annotations

import logging
from datetime import timedelta

from bot.cog import job, listen
from bot.events import ReactionAdded, ReactionRemoved
from cogs.tickets.base import TicketsBase
from cogs.tickets.company import KIND_WEBHOOK
from cogs.tickets.digest import KIND_DIGEST
from cogs.tickets.followups import (
    KIND_FIRST_RESPONSE,
    KIND_FOLLOW_UP,
    KIND_REMINDER,
    KIND_TRACKER,
)
from storage.jobs import Job

log = logging.getLogger(__name__)


class TicketHandlers(TicketsBase):
    async def setup(self) -> None:
        """Re-arm what a crash may have lost; trackers are posted once platforms connect."""
        armed = await self.followups.reconcile()
        if armed:
            log.warning("re-armed %d ticket job(s) missing after the last shutdown", armed)
        for ticket in await self.followups.missing_trackers():
            await self.followups.arm_tracker(ticket, delay=timedelta())
        await self.digests.ensure_all()

    @listen(ReactionAdded)
    async def on_reaction(self, event: ReactionAdded) -> None:
        await self.reactions.added(event)

    @listen(ReactionRemoved)
    async def on_reaction_removed(self, event: ReactionRemoved) -> None:
        await self.reactions.removed(event)

    @job(KIND_FOLLOW_UP)
    async def follow_up(self, scheduled: Job) -> None:
        await self.followups.fire_follow_up(scheduled)

    @job(KIND_REMINDER)
    async def reminder(self, scheduled: Job) -> None:
        await self.followups.fire_reminder(scheduled)

    @job(KIND_FIRST_RESPONSE)
    async def first_response(self, scheduled: Job) -> None:
        await self.followups.fire_first_response(scheduled)

    @job(KIND_DIGEST)
    async def digest_due(self, scheduled: Job) -> None:
        await self.digests.fire(scheduled)

    @job(KIND_WEBHOOK)
    async def webhook(self, scheduled: Job) -> None:
        await self.company.fire_webhook(scheduled)

    @job(KIND_TRACKER)
    async def tracker(self, scheduled: Job) -> None:
        """Post the tracker of a ticket stored while the platform could not be reached."""
        ticket = await self.tickets.get(scheduled.community, int(scheduled.payload["number"]))
        if ticket is None or ticket.tracker_message_id is not None or not ticket.active:
            return
        posted = await self.lifecycle.announce_opened(ticket)
        if posted.tracker_message_id is None:
            raise ConnectionError(f"tracker of #{ticket.number} still not posted")
