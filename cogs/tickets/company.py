"""Handing a ticket to the company: a summary in the company channel and/or a webhook.

Both are outbox entries written with the escalation itself, so the ticket never waits on
the company without its hand-over on the way. The webhook is a `Call` carried out by
`deliver_webhook` through the delivery loop, not before the ambassador's answer: an
unreachable endpoint (no answer, HTTP 5xx) is retried with the outbox's back-off for about
a day; a refusal (HTTP 4xx, a redirect) is final at once. Each request carries an
``Idempotency-Key`` header derived from the entry, the same on every retry, so an endpoint
can drop a repeat (a crash right after the company answered sends the request again).

The ambassadors are told the truth as it happens, in their channel: when the first attempt
fails (and that it will be retried), then whether it went out after all or finally failed.
The webhook URL is a secret: it is read from the configuration at delivery time (it is in
no outbox payload), and every failure is named by the endpoint's host only
(`bot.webhook`). It needs aiohttp (installed with the ``slack`` extra, or on its own);
without it the bot refuses to escalate to a webhook and says so, rather than dropping the
hand-over silently.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from bot.cog import Services
from bot.commands import format_duration
from bot.delivery import RETRY_DELAYS, Outcome, Pending, Then
from bot.effects import Attempt, Call, Post
from bot.errors import PlatformError, PlatformUnavailable, UserError
from bot.model import ChannelRef, Community, Member
from bot.outgoing import Field, Link, Mention, OutgoingMessage, Rich, rich
from bot.text import defuse_mass_mentions, excerpt
from bot.webhook import WebhookError, post_to_webhook, webhook_host
from cogs.tickets.announce import Announcer, Notices
from cogs.tickets.config import TicketsConfig
from storage.database import Transaction
from storage.jobs import Job
from storage.tickets import Ticket

log = logging.getLogger(__name__)

# The outbox call that POSTs an escalation, and its continuation.
WEBHOOK_CALL = "tickets.company_webhook"
WEBHOOK_DONE = "tickets.company-webhook-done"
# Older versions scheduled the webhook as a job of this kind; still handled, so such jobs
# left in a database are handed to the outbox.
KIND_WEBHOOK = "tickets.webhook"
# How long an unreachable endpoint is retried: the outbox's back-off, in all.
RETRY_WINDOW = format_duration(
    timedelta(minutes=sum(RETRY_DELAYS, timedelta()).total_seconds() // 60)
)
# Discord webhooks refuse "content" over 2,000 characters; Slack's limit is higher.
WEBHOOK_TEXT_LIMIT = 1900
DETAILS_FOR_COMPANY = 800


def aiohttp_available() -> bool:
    return importlib.util.find_spec("aiohttp") is not None


def idempotency_key(entry_key: str) -> str:
    """The ``Idempotency-Key`` header of an escalation: the same on every try of one
    escalation, different for every escalation, and saying nothing about the community."""
    return hashlib.sha256(f"botschafter:{entry_key}".encode()).hexdigest()[:32]


class WebhookUnset(PlatformError):
    """The webhook was removed from the configuration before the escalation went out."""


class CompanyRefused(PlatformError):
    """The company's webhook refused the escalation; `cause` says how, for the ambassadors'
    notice in their language."""

    def __init__(self, cause: WebhookError) -> None:
        super().__init__(str(cause))
        self.cause = cause


class CompanyUnreachable(PlatformUnavailable):
    """The company's webhook did not take the escalation this time; the outbox retries."""

    def __init__(self, cause: WebhookError) -> None:
        super().__init__(str(cause))
        self.cause = cause


@dataclass(frozen=True, slots=True)
class HandOver:
    """What an escalation reached: the channel summary (None: no company channel) and
    whether a webhook delivery was queued, whose outcome the ambassadors hear later."""

    posted: bool | None
    webhook_queued: bool
    summary_queued: bool = False  # an outage: the outbox posts it once the channel works
    repeated: bool = False  # the same escalation of a moment ago: nothing was done again

    @property
    def reply_key(self) -> str:
        """The ambassador's reply: never "went out" for what has not gone out yet."""
        if self.repeated:
            return "tickets.reply.escalation_repeated"
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

    async def call_webhook(
        self, notices: Notices, ticket: Ticket, by: Member, note: str
    ) -> list[Pending]:
        """Write the webhook call with the escalation, if a webhook is set; the delivery
        loop carries it out (the ambassador's answer does not wait on the company)."""
        community = Community.from_key(ticket.community)
        config = await self._services.config.get(community)
        if not config.section("tickets", TicketsConfig).company_webhook:
            return []
        return [await self._write_call(notices, ticket.community, webhook_body(ticket, by, note))]

    async def _write_call(self, notices: Notices, community: str, body: dict[str, Any]) -> Pending:
        key = notices.next_key()
        data = {"community": community, "number": int(body["ticket"]["number"]), "key": key}
        return await notices.add(
            Call(Community.from_key(community), WEBHOOK_CALL, {**data, "body": body}),
            key=key,
            then=Then(WEBHOOK_DONE, data),
            now=False,
        )

    async def hand_over(
        self, ticket: Ticket, summary: list[Pending], webhook: list[Pending]
    ) -> HandOver:
        """After the escalation committed: what became of the summary, and whether a
        webhook call is on its way."""
        posted: bool | None = None
        queued_summary = False
        for outcome in await self._services.outbox.deliver(*summary):
            posted = outcome.delivered
            queued_summary = outcome.queued
            if outcome.error is not None:
                log.warning(
                    "ticket %s #%d: company post failed: %s",
                    ticket.community,
                    ticket.number,
                    outcome.error,
                )
        return HandOver(posted, bool(webhook), queued_summary)

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

    # -- delivery -----------------------------------------------------------------------------

    async def deliver_webhook(self, data: dict[str, Any], attempt: Attempt) -> None:
        """POST the escalation (the outbox's `Call`). An outage raises `PlatformUnavailable`
        for the outbox to retry, after telling the ambassadors the first time; a refusal
        raises a final `PlatformError`. The log line of each attempt is the outbox's."""
        community = Community.from_key(str(data["community"]))
        url = await self._url(community)
        if url is None:
            raise WebhookUnset("no company webhook is set any more")
        headers = {"Idempotency-Key": idempotency_key(attempt.key)}
        try:
            await post_to_webhook(url, data["body"], headers)
        except WebhookError as error:
            if error.permanent:
                raise CompanyRefused(error) from None
            await self._tell_retrying(attempt.key, community, int(data["number"]), error)
            raise CompanyUnreachable(error) from None

    async def webhook_done(self, tx: Transaction, outcome: Outcome, data: dict[str, Any]) -> None:
        """The escalation reached the company, or will not: the ambassadors hear which
        (nothing more when it went out at the first try: the command's answer said so)."""
        community = Community.from_key(str(data["community"]))
        number = int(data["number"])
        tries = outcome.attempts
        if outcome.delivered:
            url = await self._url(community)
            host = webhook_host(url) if url is not None else "the company"
            log.info(
                "ticket %s #%d: escalation delivered to %s (attempt %d)",
                community.key,
                number,
                host,
                tries,
            )
            if tries > 1:
                await self._tell(tx, data, "webhook_delivered", attempts=tries)
        elif isinstance(outcome.error, WebhookUnset):
            await self._tell(tx, data, "webhook_unset")
        else:
            key = "webhook_failed" if tries > 1 else "webhook_refused"
            await self._tell(tx, data, key, attempts=tries, error=outcome.error)

    async def hand_over_job(self, job: Job) -> None:
        """A webhook job left by an older version: write its call to the outbox."""
        community = Community.from_key(job.community)
        notices = await self._announcer.notices(community)
        async with self._services.db.transaction() as tx:
            notices.begin(tx, f"{job.key}:call")
            await self._write_call(notices, job.community, job.payload["body"])

    async def _url(self, community: Community) -> Any:
        """The webhook URL (a `SecretStr`), read when it is needed, or None."""
        config = await self._services.config.get(community)
        return config.section("tickets", TicketsConfig).company_webhook or None

    async def _tell_retrying(
        self, entry_key: str, community: Community, number: int, error: WebhookError
    ) -> None:
        """The first failure of an escalation, told once: later failures write the same
        key, which adds nothing."""
        notices = await self._announcer.notices(community)
        text = self._services.i18n.t(
            "tickets.company.webhook_retrying",
            notices.locale,
            number=number,
            error=self._what_failed(error, notices.locale),
            within=RETRY_WINDOW,
        )
        async with self._services.db.transaction() as tx:
            notices.begin(tx, f"{entry_key}:retrying")
            await self._announcer.to_ambassadors(notices, community, text)
        await notices.deliver()

    async def _tell(
        self,
        tx: Transaction,
        data: dict[str, Any],
        key: str,
        *,
        error: PlatformError | None = None,
        **values: str | int,
    ) -> None:
        """Tell the ambassadors the outcome, under a key derived from the call's (once)."""
        community = Community.from_key(str(data["community"]))
        notices = await self._announcer.notices(community)
        notices.begin(tx, f"{data['key']}:{key}")
        if error is not None:
            cause = getattr(error, "cause", None)
            failed = cause if isinstance(cause, WebhookError) else error
            values["error"] = self._what_failed(failed, notices.locale)
        text = self._services.i18n.t(
            f"tickets.company.{key}", notices.locale, number=int(data["number"]), **values
        )
        await self._announcer.to_ambassadors(notices, community, text)

    def _what_failed(self, error: Exception, locale: str) -> str:
        """How the call failed, in the ambassadors' language ("hooks.example.com antwortete
        mit HTTP 503"); an error from elsewhere (a restart, an older version) as logged."""
        if not isinstance(error, WebhookError):
            return str(error)
        return self._services.i18n.text(
            f"tickets.company.why.{error.why}", locale, host=error.host, **error.details
        )


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
