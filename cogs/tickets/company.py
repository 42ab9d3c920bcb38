"""Handing a ticket to the company: a summary in the company channel and/or a webhook.

The webhook is delivered by a durable job, so an unreachable company endpoint is retried
with growing delays (the scheduler's policy) instead of failing the ambassador's command.
It needs aiohttp (installed with the ``slack`` extra, or on its own); without it the bot
refuses to escalate to a webhook and says so, rather than dropping the hand-over silently.
"""

from __future__ import annotations

import importlib.util
import logging
from typing import Any

from bot.cog import Services
from bot.errors import PlatformError, UserError
from bot.model import Community, Member
from bot.outgoing import Field, Link, Mention, OutgoingMessage, Rich, rich
from bot.scheduler import MAX_ATTEMPTS
from bot.text import defuse_mass_mentions, excerpt
from cogs.tickets.announce import Announcer
from cogs.tickets.config import TicketsConfig
from storage.jobs import Job
from storage.tickets import Ticket
from storage.timestamps import to_db

log = logging.getLogger(__name__)

KIND_WEBHOOK = "tickets.webhook"
# A company endpoint that needs longer than this is down for our purposes; the job retries.
WEBHOOK_TIMEOUT_SECONDS = 10
# Discord webhooks refuse "content" over 2,000 characters; Slack's limit is higher.
WEBHOOK_TEXT_LIMIT = 1900
DETAILS_FOR_COMPANY = 800


def aiohttp_available() -> bool:
    return importlib.util.find_spec("aiohttp") is not None


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

    async def hand_over(self, ticket: Ticket, by: Member, note: str) -> bool:
        """Post the summary and queue the webhook; False if the channel post failed."""
        community = Community.from_key(ticket.community)
        config = await self._services.config.get(community)
        locale = await self._announcer.public_locale(community)
        delivered = True
        channel = await self._announcer.find_channel(community, config.community.channels.company)
        if channel is not None:
            try:
                await self._services.platform(community).send(
                    channel, self.summary(ticket, by, note, locale), allow_pings=False
                )
            except PlatformError as error:
                log.warning(
                    "ticket %s #%d: company post failed: %s", community.key, ticket.number, error
                )
                delivered = False
        webhook = config.section("tickets", TicketsConfig).company_webhook
        if webhook:
            now = self._services.clock.now()
            await self._services.scheduler.schedule(
                community,
                KIND_WEBHOOK,
                now,
                f"ticket:{ticket.community}:{ticket.number}:webhook:{to_db(now)}",
                {"url": webhook, "body": webhook_body(ticket, by, note)},
            )
        return delivered

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
        """POST the escalation; a failure raises so the scheduler retries later, and the
        last attempt's failure is also told to the ambassadors, who pass it on by hand."""
        try:
            await _post(job.payload["url"], job.payload["body"])
        except Exception as error:
            if job.attempts >= MAX_ATTEMPTS:
                await self._gave_up(job, error)
            raise

    async def _gave_up(self, job: Job, error: Exception) -> None:
        community = Community.from_key(job.community)
        locale = await self._announcer.public_locale(community)
        text = self._services.i18n.t(
            "tickets.company.webhook_failed",
            locale,
            number=int(job.payload["body"]["ticket"]["number"]),
            attempts=job.attempts,
            error=str(error),
        )
        await self._announcer.to_ambassadors(community, text)


async def _post(url: str, body: dict[str, Any]) -> None:
    import aiohttp  # optional: only deployments with a company webhook need it

    timeout = aiohttp.ClientTimeout(total=WEBHOOK_TIMEOUT_SECONDS)
    async with (
        aiohttp.ClientSession(timeout=timeout) as session,
        session.post(url, json=body) as response,
    ):
        if response.status >= 300:
            raise ConnectionError(f"webhook answered HTTP {response.status}")


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
