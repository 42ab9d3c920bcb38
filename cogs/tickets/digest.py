"""The weekly digest: what came in, what got done, who owes an update, "you asked, we did".

One durable job per community and week, keyed by the week's date, so it fires once. The
digest is an outbox entry keyed by the job, so a re-run after a crash adds nothing and an
outage is retried by the outbox; a post the platform refused (a missing permission) is
written again a minute later, a few times (`refused`); the period is recorded as posted
only once the platform took it. After downtime the missed week is posted once and the
schedule moves on.
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Any

from bot import formatting
from bot.cog import Services
from bot.delivery import Outcome as Delivered
from bot.effects import Post
from bot.model import Community
from bot.outgoing import Link, Mention, OutgoingMessage, Rich, join
from bot.signin import insights_path
from bot.text import excerpt
from cogs.tickets.announce import Announcer
from cogs.tickets.config import WEEKDAYS, DigestConfig, TicketsConfig
from cogs.tickets.refused import post_again
from storage.database import Transaction
from storage.jobs import Job
from storage.ticket_queue import TicketQueue
from storage.ticket_reports import DigestFigures, TicketReports, mark_digest_posted
from storage.tickets import Outcome

log = logging.getLogger(__name__)

KIND_DIGEST = "tickets.digest"
DIGEST_POSTED = "tickets.digest-posted"
PERIOD = timedelta(days=7)
# Timestamps are stored to the microsecond: the smallest step past "now".
STORED_PRECISION = timedelta(microseconds=1)
# A digest is read in a minute; beyond these, lines say "and N more".
TOP_VOTED = 5
DONE_SHOWN = 10
TITLE_IN_DIGEST = 70
RESOLUTION_IN_DIGEST = 140


def next_digest_at(after: datetime, config: DigestConfig) -> datetime:
    """The first configured weekday and local time strictly after `after`, in UTC."""
    zone = config.zone
    local = after.astimezone(zone)
    ahead = (WEEKDAYS.index(config.day) - local.weekday()) % 7
    day = local.date() + timedelta(days=ahead)
    candidate = datetime.combine(day, config.local_time, tzinfo=zone)
    if candidate <= local:
        candidate = datetime.combine(day + PERIOD, config.local_time, tzinfo=zone)
    return candidate.astimezone(UTC)


def period_of(due: datetime, config: DigestConfig) -> str:
    """The digest's label and idempotency: its local date, e.g. ``2026-01-12``."""
    return due.astimezone(config.zone).date().isoformat()


def period_due(period: str, config: DigestConfig) -> datetime | None:
    """When the digest of `period` is due under the current configuration; None if its date
    is no longer the digest day. A retried job runs later than this, the window does not."""
    day = date.fromisoformat(period)
    if WEEKDAYS[day.weekday()] != config.day:
        return None
    return datetime.combine(day, config.local_time, tzinfo=config.zone).astimezone(UTC)


def duration_text(value: timedelta | None, locale: str) -> str:
    """A median or a wait to the minute (``2d20h30m``; German ``2 Tg., 20 Std. und 30 Min.``);
    under a minute ``<1m``."""
    if value is None:
        return "—"
    minutes = int(value.total_seconds()) // 60
    if not minutes:
        return f"<{formatting.duration(timedelta(minutes=1), locale)}"
    return formatting.duration(timedelta(minutes=minutes), locale)


class Digests:
    def __init__(
        self,
        services: Services,
        reports: TicketReports,
        queue: TicketQueue,
        announcer: Announcer,
    ) -> None:
        self._services = services
        self._reports = reports
        self._queue = queue
        self._announcer = announcer

    async def _config(self, community: Community) -> TicketsConfig:
        effective = await self._services.config.get(community)
        return effective.section("tickets", TicketsConfig)

    async def ensure(
        self, community: Community, after: datetime | None = None, *, tx: Transaction | None = None
    ) -> None:
        """Schedule the community's next digest (moving it if the configuration changed);
        in `tx` when a change calls for it (a community's first ticket)."""
        config = (await self._config(community)).digest
        if not config.enabled:
            return
        due = next_digest_at(after or self._services.clock.now(), config)
        period = period_of(due, config)
        await self._services.scheduler.schedule(
            community,
            KIND_DIGEST,
            due,
            f"ticket-digest:{community.key}:{period}",
            {"period": period},
            tx=tx,
        )

    async def ensure_all(self) -> None:
        for key in await self._queue.communities():
            await self.ensure(Community.from_key(key))

    async def fire(self, job: Job) -> None:
        community = Community.from_key(job.community)
        config = (await self._config(community)).digest
        if not config.enabled:
            return
        now = self._services.clock.now()
        due = period_due(job.payload["period"], config)
        if due is None or due > now:
            await self.ensure(community)  # the day or time changed since this was scheduled
            return
        channel_name = (
            config.channel
            or (await self._services.config.get(community)).community.channels.ambassadors
        )
        channel = await self._announcer.find_channel(community, channel_name)
        if channel is None:
            log.warning("%s: digest channel %r not found", community.key, channel_name)
            await self.ensure(community, after=max(now, due))
            return
        figures = await self._reports.digest(community.key, due - PERIOD, due)
        teams = await self._language_digests(community, config, due)
        notices = await self._announcer.notices(community)
        period = job.payload["period"]
        async with self._services.db.transaction() as tx:
            await self.ensure(community, after=max(now, due), tx=tx)
            notices.begin(tx, f"{job.key}:post")
            await self._announcer.post_retried(
                notices,
                Post(channel, self.render(figures, notices.locale, community), allow_pings=False),
                DIGEST_POSTED,
                {"community": community.key, "period": period},
            )
            for post in teams:
                await self._announcer.post_retried(notices, post)
        await notices.deliver()

    async def _language_digests(
        self, community: Community, config: DigestConfig, due: datetime
    ) -> list[Post]:
        """One digest per language channel (``[tickets.digest] languages``): that
        language's tickets only, in that language. A missing channel is skipped (the
        community check reports it); the whole community's digest is posted as ever."""
        posts: list[Post] = []
        for language, name in config.languages.items():
            channel = await self._announcer.find_channel(community, name)
            if channel is None:
                log.warning("%s: %s digest channel %r not found", community.key, language, name)
                continue
            figures = await self._reports.digest(
                community.key, due - PERIOD, due, language=language
            )
            message = self.render(figures, language, community)
            posts.append(Post(channel, message, allow_pings=False))
        return posts

    async def posted(self, tx: Transaction, outcome: Delivered, data: dict[str, Any]) -> None:
        """The week's digest went out only once the platform took it; a refused one is
        written again a little later."""
        if outcome.delivered:
            now = self._services.clock.now()
            await mark_digest_posted(tx, data["community"], data["period"], now)
            return
        log.warning(
            "%s: digest %s not posted: %s", data["community"], data["period"], outcome.error
        )
        await post_again(self._services.outbox, tx, outcome, data, DIGEST_POSTED)

    async def preview(
        self, community: Community, locale: str, language: str | None = None
    ) -> OutgoingMessage:
        """The digest for the seven days up to and including now, for an ambassador who asks;
        with `language`, of the tickets in that language only."""
        end = self._services.clock.now() + STORED_PRECISION  # the window's end is exclusive
        figures = await self._reports.digest(community.key, end - PERIOD, end, language=language)
        return self.render(figures, locale, community)

    def render(
        self, figures: DigestFigures, locale: str, community: Community | None = None
    ) -> OutgoingMessage:
        """The digest; with `community`, a link to its insights pages where the bot serves
        web pages (WEB_PUBLIC_URL, or the local address in local mode)."""
        t = self._services.i18n.t
        lines: list[Rich] = [
            self._counts(figures, locale),
            self._backlog(figures, locale),
            t(
                "tickets.digest.medians",
                locale,
                first_response=duration_text(figures.median_first_response, locale),
                resolution=duration_text(figures.median_resolution, locale),
            ),
            t("tickets.digest.top_title", locale),
        ]
        lines += [
            t(
                "tickets.digest.top_line",
                locale,
                number=ticket.number,
                title=excerpt(ticket.title, TITLE_IN_DIGEST),
                votes=ticket.vote_count,
            )
            for ticket in figures.top_voted[:TOP_VOTED]
        ] or [t("tickets.digest.none", locale)]
        lines.append(t("tickets.digest.overdue_title", locale))
        lines += [
            t(
                "tickets.digest.overdue_line",
                locale,
                owner=Mention(entry.owner_id, entry.owner_name),
                count=len(entry.numbers),
                tickets=", ".join(f"#{n}" for n in entry.numbers),
            )
            for entry in figures.overdue
        ] or [t("tickets.digest.none", locale)]
        lines.append(t("tickets.digest.done_title", locale))
        lines += self._done_lines(figures, locale) or [t("tickets.digest.none", locale)]
        if community is not None and self._services.board_url:
            link = Link(f"{self._services.board_url}{insights_path(community)}")
            lines.append(t("tickets.digest.insights", locale, link=link))
        start = formatting.day(figures.start.date(), locale)
        end = formatting.day((figures.end - STORED_PRECISION).date(), locale)
        return OutgoingMessage(
            title=t("tickets.digest.title", locale, start=start, end=end), text=join(lines)
        )

    def _counts(self, figures: DigestFigures, locale: str) -> Rich:
        """Resolved counts every ticket closed with a public answer; when some of them were
        declined or duplicates, the line says how many, so "resolved" never overstates
        what was done."""
        t = self._services.i18n.t
        outcomes = Counter(ticket.outcome or Outcome.DONE for ticket in figures.resolved)
        if outcomes.keys() <= {Outcome.DONE}:
            return t(
                "tickets.digest.counts",
                locale,
                opened=figures.opened,
                resolved=len(figures.resolved),
            )
        text = self._services.i18n.text
        parts = [
            text(f"tickets.digest.outcome_{outcome}", locale, count=outcomes[outcome])
            for outcome in Outcome
            if outcomes[outcome]
        ]
        return t(
            "tickets.digest.counts_outcomes",
            locale,
            opened=figures.opened,
            resolved=len(figures.resolved),
            outcomes=", ".join(parts),
        )

    def _backlog(self, figures: DigestFigures, locale: str) -> Rich:
        """The queue as it stands: open (private ones only counted), unclaimed, overdue
        promises and who has waited longest; a private ticket is never named."""
        t, text, backlog = self._services.i18n.t, self._services.i18n.text, figures.backlog
        oldest = text("tickets.digest.none_waiting", locale)
        if backlog.oldest is not None:
            waited = duration_text(figures.end - backlog.oldest.opened_at, locale)
            if backlog.oldest.is_public:
                title = excerpt(backlog.oldest.title, TITLE_IN_DIGEST)
                oldest = text(
                    "tickets.digest.oldest",
                    locale,
                    number=backlog.oldest.number,
                    title=title,
                    waited=waited,
                )
            else:
                oldest = text("tickets.digest.oldest_private", locale, waited=waited)
        return t(
            "tickets.digest.backlog_private" if backlog.private else "tickets.digest.backlog",
            locale,
            open=backlog.open,
            private=backlog.private,
            unclaimed=backlog.unclaimed,
            overdue=backlog.overdue,
            oldest=oldest,
        )

    def _done_lines(self, figures: DigestFigures, locale: str) -> list[Rich]:
        """ "You asked, we did": only what was done, not what was declined or a duplicate."""
        t = self._services.i18n.t
        done = [
            ticket
            for ticket in figures.resolved
            if ticket.outcome in (None, Outcome.DONE) and ticket.is_public
        ]
        lines = [
            t(
                "tickets.digest.done_line",
                locale,
                number=ticket.number,
                title=excerpt(ticket.title, TITLE_IN_DIGEST),
                resolution=excerpt(ticket.resolution, RESOLUTION_IN_DIGEST),
            )
            for ticket in done[:DONE_SHOWN]
        ]
        hidden = len(done) - DONE_SHOWN
        if hidden > 0:
            lines.append(t("tickets.digest.more", locale, count=hidden))
        return lines
