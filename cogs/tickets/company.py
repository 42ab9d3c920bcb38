"""Handing a ticket to the company: a summary in the company channel and/or a webhook.

The webhook is delivered by a durable job, so an unreachable company endpoint is retried
with growing delays (the scheduler's policy) instead of failing the ambassador's command.
The ambassadors are told the truth as it happens: when the first attempt fails (and that
it will be retried), and then whether it went out or finally failed. The webhook URL is a
secret: the job reads it from the configuration when it fires (it is not copied into the
jobs table), and every failure is named by the endpoint's host only (`bot.webhook`).
It needs aiohttp (installed with the ``slack`` extra, or on its own); without it the bot
refuses to escalate to a webhook and says so, rather than dropping the hand-over silently.
"""

from __future__ import annotations

import importlib.util
import logging
from dataclasses import dataclass
from typing import Any

from bot.cog import Services
from bot.commands import format_duration
from bot.delivery import Pending
from bot.effects import Post
from bot.errors import UserError
from bot.model import ChannelRef, Community, Member
from bot.outgoing import Field, Link, Mention, OutgoingMessage, Rich, rich
from bot.scheduler import MAX_ATTEMPTS, RETRY_BASE
from bot.text import defuse_mass_mentions, excerpt
from bot.webhook import WebhookError, post_to_webhook, webhook_host
from cogs.tickets.announce import Announcer, Notices
from cogs.tickets.config import TicketsConfig
from storage.jobs import Job
from storage.tickets import Ticket
from storage.timestamps import to_db

log = logging.getLogger(__name__)

KIND_WEBHOOK = "tickets.webhook"
# How long the scheduler keeps retrying after the first failure: the sum of its delays.
RETRY_WINDOW = format_duration(RETRY_BASE * (2 ** (MAX_ATTEMPTS - 1) - 1))
# Discord webhooks refuse "content" over 2,000 characters; Slack's limit is higher.
WEBHOOK_TEXT_LIMIT = 1900
DETAILS_FOR_COMPANY = 800


def aiohttp_available() -> bool:
    return importlib.util.find_spec("aiohttp") is not None


@dataclass(frozen=True, slots=True)
class HandOver:
    """What an escalation reached: the channel summary (None: no company channel) and
    whether a webhook delivery was queued, whose outcome the ambassadors hear later."""

    posted: bool | None
    webhook_queued: bool
    summary_queued: bool = False  # an outage: the outbox posts it once the channel works

    @property
    def reply_key(self) -> str:
        """The ambassador's reply: never "went out" for what has not gone out yet."""
        if self.summary_queued:
            return "tickets.reply.escalated_summary_queued"
        if self.posted is False:
            return "tickets.reply.escalated_unsent"
        if self.webhook_queued:
            return "tickets.reply.escalated_queued"
        return "tickets.reply.escalated"


class Company:
    def __init__(self, services: Services, announcer: Announcer) -> None:
        self._services = services
        self._announcer = announcer

    async def check_reachable(self, community: Community, locale: str) -> None:
        """Refuse an escalation that could reach nobody, before anything changes."""
        config = await self._services.config.get(community)
        tickets = config.section("tickets", TicketsConfig)
        name = config.community.channels.company
        channel = await self._announcer.find_channel(community, name)
        i18n = self._services.i18n
        if tickets.company_webhook and not aiohttp_available():
            raise UserError(i18n.text("tickets.error.webhook_needs_aiohttp", locale))
        if channel is None and not tickets.company_webhook:
            key = "tickets.error.company_channel_missing" if name else "tickets.error.no_company"
            raise UserError(i18n.text(key, locale, channel=name))

    async def channel(self, community: Community) -> ChannelRef | None:
        """The company channel, looked up before the escalation's transaction."""
        config = await self._services.config.get(community)
        return await self._announcer.find_channel(community, config.community.channels.company)

    async def post_summary(
        self, notices: Notices, channel: ChannelRef, ticket: Ticket, by: Member, note: str
    ) -> Pending:
        """Write the summary for the company channel with the escalation itself."""
        message = self.summary(ticket, by, note, notices.locale)
        return await notices.add(Post(channel, message, allow_pings=False))

    async def hand_over(
        self, ticket: Ticket, by: Member, note: str, summary: list[Pending]
    ) -> HandOver:
        """After the escalation committed: learn what became of the summary and queue the
        webhook."""
        community = Community.from_key(ticket.community)
        config = await self._services.config.get(community)
        posted: bool | None = None
        queued_summary = False
        for outcome in await self._services.outbox.deliver(*summary):
            posted = outcome.delivered
            queued_summary = outcome.queued
            if outcome.error is not None:
                log.warning(
                    "ticket %s #%d: company post failed: %s",
                    community.key,
                    ticket.number,
                    outcome.error,
                )
        queued = bool(config.section("tickets", TicketsConfig).company_webhook)
        if queued:
            now = self._services.clock.now()
            await self._services.scheduler.schedule(
                community,
                KIND_WEBHOOK,
                now,
                f"ticket:{ticket.community}:{ticket.number}:webhook:{to_db(now)}",
                {"body": webhook_body(ticket, by, note)},
            )
        return HandOver(posted, queued, queued_summary)

    def summary(self, ticket: Ticket, by: Member, note: str, locale: str) -> OutgoingMessage:
        t = self._services.i18n.t
        fields = [
            Field(
                t("tickets.field.votes", locale),
                t("tickets.value.votes", locale, votes=ticket.vote_count),
            ),
            Field(t("tickets.field.opened_by", locale), rich(ticket.opener_name)),
            Field(t("tickets.company.note", locale), rich(note)),
        ]
        if ticket.category:
            fields.insert(1, Field(t("tickets.field.category", locale), rich(ticket.category)))
        text: Rich = rich(excerpt(ticket.details, DETAILS_FOR_COMPANY)) if ticket.details else ()
        if ticket.tracker_url:
            text = rich(text, "\n" if text else "", Link(ticket.tracker_url))
        return OutgoingMessage(
            title=t(
                "tickets.company.title",
                locale,
                number=ticket.number,
                title=ticket.title,
                by=Mention(by.id, by.shown_name),
            ),
            text=text,
            fields=tuple(fields),
        )

    async def fire_webhook(self, job: Job) -> None:
        """POST the escalation; a failure raises so the scheduler retries later.

        The ambassadors hear of the first failure (it will be retried), then of the
        outcome: delivered after all, or given up, to be passed on by hand.
        """
        community = Community.from_key(job.community)
        config = await self._services.config.get(community)
        url = config.section("tickets", TicketsConfig).company_webhook
        number = int(job.payload["body"]["ticket"]["number"])
        if not url:
            log.warning("ticket %s #%d: no company webhook is set any more", job.community, number)
            await self._tell(job, "webhook_unset", number=number)
            return
        try:
            await post_to_webhook(url, job.payload["body"])
        except WebhookError as error:
            if job.attempts >= MAX_ATTEMPTS:
                await self._tell(
                    job,
                    "webhook_failed",
                    number=number,
                    attempts=job.attempts,
                    error=str(error),
                )
            elif job.attempts == 1:
                await self._tell(
                    job,
                    "webhook_retrying",
                    number=number,
                    error=str(error),
                    within=RETRY_WINDOW,
                )
            raise
        log.info(
            "ticket %s #%d: escalation delivered to %s (attempt %d)",
            job.community,
            number,
            webhook_host(url),
            job.attempts,
        )
        if job.attempts > 1:
            await self._tell(job, "webhook_delivered", number=number, attempts=job.attempts)

    async def _tell(self, job: Job, key: str, **values: str | int) -> None:
        """Tell the ambassadors through the outbox, keyed by the job's attempt, so a re-run
        of the same attempt says nothing twice."""
        community = Community.from_key(job.community)
        notices = await self._announcer.notices(community)
        text = self._services.i18n.t(f"tickets.company.{key}", notices.locale, **values)
        async with self._services.db.transaction() as tx:
            notices.begin(tx, f"{job.key}:attempt-{job.attempts}:{key}")
            await self._announcer.to_ambassadors(notices, community, text)
        await notices.deliver()


def webhook_body(ticket: Ticket, by: Member, note: str) -> dict[str, Any]:
    """JSON for the company: "text"/"content" for Slack and Discord webhooks, plus data."""
    text = excerpt(
        f"Ticket #{ticket.number} escalated by {_inert(by.shown_name)}: {_inert(ticket.title)} "
        f"({ticket.vote_count} votes) — {_inert(note)} {ticket.tracker_url}".strip(),
        WEBHOOK_TEXT_LIMIT,
    )
    return {
        "text": text,
        "content": text,
        "allowed_mentions": {"parse": []},
        "ticket": {
            "community": ticket.community,
            "platform": ticket.community.partition(":")[0],
            "number": ticket.number,
            "title": ticket.title,
            "details": ticket.details,
            "category": ticket.category,
            "votes": ticket.vote_count,
            "opened_by": ticket.opener_name,
            "owner": ticket.owner_name,
            "escalated_by": by.shown_name,
            "note": note,
            "url": ticket.tracker_url,
        },
    }


def _inert(text: str) -> str:
    """User text for a chat webhook: no mass mentions and no ``<@id>``/``<!here>`` syntax,
    whichever chat platform the company's endpoint turns out to be."""
    return defuse_mass_mentions(text.replace("<", "‹").replace(">", "›"))
