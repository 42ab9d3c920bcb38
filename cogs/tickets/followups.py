"""Keeping tickets from rotting: public follow-ups, private reminders, first-response pings.

Each ticket has at most one pending job of each kind, keyed by the ticket and a sequence
number stored on the ticket (`follow_up_seq`, `promise_seq`). A change to the ticket moves
the pending job (same key); a job that fired bumps the sequence in the same transaction
that records it, so a re-run after a crash finds nothing to do, and its key can never be
re-armed. A bot that was down while several follow-ups fell due posts one, then resumes
the cadence from now: "a missed one fires once". Jobs are scheduled and cancelled in the
transaction of the change that calls for them. What a job announces is written to the
outbox in the transaction that marks it taken, under a key derived from the job's key, so
a crash loses nothing, an outage is retried by the outbox, and a re-run adds nothing. The
history says "follow-up" or "pinged the ambassadors" only once the platform took the post;
a first-response ping still waiting when the ticket is answered is withdrawn.

A ticket in a language with a team (bot/languages.py) asks that team first: until the
first-response target passes, a follow-up about it while it is unclaimed mentions the team,
as its opening post did; after the target the first-response ping asks every ambassador,
and follow-ups address everyone again, as for a ticket without a team.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime
from typing import Any

from bot.cog import Services
from bot.delivery import Outcome, Then
from bot.effects import Post
from bot.languages import LanguageTeam, language_team
from bot.model import Community, UserRef
from bot.outgoing import Link, Mention, OutgoingMessage, RoleMention, Segment, rich
from cogs.tickets.announce import Announcer
from cogs.tickets.config import TicketsConfig
from cogs.tickets.refused import all_keys, post_again
from cogs.tickets.render import age, when
from storage.database import Transaction
from storage.jobs import Job, JobRequest
from storage.member_languages import MemberLanguages
from storage.ticket_jobs import FIRST_RESPONSE, FOLLOW_UP, REMINDER, TicketJobAudit, job_key
from storage.tickets import (
    BOT_ACTOR,
    FIRST_RESPONSE_ESCALATED,
    Ticket,
    TicketRepository,
    add_history,
    load_ticket,
    skip_follow_up,
)

log = logging.getLogger(__name__)

KIND_FOLLOW_UP = "tickets.follow-up"
KIND_REMINDER = "tickets.reminder"
KIND_FIRST_RESPONSE = "tickets.first-response"
# Older versions scheduled a job to post a tracker that could not be posted; still handled,
# so such jobs left in a database finish (today the tracker waits in the outbox).
KIND_TRACKER = "tickets.tracker"
# Continuations: a public follow-up and a first-response ping are recorded once posted.
FOLLOW_UP_POSTED = "tickets.follow-up-posted"
PING_POSTED = "tickets.ping-posted"
LEAD_POSTED = "tickets.lead-posted"
# The history action of the private escalation to the lead after unanswered follow-ups.
LEAD_ESCALATED = "lead-escalated"


def next_follow_up_at(ticket: Ticket, config: TicketsConfig) -> datetime:
    """When the next public follow-up is due if nothing happens before then.

    The earlier of "quiet for `quiet_after`" and the promised date, but never sooner than
    `repeat_every` after the previous follow-up.
    """
    due = ticket.last_activity + config.quiet_after
    if ticket.next_update_due is not None:
        due = min(due, ticket.next_update_due)
    if ticket.last_follow_up_at is not None:
        due = max(due, ticket.last_follow_up_at + config.repeat_every)
    return due


class FollowUps:
    def __init__(
        self,
        services: Services,
        tickets: TicketRepository,
        announcer: Announcer,
        audit: TicketJobAudit,
    ) -> None:
        self._services = services
        self._tickets = tickets
        self._announcer = announcer
        self._audit = audit
        self._declared = MemberLanguages(services.db)

    async def config(self, community: Community) -> TicketsConfig:
        effective = await self._services.config.get(community)
        return effective.section("tickets", TicketsConfig)

    # -- arming, in the transaction of the change that calls for it -------------------------

    async def arm(self, tx: Transaction, ticket: Ticket) -> None:
        """(Re)schedule the follow-up and the promise reminder for an active ticket."""
        if not ticket.active:
            return
        config = await self.config(Community.from_key(ticket.community))
        await self._arm_follow_up(tx, ticket, config)
        reminder = self._reminder(ticket, config)
        if reminder is not None:
            await self._schedule(tx, reminder)

    async def arm_first_response(self, tx: Transaction, ticket: Ticket) -> None:
        config = await self.config(Community.from_key(ticket.community))
        await self._schedule(tx, _first_response(ticket, config))

    async def drop_first_response(self, tx: Transaction, ticket: Ticket) -> None:
        """The ticket got its answer: no ping any more, not even one waiting in the outbox
        (an outage held it back) or written again after a refusal."""
        await self._services.scheduler.cancel(
            job_key(ticket.community, ticket.number, FIRST_RESPONSE), tx=tx
        )
        for key in all_keys(ping_key(ticket)):
            await self._services.outbox.cancel(tx, key)

    async def drop_reminder(self, tx: Transaction, ticket: Ticket) -> None:
        """Forget the reminder of the ticket's current promise (it was kept or replaced)."""
        await self._services.scheduler.cancel(
            job_key(ticket.community, ticket.number, REMINDER, ticket.promise_seq), tx=tx
        )

    async def disarm(self, tx: Transaction, ticket: Ticket) -> None:
        """A closed ticket gets no follow-ups, reminders or pings."""
        await self._services.scheduler.cancel(
            job_key(ticket.community, ticket.number, FOLLOW_UP, ticket.follow_up_seq), tx=tx
        )
        await self.drop_reminder(tx, ticket)
        await self.drop_first_response(tx, ticket)

    async def reconcile(self) -> int:
        """Re-arm, in one transaction, the jobs of tickets stored without them (imported,
        or by an older version that scheduled after the change committed); returns how
        many."""
        requests: list[JobRequest] = []
        for ticket in await self._audit.missing_follow_ups():
            config = await self.config(Community.from_key(ticket.community))
            requests.append(_follow_up(ticket, config, ticket.follow_up_seq))
        for ticket in await self._audit.missing_reminders():
            reminder = self._reminder(
                ticket, await self.config(Community.from_key(ticket.community))
            )
            if reminder is not None:
                requests.append(reminder)
        for ticket in await self._audit.missing_first_responses():
            config = await self.config(Community.from_key(ticket.community))
            requests.append(_first_response(ticket, config))
        if requests:
            await self._services.scheduler.schedule_many(requests)
        return len(requests)

    async def _arm_follow_up(self, tx: Transaction, ticket: Ticket, config: TicketsConfig) -> None:
        seq = ticket.follow_up_seq
        for attempt in (seq, seq + 1):
            if await self._schedule(tx, _follow_up(ticket, config, attempt)):
                return
            # That key already ran while the ticket was closed: retire it and use the next.
            await skip_follow_up(tx, ticket.community, ticket.number, attempt)
        log.error("ticket %s #%d: could not arm a follow-up", ticket.community, ticket.number)

    def _reminder(self, ticket: Ticket, config: TicketsConfig) -> JobRequest | None:
        lead = config.remind_before
        if (
            lead is None
            or ticket.next_update_due is None
            or ticket.owner_id is None
            or ticket.reminded_seq >= ticket.promise_seq
        ):
            return None
        due = ticket.next_update_due - lead
        if due <= self._services.clock.now():
            return None  # a promise this short needs no reminder: it was just made
        return JobRequest(
            ticket.community,
            KIND_REMINDER,
            due,
            job_key(ticket.community, ticket.number, REMINDER, ticket.promise_seq),
            {"number": ticket.number, "promise": ticket.promise_seq},
        )

    async def _schedule(self, tx: Transaction, request: JobRequest) -> bool:
        return await self._services.scheduler.schedule(
            Community.from_key(request.community),
            request.kind,
            request.due_at,
            request.key,
            request.payload,
            tx=tx,
        )

    # -- firing ---------------------------------------------------------------------------

    async def fire_follow_up(self, job: Job) -> None:
        number, seq = int(job.payload["number"]), int(job.payload["seq"])
        ticket = await self._tickets.get(job.community, number)
        if ticket is None or not ticket.active or ticket.follow_up_seq != seq:
            return
        config = await self.config(Community.from_key(job.community))
        now = self._services.clock.now()
        if next_follow_up_at(ticket, config) > now:
            await self._postpone(ticket, seq, config)
            return
        if config.escalate_after and ticket.quiet_follow_ups >= config.escalate_after:
            await self._escalate_to_lead(job, ticket, config)
            return
        reason = _reason(ticket, now)
        notices = await self._announcer.notices(Community.from_key(job.community))
        team = await self._team_first(ticket, config, now)

        async def announce(tx: Transaction, taken: Ticket) -> None:
            notices.begin(tx, f"{job.key}:post")
            data = {"community": job.community, "number": number, "reason": reason}
            values = _follow_up_values(ticket, now, notices.locale)
            text = self._services.i18n.t(f"tickets.follow_up.{reason}", notices.locale, **values)
            if team is not None:
                text = team.address(text)
            await self._announcer.post(notices, taken, text, then=Then(FOLLOW_UP_POSTED, data))
            await self._announcer.refresh(notices, taken)
            await self._arm_follow_up(tx, taken, config)

        if await self._tickets.claim_follow_up(job.community, number, seq, now, announce):
            await notices.deliver()

    async def _team_first(
        self, ticket: Ticket, config: TicketsConfig, now: datetime
    ) -> LanguageTeam | None:
        """The team a follow-up addresses: the ticket's language's, while nobody has claimed
        it and its first-response target has not passed. None afterwards (the ping asked
        every ambassador by then) and for a language nobody handles."""
        if ticket.owner_id is not None or now >= ticket.opened_at + config.first_response_target:
            return None
        community = Community.from_key(ticket.community)
        settings = (await self._services.config.get(community)).community
        return await language_team(settings, ticket.language, self._declared, ticket.community)

    async def _escalate_to_lead(self, job: Job, ticket: Ticket, config: TicketsConfig) -> None:
        """Enough public follow-ups went unanswered: one private post to the ambassadors'
        lead (in the ambassadors' channel, pinging `lead_role` if set) takes the place of
        the next public one, and no follow-up is armed until an ambassador acts (their
        step re-arms it). The history says so once the post went out (`lead_posted`)."""
        community = Community.from_key(job.community)
        notices = await self._announcer.notices(community)
        now = self._services.clock.now()

        async def announce(tx: Transaction, taken: Ticket) -> None:
            notices.begin(tx, f"{job.key}:lead")
            lead = config.lead_role
            ping: tuple[Segment, ...] = (RoleMention(lead, lead), " ") if lead else ()
            text = self._services.i18n.t(
                "tickets.lead.text",
                notices.locale,
                number=taken.number,
                title=taken.title,
                count=taken.quiet_follow_ups,
                ago=age(now - taken.last_activity, notices.locale),
            )
            link = (" ", Link(taken.tracker_url)) if taken.tracker_url else ()
            await self._announcer.to_ambassadors(
                notices,
                community,
                rich(*ping, text, *link),
                then_kind=LEAD_POSTED,
                extra={"community": job.community, "number": taken.number},
            )

        seq = int(job.payload["seq"])
        if await self._tickets.claim_lead_escalation(
            job.community, ticket.number, seq, now, announce
        ):
            await notices.deliver()

    async def lead_posted(self, tx: Transaction, outcome: Outcome, data: dict[str, Any]) -> None:
        """The history says the lead was told once they were; a refused post is written
        again a little later."""
        if outcome.delivered:
            now = self._services.clock.now()
            await add_history(
                tx, data["community"], int(data["number"]), now, BOT_ACTOR, LEAD_ESCALATED
            )
            return
        await post_again(self._services.outbox, tx, outcome, data, LEAD_POSTED)

    async def _postpone(self, ticket: Ticket, seq: int, config: TicketsConfig) -> None:
        """A follow-up that came too early (the configuration changed): retire it and arm
        the next for when it is due, in one transaction."""
        async with self._services.db.transaction() as tx:
            if await skip_follow_up(tx, ticket.community, ticket.number, seq):
                await self._arm_follow_up(tx, ticket_after_skip(ticket), config)

    async def follow_up_posted(
        self, tx: Transaction, outcome: Outcome, data: dict[str, Any]
    ) -> None:
        """History records a public follow-up once it is out, not when it was decided."""
        if not outcome.delivered:
            log.warning(
                "ticket %s #%s: follow-up not posted: %s",
                data["community"],
                data["number"],
                outcome.error,
            )
            return
        at = self._services.clock.now()
        await add_history(
            tx, data["community"], int(data["number"]), at, BOT_ACTOR, "follow-up", data["reason"]
        )

    async def fire_reminder(self, job: Job) -> None:
        """Remind the owner privately; in the ambassadors' channel if that fails."""
        number, promise = int(job.payload["number"]), int(job.payload["promise"])
        community = Community.from_key(job.community)
        ticket = await self._tickets.get(job.community, number)
        if ticket is None or ticket.owner_id is None:
            return
        owner = await self._services.platform(community).fetch_member(
            UserRef(community, ticket.owner_id)
        )
        notices = await self._announcer.notices(community)
        ambassadors = await self._announcer.ambassadors_channel(community)

        async def announce(tx: Transaction, taken: Ticket) -> None:
            notices.begin(tx, f"{job.key}:remind")
            if taken.owner_id is None or taken.next_update_due is None:
                return
            locale = self._services.i18n.pick_locale(
                owner.locale if owner else None, notices.locale
            )
            message = self._reminder_text(taken, locale)
            mention = rich(Mention(taken.owner_id, taken.owner_name or ""), ": ", message.text)
            fallback = None if ambassadors is None else (ambassadors, OutgoingMessage(text=mention))
            sent = await self._announcer.private.direct(
                notices, community, taken.owner_id, message, fallback
            )
            if not sent and ambassadors is not None:
                await self._announcer.post_retried(
                    notices, Post(ambassadors, OutgoingMessage(text=mention))
                )

        now = self._services.clock.now()
        if await self._tickets.claim_reminder(job.community, number, promise, now, announce):
            await notices.deliver()

    def _reminder_text(self, ticket: Ticket, locale: str) -> OutgoingMessage:
        assert ticket.next_update_due is not None
        values: dict[str, Segment | str | int] = {
            "number": ticket.number,
            "title": ticket.title,
            "due": when(ticket.next_update_due, locale),
        }
        text = self._services.i18n.t("tickets.reminder.text", locale, **values)
        link = (" ", Link(ticket.tracker_url)) if ticket.tracker_url else ()
        return OutgoingMessage(text=rich(text, *link))

    async def fire_first_response(self, job: Job) -> None:
        """Ping the ambassadors about a ticket nobody has answered in time; once. The ping
        is withdrawn if the ticket is answered before it goes out (`drop_first_response`),
        and the history says "pinged" only once it went out (`ping_posted`)."""
        number = int(job.payload["number"])
        community = Community.from_key(job.community)
        config = await self._services.config.get(community)
        notices = await self._announcer.notices(community)
        now = self._services.clock.now()

        async def announce(tx: Transaction, taken: Ticket) -> None:
            notices.begin(tx, f"{job.key}:ping")
            roles = config.community.roles.ambassadors
            ping: tuple[Segment, ...] = (RoleMention(roles[0], roles[0]),) if roles else ()
            text = self._services.i18n.t(
                "tickets.first_response.ping",
                notices.locale,
                number=taken.number,
                title=taken.title,
                waited=age(now - taken.opened_at, notices.locale),
            )
            link = (" ", Link(taken.tracker_url)) if taken.tracker_url else ()
            await self._announcer.to_ambassadors(
                notices,
                community,
                rich(ping, " " if ping else (), text, *link),
                then_kind=PING_POSTED,
                extra={"community": job.community, "number": number},
                key=ping_key(taken),
            )

        if await self._tickets.claim_first_response_escalation(
            job.community, number, now, announce
        ):
            await notices.deliver()

    async def ping_posted(self, tx: Transaction, outcome: Outcome, data: dict[str, Any]) -> None:
        """The history says the ambassadors were pinged once they were; a refused ping is
        written again a little later, unless the ticket was answered meanwhile."""
        community, number = str(data["community"]), int(data["number"])
        if outcome.delivered:
            now = self._services.clock.now()
            await add_history(tx, community, number, now, BOT_ACTOR, FIRST_RESPONSE_ESCALATED)
            return
        ticket = await load_ticket(tx, community, number)
        if unanswered(ticket):
            await post_again(self._services.outbox, tx, outcome, data, PING_POSTED)


def ping_key(ticket: Ticket) -> str:
    """The outbox key of a ticket's first-response ping (its retries derive from it)."""
    return f"{job_key(ticket.community, ticket.number, FIRST_RESPONSE)}:ping"


def unanswered(ticket: Ticket) -> bool:
    """Still waiting for an ambassador: what a first-response ping is about."""
    return ticket.active and ticket.owner_id is None and ticket.first_response_at is None


def _follow_up(ticket: Ticket, config: TicketsConfig, seq: int) -> JobRequest:
    return JobRequest(
        ticket.community,
        KIND_FOLLOW_UP,
        next_follow_up_at(ticket, config),
        job_key(ticket.community, ticket.number, FOLLOW_UP, seq),
        {"number": ticket.number, "seq": seq},
    )


def _first_response(ticket: Ticket, config: TicketsConfig) -> JobRequest:
    return JobRequest(
        ticket.community,
        KIND_FIRST_RESPONSE,
        ticket.opened_at + config.first_response_target,
        job_key(ticket.community, ticket.number, FIRST_RESPONSE),
        {"number": ticket.number},
    )


def ticket_after_skip(ticket: Ticket) -> Ticket:
    return replace(ticket, follow_up_seq=ticket.follow_up_seq + 1)


def _reason(ticket: Ticket, now: datetime) -> str:
    if ticket.owner_id is None:
        return "unclaimed"
    if ticket.next_update_due is not None and ticket.next_update_due <= now:
        return "promise"
    return "quiet"


def _follow_up_values(ticket: Ticket, now: datetime, locale: str) -> dict[str, Segment | str | int]:
    values: dict[str, Segment | str | int] = {
        "number": ticket.number,
        "ago": age(now - ticket.last_activity, locale),
    }
    if ticket.owner_id is not None:
        values["owner"] = Mention(ticket.owner_id, ticket.owner_name or "")
    if ticket.next_update_due is not None:
        values["due"] = when(ticket.next_update_due, locale)
    return values
