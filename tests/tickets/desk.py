"""Helpers for ticket tests: a community with a company channel and a ticket-minded view."""

from __future__ import annotations

from datetime import datetime, timedelta

from adapters.local import LocalCommunity, LocalMessage
from bot.app.local_session import LocalSession
from bot.clock import VirtualClock
from bot.settings import Settings
from storage.tickets import Ticket, TicketRepository
from storage.timestamps import from_db, to_db

# Timings chosen so a simulated week has a countable number of follow-ups.
TICKETS_CONFIG = """
[community.channels]
company = "company"

[tickets]
categories = ["app", "billing"]
max_open_per_member = 3
cooldown = "off"
first_response_target = "24h"
quiet_after = "3d"
repeat_every = "1d"
remind_before = "12h"
page_size = 5

[tickets.digest]
day = "monday"
time = "09:00"
timezone = "UTC"
"""


def new_community() -> LocalCommunity:
    community = LocalCommunity()
    community.add_channel("company")
    community.add_member("Alice", roles=("Admins",))
    community.add_member("Mo", roles=("Moderators",))
    community.add_member("Amy", roles=("Ambassadors",))
    community.add_member("Bo", roles=("Ambassadors",))
    community.add_member("Ben")
    community.add_member("Cy")
    community.add_member("Dee", locale="de")
    return community


class Desk:
    """A ticket-minded view of a local session, so tests read like what people do."""

    def __init__(self, session: LocalSession, settings: Settings, clock: VirtualClock) -> None:
        self.session = session
        self.settings = settings
        self.clock = clock
        self.c = session.community
        self.repo = TicketRepository(session.app.services.db)

    async def restart(self, downtime: timedelta = timedelta()) -> None:
        """Stop the bot, let time pass while it is down, start it on the same database."""
        await self.session.app.close()
        self.clock.advance(downtime)
        self.session = await LocalSession.open(self.settings, clock=self.clock, community=self.c)
        self.repo = TicketRepository(self.session.app.services.db)

    async def run(self, who: str, line: str, channel: str = "general") -> str:
        """Run a command as `who`; returns the private reply it produced, if any."""
        before = len(self.c.private_replies(self.c.member(who)))
        await self.c.run(self.c.member(who), line, channel)
        replies = self.c.private_replies(self.c.member(who))
        return replies[-1].text if len(replies) > before else ""

    async def open(self, who: str = "Ben", title: str = "Dark mode", extra: str = "") -> Ticket:
        reply = await self.run(who, f'/ticket open "{title}" {extra}'.strip())
        assert reply.count("**#") == 1, reply
        ticket = await self.latest()
        assert ticket is not None
        return ticket

    async def latest(self) -> Ticket | None:
        number = 1
        found = None
        while (ticket := await self.repo.get(self.c.community.key, number)) is not None:
            found, number = ticket, number + 1
        return found

    async def ticket(self, number: int) -> Ticket:
        ticket = await self.repo.get(self.c.community.key, number)
        assert ticket is not None
        return ticket

    async def tracker(self, number: int) -> LocalMessage:
        ticket = await self.ticket(number)
        assert ticket.tracker_message_id is not None
        return self.c.message(int(ticket.tracker_message_id))

    async def thread(self, number: int) -> list[LocalMessage]:
        ticket = await self.ticket(number)
        assert ticket.thread_id is not None
        return [
            m
            for m in self.c.messages
            if m.channel_id == ticket.thread_id and not m.deleted and m.private_to is None
        ]

    async def thread_name(self, number: int) -> str:
        ticket = await self.ticket(number)
        assert ticket.thread_id is not None
        return self.c.channels[ticket.thread_id].name

    def dms(self, who: str) -> list[str]:
        return [m.text for m in self.c.direct_messages(self.c.member(who))]

    def channel(self, name: str) -> list[str]:
        return [m.text for m in self.c.read(name)]

    async def history(self, number: int) -> list[str]:
        entries = await self.repo.history(self.c.community.key, number)
        return [e.action for e in entries]

    async def advance(self, delta: timedelta) -> int:
        """Move the clock forward through every due job and outbox retry in time order
        (as the running bot's two loops would); returns how many jobs fired."""
        target = self.clock.now() + delta
        fired = await self.session.run_due_jobs()
        while (due := await self._next_due()) is not None and due <= target:
            self.clock.set(due)
            fired += await self.session.run_due_jobs()
        self.clock.set(target)
        return fired + await self.session.run_due_jobs()

    async def _next_due(self) -> datetime | None:
        """The next moment after now at which a job or an outbox entry falls due."""
        now = to_db(self.clock.now())
        db = self.session.app.services.db
        values = [
            await db.fetch_value(
                f"SELECT MIN(due_at) FROM {table} WHERE status = 'pending' AND due_at > ?",
                (now,),
            )
            for table in ("jobs", "outbox")
        ]
        return min((from_db(v) for v in values if v is not None), default=None)
