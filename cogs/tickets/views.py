"""Read-only views: /ticket list (one community or the whole team) and /ticket show.

The cross-platform queue ("everywhere") lists the tickets of every community this bot's
database serves, or of those sharing the ``[tickets] team`` name, each line with its
platform and the tracker's permalink, so one ambassador team works one queue.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.cog import Services
from bot.effects import Post
from bot.errors import UserError
from bot.languages import known_language, known_languages, shown_language
from bot.model import Community
from bot.outgoing import Link, OutgoingMessage, Rich, join, rich
from bot.text import excerpt
from cogs.tickets.config import TicketsConfig
from cogs.tickets.followups import ping_key
from cogs.tickets.render import TicketRenderer, when
from storage.ticket_jobs import FOLLOW_UP, job_key_prefix
from storage.ticket_queue import Sort, TicketQuery, TicketQueue
from storage.tickets import Status, Ticket, TicketRepository

# /ticket show lists this many history entries, newest last, and says how many older ones
# it leaves out: fifteen lines fit one Discord message with room for the tracker's facts.
HISTORY_SHOWN = 15
DETAILS_SHOWN = 1000


@dataclass(frozen=True, slots=True)
class ListRequest:
    status: str | None = None  # a Status value, "all", or None for the open queue
    opener_id: str | None = None
    owner_id: str | None = None
    category: str | None = None
    language: str | None = None
    sort: Sort = Sort.VOTES
    page: int = 1
    everywhere: bool = False
    viewer_id: str | None = None  # a member, not an ambassador: private tickets but theirs hidden


class TicketViews:
    def __init__(
        self,
        services: Services,
        queue: TicketQueue,
        tickets: TicketRepository,
        renderer: TicketRenderer,
    ) -> None:
        self._services = services
        self._queue = queue
        self._tickets = tickets
        self._renderer = renderer

    async def team_communities(self, community: Community) -> tuple[str, ...]:
        """Communities in one queue with this one: same team name, or all if it has none."""
        team = (await self._policy(community)).team
        keys = set(await self._queue.communities()) | {community.key}
        if not team:
            return tuple(sorted(keys))
        mates = [
            k for k in sorted(keys) if (await self._policy(Community.from_key(k))).team == team
        ]
        return tuple(mates)

    async def list_page(
        self, community: Community, locale: str, request: ListRequest
    ) -> OutgoingMessage:
        policy = await self._policy(community)
        communities = (
            await self.team_communities(community) if request.everywhere else (community.key,)
        )
        status = None if request.status in (None, "all") else Status(request.status)
        page = await self._queue.page(
            TicketQuery(
                communities=communities,
                status=status,
                any_status=request.status == "all",
                opener_id=request.opener_id,
                owner_id=request.owner_id,
                category=request.category,
                language=request.language,
                sort=request.sort,
                limit=policy.page_size,
                offset=(request.page - 1) * policy.page_size,
                viewer_id=request.viewer_id,
            )
        )
        t = self._services.i18n.t
        pages = max(1, -(-page.total // policy.page_size))
        if not page.tickets:
            self._check_category(request.category, policy, locale)
            key = "tickets.list.empty" if request.page == 1 else "tickets.list.past_end"
            return OutgoingMessage(text=t(key, locale, pages=pages))
        now = self._services.clock.now()
        lines = [
            self._renderer.list_line(ticket, locale, now, platform=request.everywhere)
            for ticket in page.tickets
        ]
        if request.page < pages:
            lines.append(t("tickets.list.more", locale, page=request.page + 1))
        title_key = "tickets.list.title_everywhere" if request.everywhere else "tickets.list.title"
        return OutgoingMessage(
            title=t(title_key, locale, total=page.total, page=request.page, pages=pages),
            text=join(lines),
        )

    async def show(self, ticket: Ticket, locale: str) -> OutgoingMessage:
        """The tracker's facts plus details and history, privately."""
        now = self._services.clock.now()
        config = await self._services.config.get(Community.from_key(ticket.community))
        language = shown_language(config.community, ticket.language)
        tracker = self._renderer.tracker(ticket, locale, now, language=language)
        t = self._services.i18n.t
        parts: list[Rich] = []
        if ticket.details:
            parts.append(rich(excerpt(ticket.details, DETAILS_SHOWN)))
        if ticket.tracker_url:
            parts.append(rich(t("tickets.show.link", locale), " ", Link(ticket.tracker_url)))
        parts.append(t("tickets.show.history", locale))
        history = await self._tickets.history(ticket.community, ticket.number, HISTORY_SHOWN)
        older = await self._tickets.history_count(ticket.community, ticket.number) - len(history)
        if older > 0:
            parts.append(t("tickets.show.older", locale, count=older))
        parts += [self._renderer.history_line(entry, locale) for entry in history]
        parts += await self._waiting(ticket, locale)
        return OutgoingMessage(title=tracker.title, fields=tracker.fields, text=join(parts))

    async def _waiting(self, ticket: Ticket, locale: str) -> list[Rich]:
        """Posts decided but not out yet (the platform is unreachable): shown as waiting,
        since the history records them only once they are posted."""
        outbox = self._services.outbox
        lines: list[Rich] = []
        for key, prefix in (
            ("waiting_follow_up", job_key_prefix(ticket.community, ticket.number, FOLLOW_UP)),
            ("waiting_ping", ping_key(ticket)),
        ):
            for entry in await outbox.waiting(prefix):
                if entry.kind == Post.kind:
                    at = when(entry.next_try, locale)
                    lines.append(self._services.i18n.t(f"tickets.show.{key}", locale, at=at))
        return lines

    def language(self, typed: str | None, locale: str) -> str | None:
        """A typed ``language:`` filter as a catalog language (``DE`` -> ``de``); one the
        bot does not speak is refused rather than listing nothing."""
        if typed is None:
            return None
        code = known_language(typed)
        if code is not None:
            return code
        raise UserError(
            self._services.i18n.text(
                "tickets.error.language_unknown",
                locale,
                language=excerpt(typed, 12),
                known=known_languages(),
            )
        )

    def _check_category(self, category: str | None, policy: TicketsConfig, locale: str) -> None:
        """An empty list for a category that is not configured is most likely a typo: say
        so, with the valid ones. (A category dropped from the configuration still lists
        its old tickets.)"""
        if category is None or category in policy.categories:
            return
        i18n = self._services.i18n
        if not policy.categories:
            raise UserError(i18n.text("tickets.error.no_categories", locale))
        raise UserError(
            i18n.text(
                "tickets.error.category_unknown",
                locale,
                category=category,
                categories=", ".join(policy.categories),
            )
        )

    async def _policy(self, community: Community) -> TicketsConfig:
        return (await self._services.config.get(community)).section("tickets", TicketsConfig)
