"""Reactions on trackers, scheduled jobs, outbox continuations and calls, and the start-up
check that nothing was lost."""

from __future__ import annotations

import logging
from typing import Any

from bot.cog import after_delivery, carries_out, job, listen
from bot.delivery import Outcome
from bot.effects import Attempt
from bot.events import Connected, ReactionAdded, ReactionRemoved
from bot.model import Community
from cogs.tickets.announce import THREAD_OPENED, TRACKER_POSTED
from cogs.tickets.base import TicketsBase
from cogs.tickets.company import KIND_WEBHOOK, WEBHOOK_CALL, WEBHOOK_DONE
from cogs.tickets.config import TicketsConfig
from cogs.tickets.digest import DIGEST_POSTED, KIND_DIGEST
from cogs.tickets.followups import (
    FOLLOW_UP_POSTED,
    KIND_FIRST_RESPONSE,
    KIND_FOLLOW_UP,
    KIND_REMINDER,
    KIND_TRACKER,
    LEAD_POSTED,
    PING_POSTED,
)
from cogs.tickets.private_notes import DIRECT_DONE, NOTICE_SENT
from cogs.tickets.refused import POSTED_AGAIN, post_again
from storage.database import Transaction
from storage.jobs import Job

log = logging.getLogger(__name__)


class TicketHandlers(TicketsBase):
    async def setup(self) -> None:
        """Arm jobs missing for tickets stored without them; trackers and notices wait in
        the outbox."""
        await self.reactions.recover()
        armed = await self.followups.reconcile()
        if armed:
            log.warning("armed %d ticket job(s) missing from the database", armed)
        await self.digests.ensure_all()

    @listen(ReactionAdded)
    async def on_reaction(self, event: ReactionAdded) -> None:
        await self.reactions.added(event)

    @listen(ReactionRemoved)
    async def on_reaction_removed(self, event: ReactionRemoved) -> None:
        await self.reactions.removed(event)

    @listen(Connected)
    async def on_connected(self, event: Connected) -> None:
        config = await self.config(event.community)
        limit = config.section("tickets", TicketsConfig).catch_up_trackers
        await self.reactions.catch_up(event.community, limit)

    # -- jobs -------------------------------------------------------------------------------

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
        """A webhook job left by an older version goes to the outbox."""
        await self.company.hand_over_job(scheduled)

    @job(KIND_TRACKER)
    async def tracker(self, scheduled: Job) -> None:
        """Post the tracker of a ticket stored by an older version without one (today the
        tracker is written to the outbox with the ticket)."""
        ticket = await self.tickets.get(scheduled.community, int(scheduled.payload["number"]))
        if ticket is None or ticket.tracker_message_id is not None or not ticket.active:
            return
        community = Community.from_key(scheduled.community)
        channel = await self.announcer.tickets_channel(community)
        if channel is None:
            raise ConnectionError(f"no tickets channel for the tracker of #{ticket.number}")
        notices = await self.announcer.notices(community)
        async with self.services.db.transaction() as tx:
            notices.begin(tx, scheduled.key)
            await self.announcer.post_tracker(notices, ticket, channel)
        await notices.deliver()

    # -- the outbox -------------------------------------------------------------------------

    @carries_out(WEBHOOK_CALL)
    async def company_webhook(self, data: dict[str, Any], attempt: Attempt) -> None:
        await self.company.deliver_webhook(data, attempt)

    @after_delivery(WEBHOOK_DONE)
    async def company_webhook_done(
        self, tx: Transaction, outcome: Outcome, data: dict[str, Any]
    ) -> None:
        await self.company.webhook_done(tx, outcome, data)

    @after_delivery(TRACKER_POSTED)
    async def tracker_posted(self, tx: Transaction, outcome: Outcome, data: dict[str, Any]) -> None:
        await self.announcer.tracker_posted(tx, outcome, data)

    @after_delivery(THREAD_OPENED)
    async def thread_opened(self, tx: Transaction, outcome: Outcome, data: dict[str, Any]) -> None:
        await self.announcer.thread_opened(tx, outcome, data)

    @after_delivery(DIRECT_DONE)
    async def direct_done(self, tx: Transaction, outcome: Outcome, data: dict[str, Any]) -> None:
        await self.announcer.private.direct_done(tx, outcome, data)

    @after_delivery(NOTICE_SENT)
    async def notice_sent(self, tx: Transaction, outcome: Outcome, data: dict[str, Any]) -> None:
        await self.announcer.private.notice_sent(tx, outcome, data)

    @after_delivery(POSTED_AGAIN)
    async def posted_again(self, tx: Transaction, outcome: Outcome, data: dict[str, Any]) -> None:
        await post_again(self.services.outbox, tx, outcome, data)

    @after_delivery(FOLLOW_UP_POSTED)
    async def follow_up_posted(
        self, tx: Transaction, outcome: Outcome, data: dict[str, Any]
    ) -> None:
        await self.followups.follow_up_posted(tx, outcome, data)

    @after_delivery(PING_POSTED)
    async def ping_posted(self, tx: Transaction, outcome: Outcome, data: dict[str, Any]) -> None:
        await self.followups.ping_posted(tx, outcome, data)

    @after_delivery(LEAD_POSTED)
    async def lead_posted(self, tx: Transaction, outcome: Outcome, data: dict[str, Any]) -> None:
        await self.followups.lead_posted(tx, outcome, data)

    @after_delivery(DIGEST_POSTED)
    async def digest_posted(self, tx: Transaction, outcome: Outcome, data: dict[str, Any]) -> None:
        await self.digests.posted(tx, outcome, data)
