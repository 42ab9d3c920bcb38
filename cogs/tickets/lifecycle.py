"""The ticket lifecycle: open → claimed → waiting on company → resolved; withdrawn by the
opener; reopened; merged into another ticket.

Each step is ONE transaction: the state change, its history row, its announcements as
outbox entries (the thread post, the tracker edit, private notes to opener and watchers, the
thread's archiving), keyed by that history row so nothing is lost or done twice, and the
ticket's jobs moved, armed or cancelled; the entries are delivered once it has committed.
Who may do what is decided here, server-side, inside the transaction: the dispatcher lets
only ambassadors reach claim, update, escalate, resolve and merge; withdraw and reopen
check that the member opened the ticket (or, for reopen, is an ambassador).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from bot.cog import Services
from bot.commands import Permission
from bot.config import CommunitySettings
from bot.delivery import Pending
from bot.languages import channel_language, known_language, known_languages, language_team
from bot.model import ChannelRef, Community, Member, UserRef
from bot.outgoing import Link, Markup, Mention, Rich, Segment, rich
from bot.permissions import has_permission
from bot.text import excerpt
from cogs.tickets.announce import Announcer, Notices
from cogs.tickets.company import Company, HandOver
from cogs.tickets.config import TicketsConfig
from cogs.tickets.digest import Digests
from cogs.tickets.followups import FollowUps
from cogs.tickets.private_notes import Recipient
from cogs.tickets.refusals import Refusals
from cogs.tickets.render import age, when
from storage.database import Transaction
from storage.member_languages import MemberLanguages
from storage.ticket_votes import SameTicket, TicketVoteRepository, recipients
from storage.tickets import (
    ACTIVE,
    CLOSED,
    UNLIMITED,
    Actor,
    Changes,
    CoolingDown,
    LimitReached,
    NewTicket,
    OpenLimits,
    Outcome,
    Plan,
    Status,
    Ticket,
    TicketRepository,
)

log = logging.getLogger(__name__)

# Writes a step's announcements and moves its jobs, in its transaction:
# (notices, tx, ticket before, after).
Announce = Callable[[Notices, Transaction, Ticket, Ticket], Awaitable[None]]

# A title is a thread name on Discord (100 characters with "#N ") and one line in lists.
TITLE_MAX = 90
# Details, notes and resolutions are posted as one message with the bot's framing; Discord
# allows 2,000 characters per message.
DETAILS_MAX = 1800
NOTE_MAX = 1500
# An update or escalation with the same note (and promise) by the same ambassador this soon
# after the last is the same command run again: the ambassador saw no answer (the bot
# restarted meanwhile, the platform showed "did not respond") and retried. It is confirmed,
# not posted twice. Ten minutes covers a restart and a retry, and no real second update
# repeats the first word for word that soon.
REPEAT_WINDOW = timedelta(minutes=10)
# Declining needs a reason in a sentence, not a bare "no": the member asked in public and
# is owed an answer they can understand (e.g. "Not planned: the app stays free of ads.").
DECLINE_REASON_MIN = 20
# The catalog key of each outcome's thread line, notification and reply.
OUTCOME_KEY = {
    Outcome.DONE: "resolved",
    Outcome.DECLINED: "declined",
    Outcome.DUPLICATE: "duplicate",
}


@dataclass(frozen=True, slots=True)
class Escalation:
    ticket: Ticket
    hand_over: HandOver


@dataclass(frozen=True, slots=True)
class TicketEdit:
    """What `/ticket edit` asks to change; None leaves a field as it is."""

    title: str | None = None
    details: str | None = None
    category: str | None = None

    @property
    def empty(self) -> bool:
        return self.title is None and self.details is None and self.category is None


def edit_note(wanted: dict[str, object]) -> str:
    """The history note of an edit: the new values, so the history tells what changed."""
    return "; ".join(f"{name}: {value or '—'}" for name, value in wanted.items())[:NOTE_MAX]


@dataclass(frozen=True, slots=True)
class Update:
    """A public update and the ambassador's answer: posted, waiting for the platform, or
    a repeat of the one just made."""

    ticket: Ticket
    reply_key: str


class Repeated(Exception):
    """The command repeats the ticket's last change (see `REPEAT_WINDOW`)."""

    def __init__(self, ticket: Ticket) -> None:
        super().__init__(f"ticket #{ticket.number} was just changed the same way")
        self.ticket = ticket


def repeats(ticket: Ticket, member: Member, note: str, now: datetime) -> bool:
    """Whether `member`'s public note repeats the ticket's last one of a moment ago."""
    return (
        ticket.owner_id == member.id
        and ticket.last_public_note == note
        and ticket.last_public_update_at is not None
        and now - ticket.last_public_update_at <= REPEAT_WINDOW
    )


def _same_promise(stored: datetime | None, asked: datetime | None) -> bool:
    if stored is None or asked is None:
        return stored is asked
    return abs(stored - asked) <= REPEAT_WINDOW


def actor(member: Member) -> Actor:
    return Actor(member.id, member.shown_name)


def ownership(member: Member, ticket: Ticket, now: datetime) -> dict[str, object]:
    """An ambassador acting on an unowned ticket takes it on."""
    if ticket.owner_id is not None:
        return {}
    return {"owner_id": member.id, "owner_name": member.shown_name, "claimed_at": now}


class Lifecycle:
    def __init__(
        self,
        services: Services,
        tickets: TicketRepository,
        votes: TicketVoteRepository,
        announcer: Announcer,
        followups: FollowUps,
        company: Company,
        digests: Digests,
        refusals: Refusals,
    ) -> None:
        self._services = services
        self._tickets = tickets
        self._votes = votes
        self._declared = MemberLanguages(services.db)
        self._announcer = announcer
        self._followups = followups
        self._company = company
        self._digests = digests
        self._refuse = refusals

    # -- opening --------------------------------------------------------------------------

    async def open(
        self,
        member: Member,
        locale: str,
        title: str,
        details: str,
        category: str | None,
        *,
        private: bool = False,
        channel: ChannelRef | None = None,
        language: str | None = None,
    ) -> Ticket:
        """Store a ticket and write its tracker: in the tickets channel, or for a private
        one in the ambassadors' channel (which only ambassadors read; the opener hears of
        every post there by direct message, see `Announcer.post_message`). The ticket's
        language is `language` (typed by the opener), else the channel's it was opened in,
        else the opener's; its team is asked in the opening post (`Announcer.post_tracker`)."""
        community = member.community
        config = await self._services.config.get(community)
        policy = config.section("tickets", TicketsConfig)
        new = self._new_ticket(member, locale, title, details, category, policy, private)
        new = await self._screened(member, locale, new, channel)
        language = await self._language(member, config.community, locale, language, channel)
        new = replace(new, language=language)
        team = await language_team(config.community, language, self._declared, community.key)
        if private:
            channel = config.community.channels.ambassadors
            tickets_channel = await self._announcer.find_channel(community, channel)
            if tickets_channel is None:
                raise self._refuse.error(locale, "no_private_channel", channel=channel or "—")
        else:
            channel = config.community.channels.tickets
            tickets_channel = await self._announcer.find_channel(community, channel)
            if tickets_channel is None:
                raise self._refuse.error(locale, "no_tickets_channel", channel=channel or "—")
        notices = await self._announcer.notices(community)
        now = self._services.clock.now()
        limits = UNLIMITED
        if not has_permission(member, Permission.AMBASSADOR, config.community.roles):
            cooldown = policy.cooldown
            limits = OpenLimits(policy.max_open_per_member, now - cooldown if cooldown else None)

        async def announce(tx: Transaction, ticket: Ticket, _: Ticket, history: int) -> None:
            notices.begin(tx, f"ticket:{community.key}:{ticket.number}:{history}")
            await self._announcer.post_tracker(notices, ticket, tickets_channel, team=team)
            await self._followups.arm_first_response(tx, ticket)
            await self._followups.arm(tx, ticket)
            await self._digests.ensure(community, tx=tx)

        try:
            ticket = await self._tickets.open(community.key, new, now, limits, announce)
        except LimitReached:
            raise self._refuse.error(locale, "limit", max=policy.max_open_per_member) from None
        except CoolingDown as cooling:
            wait = cooling.last_opened_at + (policy.cooldown or timedelta()) - now
            raise self._refuse.error(locale, "cooldown", wait=age(wait, locale)) from None
        await notices.deliver()
        return await self._tickets.get(community.key, ticket.number) or ticket

    async def _language(
        self,
        member: Member,
        settings: CommunitySettings,
        locale: str,
        typed: str | None,
        channel: ChannelRef | None,
    ) -> str:
        """The ticket's language: typed (``language:de``; one the bot does not speak is
        refused), else the channel's, else the opener's (`locale`, which the community
        default already filled in)."""
        if typed is not None:
            code = known_language(typed)
            if code is None:
                raise self._refuse.error(
                    locale, "language_unknown", language=excerpt(typed, 12), known=known_languages()
                )
            return code
        platform = self._services.platform(member.community)
        return await channel_language(settings, platform, channel) or locale

    async def _screened(
        self, member: Member, locale: str, new: NewTicket, channel: ChannelRef | None
    ) -> NewTicket:
        """The title and details as the community's rules let the bot post them: a breach
        is refused (and flagged) before anything is stored, a secret cut out."""
        screen = self._services.screen
        title = await screen.allowed(member, locale, "ticket_title", new.title, channel)
        details = await screen.allowed(member, locale, "ticket_details", new.details, channel)
        return replace(new, title=title, details=details)

    async def refuse_if_limited(self, member: Member, locale: str) -> None:
        """Refuse now what `open` would refuse for the opener's open tickets or cooldown,
        so a member is not handed a form whose ticket is then refused and lost. `open`
        checks again in its own transaction (two quick opens)."""
        config = await self._services.config.get(member.community)
        if has_permission(member, Permission.AMBASSADOR, config.community.roles):
            return
        policy = config.section("tickets", TicketsConfig)
        now = self._services.clock.now()
        cooldown = policy.cooldown
        limits = OpenLimits(policy.max_open_per_member, now - cooldown if cooldown else None)
        try:
            await self._tickets.check_limits(member.community.key, member.id, limits)
        except LimitReached:
            raise self._refuse.error(locale, "limit", max=policy.max_open_per_member) from None
        except CoolingDown as cooling:
            wait = cooling.last_opened_at + (cooldown or timedelta()) - now
            raise self._refuse.error(locale, "cooldown", wait=age(wait, locale)) from None

    def _new_ticket(
        self,
        member: Member,
        locale: str,
        title: str,
        details: str,
        category: str | None,
        policy: TicketsConfig,
        private: bool,
    ) -> NewTicket:
        return NewTicket(
            self._title(locale, title),
            self._details(locale, details),
            self._category(locale, category, policy),
            actor(member),
            member.locale,
            private,
        )

    def _title(self, locale: str, title: str) -> str:
        title = " ".join(title.split())
        if not title:
            raise self._refuse.error(locale, "title_missing")
        if len(title) > TITLE_MAX:
            raise self._refuse.error(locale, "title_long", length=len(title), max=TITLE_MAX)
        return title

    def _details(self, locale: str, details: str) -> str:
        details = details.strip()
        if len(details) > DETAILS_MAX:
            raise self._refuse.error(locale, "details_long", length=len(details), max=DETAILS_MAX)
        return details

    def _category(self, locale: str, category: str | None, policy: TicketsConfig) -> str:
        chosen = (category or "").strip().lower()
        if chosen and not policy.categories:
            raise self._refuse.error(locale, "no_categories")
        if chosen and chosen not in policy.categories:
            raise self._refuse.error(
                locale, "category_unknown", category=chosen, categories=", ".join(policy.categories)
            )
        return chosen

    # -- editing --------------------------------------------------------------------------

    async def edit(self, member: Member, locale: str, number: int, edit: TicketEdit) -> Ticket:
        """Change the title, details or category: the opener while nobody has claimed the
        ticket (an owner works from what was asked), or any ambassador. The history keeps
        what it was; the tracker shows what it is now."""
        if edit.empty:
            raise self._refuse.error(locale, "edit_nothing", number=number)
        config = await self._services.config.get(member.community)
        policy = config.section("tickets", TicketsConfig)
        ambassador = has_permission(member, Permission.AMBASSADOR, config.community.roles)
        wanted: dict[str, object] = {}
        if edit.title is not None:
            title = self._title(locale, edit.title)
            wanted["title"] = await self._services.screen.allowed(
                member, locale, "ticket_title", title
            )
        if edit.details is not None:
            details = self._details(locale, edit.details)
            wanted["details"] = await self._services.screen.allowed(
                member, locale, "ticket_details", details
            )
        if edit.category is not None:
            wanted["category"] = self._category(locale, edit.category, policy)
        changed: list[str] = []

        def plan(ticket: Ticket) -> Changes:
            if not ambassador and ticket.opener_id != member.id:
                raise self._refuse.error(locale, "not_opener_edit", number=ticket.number)
            if not ambassador and ticket.owner_id is not None:
                raise self._refuse.error(
                    locale, "edit_claimed", number=ticket.number, owner=ticket.owner_name or ""
                )
            updates = {k: v for k, v in wanted.items() if getattr(ticket, k) != v}
            if not updates:
                raise self._refuse.error(locale, "edit_unchanged", number=ticket.number)
            changed.extend(updates)
            return Changes(None, updates)

        async def announce(
            notices: Notices, tx: Transaction, before: Ticket, after: Ticket
        ) -> None:
            text = self._services.i18n.text
            fields = ", ".join(text(f"tickets.edit_field.{f}", notices.locale) for f in changed)
            await self._announcer.say(
                notices,
                after,
                "tickets.thread.edited",
                who=_who(member),
                number=number,
                fields=fields,
            )
            await self._announcer.refresh(notices, after)
            if "title" in changed:
                await self._announcer.rename_thread(notices, after)

        _, ticket = await self._change(
            member,
            locale,
            number,
            "edited",
            ACTIVE,
            plan,
            announce,
            edit_note(wanted),
            answers=False,
        )
        return ticket

    # -- ambassadors ----------------------------------------------------------------------

    async def claim(
        self, member: Member, locale: str, number: int, *, takeover: bool = False
    ) -> Ticket:
        """Become the owner. Taking over from another ambassador must be asked for, so of
        two ambassadors who claim at once the second is told instead of taking over."""
        now = self._services.clock.now()

        def plan(ticket: Ticket) -> Changes:
            if ticket.owner_id == member.id:
                raise self._refuse.error(locale, "already_yours", number=ticket.number)
            if ticket.owner_id is not None and not takeover:
                raise self._refuse.error(
                    locale, "owned", number=ticket.number, owner=ticket.owner_name or ""
                )
            status = Status.CLAIMED if ticket.status is Status.OPEN else None
            updates = {
                "owner_id": member.id,
                "owner_name": member.shown_name,
                "claimed_at": now,
                "last_public_update_at": now,
                "last_public_note": "",
            }
            return Changes(status, updates)

        async def announce(
            notices: Notices, tx: Transaction, before: Ticket, after: Ticket
        ) -> None:
            if before.owner_id is None:
                await self._announcer.say(
                    notices, after, "tickets.thread.claimed", owner=_who(member), number=number
                )
            else:
                await self._announcer.say(
                    notices,
                    after,
                    "tickets.thread.took_over",
                    owner=_who(member),
                    previous=Mention(before.owner_id, before.owner_name or ""),
                    number=number,
                )
            await self._announcer.refresh(notices, after)
            await self._after_public_change(tx, after)

        _, ticket = await self._change(member, locale, number, "claimed", ACTIVE, plan, announce)
        return ticket

    async def assign(self, member: Member, locale: str, number: int, target: UserRef) -> Ticket:
        """Make another ambassador the owner (or oneself); they are told privately."""
        community = member.community
        config = await self._services.config.get(community)
        assignee = await self._services.platform(community).fetch_member(target)
        if assignee is None:
            raise self._refuse.error(locale, "assign_unknown")
        if not has_permission(assignee, Permission.AMBASSADOR, config.community.roles):
            raise self._refuse.error(locale, "assign_not_ambassador", name=assignee.shown_name)
        now = self._services.clock.now()

        def plan(ticket: Ticket) -> Changes:
            if ticket.owner_id == assignee.id:
                raise self._refuse.error(
                    locale, "assign_already", number=ticket.number, name=assignee.shown_name
                )
            status = Status.CLAIMED if ticket.status is Status.OPEN else None
            updates = {
                "owner_id": assignee.id,
                "owner_name": assignee.shown_name,
                "claimed_at": now,
                "last_public_update_at": now,
                "last_public_note": "",
            }
            return Changes(status, updates)

        recipient = Recipient(assignee.id, assignee.shown_name, assignee.locale)

        async def announce(
            notices: Notices, tx: Transaction, before: Ticket, after: Ticket
        ) -> None:
            await self._announcer.say(
                notices,
                after,
                "tickets.thread.assigned",
                who=_who(member),
                owner=_who(assignee),
                number=number,
            )
            await self._announcer.refresh(notices, after)
            if assignee.id != member.id:
                await self._announcer.notify(
                    notices,
                    after,
                    [recipient],
                    "tickets.notify.assigned",
                    who=member.shown_name,
                    number=after.number,
                    title=after.title,
                    link=_link(after),
                )
            await self._after_public_change(tx, after)

        _, ticket = await self._change(
            member, locale, number, "assigned", ACTIVE, plan, announce, assignee.shown_name
        )
        return ticket

    async def update(
        self, member: Member, locale: str, number: int, note: str, next_in: timedelta | None
    ) -> Update:
        note = self._note(locale, note)
        note = await self._services.screen.allowed(member, locale, "ticket_update", note)
        now = self._services.clock.now()
        due = now + next_in if next_in is not None else None

        def plan(ticket: Ticket) -> Changes:
            if repeats(ticket, member, note, now) and _same_promise(ticket.next_update_due, due):
                raise Repeated(ticket)
            updates: dict[str, object] = {
                "last_public_update_at": now,
                "last_public_note": note,
                "next_update_due": due,
                **ownership(member, ticket, now),
            }
            if due is not None:
                updates["promise_seq"] = ticket.promise_seq + 1
            status = Status.CLAIMED if ticket.status is Status.OPEN else None
            return Changes(status, updates)

        async def announce(
            notices: Notices, tx: Transaction, before: Ticket, after: Ticket
        ) -> None:
            public = notices.locale
            promise: Rich = ()
            if due is not None:
                promise = rich(
                    Markup("\n"),
                    self._t(public, "tickets.thread.next_update", due=when(due, public)),
                )
            header = self._t(public, "tickets.thread.update", owner=_who(member), number=number)
            text = rich(header, Markup("\n"), note, promise)
            posts.append(await self._announcer.post(notices, after, text))
            await self._announcer.refresh(notices, after)
            await self._followups.drop_reminder(tx, before)
            await self._after_public_change(tx, after)

        posts: list[Pending | None] = []
        try:
            _, ticket = await self._change(
                member, locale, number, "updated", ACTIVE, plan, announce, note
            )
        except Repeated as repeated:
            return Update(repeated.ticket, "tickets.reply.update_repeated")
        outcomes = await self._services.outbox.deliver(*(p for p in posts if p is not None))
        posted = all(outcome.delivered for outcome in outcomes)
        return Update(ticket, "tickets.reply.updated" if posted else "tickets.reply.update_queued")

    async def escalate(self, member: Member, locale: str, number: int, note: str) -> Escalation:
        note = self._note(locale, note)
        await self._company.check_reachable(member.community, locale)
        now = self._services.clock.now()

        def plan(ticket: Ticket) -> Changes:
            if ticket.status is Status.WAITING and repeats(ticket, member, note, now):
                raise Repeated(ticket)
            updates = {
                "last_public_update_at": now,
                "last_public_note": note,
                "next_update_due": None,  # this public update is the one that was promised
                **ownership(member, ticket, now),
            }
            return Changes(Status.WAITING, updates)

        company = await self._company.channel(member.community)
        summary: list[Pending] = []
        webhook: list[Pending] = []

        async def announce(
            notices: Notices, tx: Transaction, before: Ticket, after: Ticket
        ) -> None:
            header = self._t(
                notices.locale, "tickets.thread.escalated", owner=_who(member), number=number
            )
            await self._announcer.post(notices, after, rich(header, Markup("\n"), note))
            if company is not None:
                summary.append(
                    await self._company.post_summary(notices, company, after, member, note)
                )
            webhook.extend(await self._company.call_webhook(notices, after, member, note))
            await self._announcer.refresh(notices, after)
            await self._followups.drop_reminder(tx, before)
            await self._after_public_change(tx, after)

        try:
            _, ticket = await self._change(
                member, locale, number, "escalated", ACTIVE, plan, announce, note
            )
        except Repeated as repeated:
            return Escalation(repeated.ticket, HandOver(None, False, repeated=True))
        hand_over = await self._company.hand_over(ticket, summary, webhook)
        return Escalation(ticket, hand_over)

    async def resolve(
        self,
        member: Member,
        locale: str,
        number: int,
        resolution: str,
        outcome: Outcome = Outcome.DONE,
    ) -> Ticket:
        """Close with a public resolution. Declined and duplicate tickets are closed the
        same way, in public, with their reason; only the outcome tells them apart."""
        resolution = self._note(locale, resolution, key="resolution_missing")
        resolution = await self._services.screen.allowed(
            member, locale, "ticket_resolution", resolution
        )
        if outcome is Outcome.DECLINED and len(resolution) < DECLINE_REASON_MIN:
            raise self._refuse.error(locale, "decline_reason", number=number)
        now = self._services.clock.now()

        def plan(ticket: Ticket) -> Changes:
            updates = {
                "resolved_at": now,
                "resolved_by": member.id,
                "resolution": resolution,
                "outcome": outcome,
                "closed_at": now,
                "next_update_due": None,
                **ownership(member, ticket, now),
            }
            return Changes(Status.RESOLVED, updates)

        async def announce(notices: Notices, tx: Transaction, _: Ticket, after: Ticket) -> None:
            header = self._t(
                notices.locale,
                f"tickets.thread.{OUTCOME_KEY[outcome]}",
                owner=_who(member),
                number=number,
            )
            await self._announcer.post(notices, after, rich(header, Markup("\n"), resolution))
            await self._announcer.refresh(notices, after)
            await self._notify_resolved(notices, tx, after, member)  # then archives the thread
            await self._followups.disarm(tx, after)

        _, ticket = await self._change(
            member,
            locale,
            number,
            "resolved",
            ACTIVE,
            plan,
            announce,
            resolution,
            wanted=Status.RESOLVED,
        )
        return ticket

    async def merge(
        self, member: Member, locale: str, source: int, target: int
    ) -> tuple[Ticket, Ticket]:
        now = self._services.clock.now()
        community = member.community
        for number in (source, target):
            ticket = await self._tickets.get(community.key, number)
            if ticket is not None and ticket.private:
                # Merging moves votes and watchers and links the two in public: a private
                # ticket has neither to give nor a public place to be linked from.
                raise self._refuse.error(locale, "merge_private", number=number)
        notices = await self._announcer.notices(community)

        async def announce(tx: Transaction, old: Ticket, new: Ticket, history: int) -> None:
            notices.begin(tx, f"ticket:{community.key}:{old.number}:{history}")
            await self._announce_merge(notices, member, old, new)
            await self._followups.disarm(tx, old)

        try:
            with self._refuse.translated(locale):
                old, new = await self._votes.merge(
                    community.key, source, target, actor(member), now, f"#{target}", announce
                )
        except SameTicket:
            raise self._refuse.error(locale, "merge_same", number=source) from None
        await notices.deliver()
        return old, new

    async def _announce_merge(self, notices: Notices, by: Member, old: Ticket, new: Ticket) -> None:
        await self._announcer.say(
            notices,
            old,
            "tickets.thread.merged_away",
            who=_who(by),
            target=new.number,
            link=_link(new),
        )
        await self._announcer.say(
            notices,
            new,
            "tickets.thread.merged_in",
            who=_who(by),
            source=old.number,
            title=old.title,
            votes=new.vote_count,
            link=_link(old),
        )
        await self._announcer.refresh(notices, old)
        await self._announcer.refresh(notices, new)
        opener = [Recipient(old.opener_id, old.opener_name, old.opener_locale)]
        await self._announcer.notify(
            notices,
            old,
            opener if old.opener_id != by.id else [],
            "tickets.notify.merged",
            archive=True,
            number=old.number,
            title=old.title,
            target=new.number,
            target_title=new.title,
            link=_link(new),
        )

    # -- openers --------------------------------------------------------------------------

    async def withdraw(self, member: Member, locale: str, number: int, reason: str) -> Ticket:
        reason = reason.strip()[:NOTE_MAX]
        now = self._services.clock.now()

        def plan(ticket: Ticket) -> Changes:
            if ticket.opener_id != member.id:
                raise self._refuse.error(locale, "not_opener_withdraw", number=ticket.number)
            return Changes(Status.WITHDRAWN, {"closed_at": now, "next_update_due": None})

        owner = await self._owner(member.community, number)

        async def announce(notices: Notices, tx: Transaction, _: Ticket, after: Ticket) -> None:
            header = self._t(
                notices.locale, "tickets.thread.withdrawn", who=_who(member), number=number
            )
            await self._announcer.post(
                notices, after, rich(header, (Markup("\n"), *rich(reason)) if reason else ())
            )
            await self._announcer.refresh(notices, after)
            await self._notify_withdrawn(notices, tx, after, member, reason, owner)
            await self._followups.disarm(tx, after)

        _, ticket = await self._change(
            member,
            locale,
            number,
            "withdrawn",
            ACTIVE,
            plan,
            announce,
            reason,
            wanted=Status.WITHDRAWN,
        )
        return ticket

    async def reopen(self, member: Member, locale: str, number: int, note: str) -> Ticket:
        """Reopen a closed ticket. An opener who reopens their own counts against the open
        ticket limit like a new ticket would; ambassadors are not limited."""
        note = note.strip()[:NOTE_MAX]
        now = self._services.clock.now()
        config = await self._services.config.get(member.community)
        ambassador = has_permission(member, Permission.AMBASSADOR, config.community.roles)
        most = config.section("tickets", TicketsConfig).max_open_per_member
        limits = UNLIMITED if ambassador else OpenLimits(max_open=most)

        owner = await self._owner(member.community, number)

        def plan(ticket: Ticket) -> Changes:
            if ticket.opener_id != member.id and not ambassador:
                raise self._refuse.error(locale, "not_opener_reopen", number=ticket.number)
            updates = {
                "resolved_at": None,
                "resolved_by": None,
                "resolution": "",
                "outcome": None,
                "closed_at": None,
                "next_update_due": None,
                "last_public_update_at": now,
                "last_public_note": note,
                # A reopened ticket starts a new quiet spell: follow-ups count from zero.
                "quiet_follow_ups": 0,
                "lead_escalated_at": None,
            }
            return Changes(Status.CLAIMED if ticket.owner_id else Status.OPEN, updates)

        async def announce(notices: Notices, tx: Transaction, _: Ticket, after: Ticket) -> None:
            await self._announcer.unarchive(notices, after)
            header = self._t(
                notices.locale, "tickets.thread.reopened", who=_who(member), number=number
            )
            await self._announcer.post(
                notices, after, rich(header, (Markup("\n"), *rich(note)) if note else ())
            )
            await self._announcer.refresh(notices, after)
            await self._announcer.clear_resolve_reactions(notices, after, stale)
            if owner is not None and owner.user_id == after.owner_id != member.id:
                await self._announcer.notify(
                    notices,
                    after,
                    [owner],
                    "tickets.notify.reopened_reason" if note else "tickets.notify.reopened",
                    who=member.shown_name,
                    number=after.number,
                    title=after.title,
                    note=note,
                    link=_link(after),
                )
            await self._followups.arm(tx, after)

        stale = await self._announcer.resolve_reactions(member.community, number)
        try:
            _, ticket = await self._change(
                member, locale, number, "reopened", CLOSED, plan, announce, note, limits=limits
            )
        except LimitReached:
            raise self._refuse.error(locale, "reopen_limit", number=number, max=most) from None
        return ticket

    # -- helpers --------------------------------------------------------------------------

    async def _change(
        self,
        member: Member,
        locale: str,
        number: int,
        action: str,
        allowed: frozenset[Status],
        plan: Plan,
        announce: Announce,
        note: str = "",
        *,
        wanted: Status | None = None,
        limits: OpenLimits = UNLIMITED,
        answers: bool = True,
    ) -> tuple[Ticket, Ticket]:
        """Store one step with its history row, its announcements (keyed by that row) and
        its jobs, then deliver the announcements. An ambassador's step `answers` the
        ticket (first response; the quiet follow-ups start counting again) unless it is
        only an edit."""
        community = member.community
        config = await self._services.config.get(community)
        notices = await self._announcer.notices(community)

        async def effects(tx: Transaction, before: Ticket, after: Ticket, history: int) -> None:
            notices.begin(tx, f"ticket:{community.key}:{number}:{history}")
            await announce(notices, tx, before, after)

        with self._refuse.translated(locale, wanted):
            before, after = await self._tickets.change(
                community.key,
                number,
                actor=actor(member),
                action=action,
                at=self._services.clock.now(),
                allowed=allowed,
                plan=plan,
                note=note,
                first_response=answers
                and has_permission(member, Permission.AMBASSADOR, config.community.roles),
                limits=limits,
                effects=effects,
            )
        await notices.deliver()
        return before, after

    async def _after_public_change(self, tx: Transaction, ticket: Ticket) -> None:
        """An ambassador spoke in public: no first-response ping; the follow-up moves."""
        await self._followups.drop_first_response(tx, ticket)
        await self._followups.arm(tx, ticket)

    async def _watchers(self, tx: Transaction, ticket: Ticket, but: Member) -> list[Recipient]:
        """Who hears about the ticket's end (the opener and watchers), except `but`."""
        return [
            Recipient(w.member_id, w.member_name, w.locale)
            for w in await recipients(tx, ticket.community, ticket.number)
            if w.member_id != but.id
        ]

    async def _owner(self, community: Community, number: int) -> Recipient | None:
        """The ticket's owner as a recipient (their language asked of the platform before
        the step's transaction begins)."""
        ticket = await self._tickets.get(community.key, number)
        if ticket is None or ticket.owner_id is None:
            return None
        return await self._announcer.private.recipient(
            community, ticket.owner_id, ticket.owner_name or ""
        )

    async def _notify_withdrawn(
        self,
        notices: Notices,
        tx: Transaction,
        ticket: Ticket,
        by: Member,
        reason: str,
        owner: Recipient | None,
    ) -> None:
        """The owner and the watchers learn that the opener withdrew it, privately (the
        owner first, since they were working on it); then the thread is archived."""
        watchers = await self._watchers(tx, ticket, by)
        if (
            owner is not None
            and owner.user_id == ticket.owner_id
            and owner.user_id != by.id
            and all(r.user_id != owner.user_id for r in watchers)
        ):
            watchers.insert(0, owner)
        await self._announcer.notify(
            notices,
            ticket,
            watchers,
            "tickets.notify.withdrawn_reason" if reason else "tickets.notify.withdrawn",
            archive=True,
            number=ticket.number,
            title=ticket.title,
            opener=ticket.opener_name,
            reason=reason,
            link=_link(ticket),
        )

    async def _notify_resolved(
        self, notices: Notices, tx: Transaction, ticket: Ticket, by: Member
    ) -> None:
        await self._announcer.notify(
            notices,
            ticket,
            await self._watchers(tx, ticket, by),
            f"tickets.notify.{OUTCOME_KEY[ticket.outcome or Outcome.DONE]}",
            archive=True,
            number=ticket.number,
            title=ticket.title,
            resolution=ticket.resolution,
            link=_link(ticket),
        )

    def _note(self, locale: str, text: str, key: str = "note_missing") -> str:
        text = text.strip()
        if not text:
            raise self._refuse.error(locale, key)
        if len(text) > NOTE_MAX:
            raise self._refuse.error(locale, "note_long", length=len(text), max=NOTE_MAX)
        return text

    def _t(self, locale: str, key: str, /, **values: Segment | str | int) -> Rich:
        return self._services.i18n.t(key, locale, **values)


def _who(member: Member) -> Mention:
    return Mention(member.id, member.shown_name)


def _link(ticket: Ticket) -> Segment | str:
    return Link(ticket.tracker_url) if ticket.tracker_url else ""
