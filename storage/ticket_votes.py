"""Votes, watchers and merges: who backs a ticket and who hears when it is resolved.

A vote is one row per member and ticket; the ticket's `vote_count` is kept in the same
transaction so the queue can sort by votes from an index. Voting makes the member a watcher
unless they opted out; a merge moves votes and watchers to the surviving ticket.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from storage.database import Database, Transaction
from storage.tickets import (
    ACTIVE,
    Actor,
    Effects,
    Status,
    Ticket,
    WrongStatus,
    add_history,
    load_ticket,
    lock_ticket,
)
from storage.timestamps import to_db


@dataclass(frozen=True, slots=True)
class Watcher:
    member_id: str
    member_name: str
    locale: str | None


class OwnTicket(Exception):
    """Members cannot vote on a ticket they opened."""


class PrivateTicket(Exception):
    """Private tickets take no votes: nobody but the opener and the ambassadors sees them."""


class AlreadyVoted(Exception):
    pass


class NotVoted(Exception):
    pass


class SameTicket(Exception):
    """A ticket cannot be merged into itself."""


class TicketVoteRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def add_vote(
        self,
        community: str,
        number: int,
        voter: Actor,
        locale: str | None,
        at: datetime,
        notify: bool | None = None,
        effects: Effects | None = None,
    ) -> Ticket:
        """Count the vote and watch the ticket; `notify=None` keeps an earlier choice.
        `effects` writes the tracker's new count in the same transaction."""
        async with self._db.transaction() as tx:
            ticket = await lock_ticket(tx, community, number)
            if ticket.status not in ACTIVE:
                raise WrongStatus(ticket)
            if voter.id == ticket.opener_id:
                raise OwnTicket()
            if ticket.private:
                raise PrivateTicket()
            added = await tx.execute(
                "INSERT INTO ticket_votes (community, number, member_id, voted_at)"
                " VALUES (?, ?, ?, ?) ON CONFLICT (community, number, member_id) DO NOTHING",
                (community, number, voter.id, to_db(at)),
            )
            if not added:
                raise AlreadyVoted()
            await _recount(tx, community, number, at)
            await _watch(tx, community, number, voter, locale, notify, at)
            history_id = await add_history(tx, community, number, at, voter, "vote")
            after = await load_ticket(tx, community, number)
            if effects is not None:
                await effects(tx, ticket, after, history_id)
            return after

    async def remove_vote(
        self,
        community: str,
        number: int,
        voter: Actor,
        at: datetime,
        effects: Effects | None = None,
    ) -> Ticket:
        async with self._db.transaction() as tx:
            ticket = await lock_ticket(tx, community, number)
            if ticket.status not in ACTIVE:
                raise WrongStatus(ticket)
            removed = await tx.execute(
                "DELETE FROM ticket_votes WHERE community = ? AND number = ? AND member_id = ?",
                (community, number, voter.id),
            )
            if not removed:
                raise NotVoted()
            await _recount(tx, community, number, at)
            history_id = await add_history(tx, community, number, at, voter, "unvote")
            after = await load_ticket(tx, community, number)
            if effects is not None:
                await effects(tx, ticket, after, history_id)
            return after

    async def set_watch(
        self,
        community: str,
        number: int,
        member: Actor,
        locale: str | None,
        notify: bool,
        at: datetime,
    ) -> Ticket:
        """Start or stop hearing about the resolution of a ticket."""
        async with self._db.transaction() as tx:
            ticket = await load_ticket(tx, community, number)
            await _watch(tx, community, number, member, locale, notify, at)
            return ticket

    async def recipients(self, community: str, number: int) -> list[Watcher]:
        """Everyone to tell about the resolution, opener first."""
        async with self._db.transaction() as tx:
            return await recipients(tx, community, number)

    async def watching(self, community: str, number: int, member_id: str) -> bool:
        """Whether the member hears about the ticket's end (a voter unless they opted out)."""
        value = await self._db.fetch_value(
            "SELECT notify FROM ticket_watchers WHERE community = ? AND number = ?"
            " AND member_id = ?",
            (community, number, member_id),
        )
        return bool(value)

    async def voters(self, community: str, number: int) -> list[str]:
        rows = await self._db.fetch_all(
            "SELECT member_id FROM ticket_votes WHERE community = ? AND number = ?"
            " ORDER BY voted_at, member_id",
            (community, number),
        )
        return [row[0] for row in rows]

    async def merge(
        self,
        community: str,
        source: int,
        target: int,
        actor: Actor,
        at: datetime,
        note: str,
        effects: Effects | None = None,
    ) -> tuple[Ticket, Ticket]:
        """Close `source` as merged into `target`, carrying votes and watchers over.

        The source's opener counts as a voter on the target (they asked for the same thing),
        except where they opened the target too. `effects` writes the announcements in the
        same transaction, with both tickets as they are now and the merge's history id.
        Returns both tickets as they are now.
        """
        if source == target:
            raise SameTicket()
        async with self._db.transaction() as tx:
            # Both held, the lower number first, so two merges of one pair never deadlock.
            held = {n: await lock_ticket(tx, community, n) for n in sorted((source, target))}
            old, new = held[source], held[target]
            for ticket in (old, new):
                if ticket.status not in ACTIVE:
                    raise WrongStatus(ticket)
            await _carry_votes(tx, community, old, new, at)
            await tx.execute(
                "INSERT INTO ticket_watchers (community, number, member_id, member_name, locale,"
                " notify, since) SELECT community, ?, member_id, member_name, locale, notify, since"
                " FROM ticket_watchers WHERE community = ? AND number = ?"
                " ON CONFLICT (community, number, member_id) DO NOTHING",
                (target, community, source),
            )
            await _recount(tx, community, target, at)
            await tx.execute(
                "UPDATE tickets SET status = ?, active = 0, merged_into = ?, closed_at = ?,"
                " updated_at = ? WHERE community = ? AND number = ?",
                (Status.MERGED.value, target, to_db(at), to_db(at), community, source),
            )
            history_id = await add_history(
                tx, community, source, at, actor, "merged", note, old.status, Status.MERGED
            )
            await add_history(
                tx, community, target, at, actor, "merged-in", f"#{source}", new.status, new.status
            )
            old = await load_ticket(tx, community, source)
            new = await load_ticket(tx, community, target)
            if effects is not None:
                await effects(tx, old, new, history_id)
            return old, new


async def recipients(tx: Transaction, community: str, number: int) -> list[Watcher]:
    """Everyone to tell about a ticket's end, opener first; inside a transaction, so the
    notices are written with the change that causes them."""
    rows = await tx.fetch_all(
        "SELECT w.member_id, w.member_name, w.locale FROM ticket_watchers w"
        " JOIN tickets t ON t.community = w.community AND t.number = w.number"
        " WHERE w.community = ? AND w.number = ? AND w.notify = 1"
        " ORDER BY CASE WHEN w.member_id = t.opener_id THEN 0 ELSE 1 END, w.since, w.member_id",
        (community, number),
    )
    return [Watcher(row[0], row[1], row[2]) for row in rows]


async def _carry_votes(
    tx: Transaction, community: str, old: Ticket, new: Ticket, at: datetime
) -> None:
    await tx.execute(
        "INSERT INTO ticket_votes (community, number, member_id, voted_at)"
        " SELECT community, ?, member_id, voted_at FROM ticket_votes"
        " WHERE community = ? AND number = ? AND member_id <> ?"
        " ON CONFLICT (community, number, member_id) DO NOTHING",
        (new.number, community, old.number, new.opener_id),
    )
    if old.opener_id != new.opener_id:
        await tx.execute(
            "INSERT INTO ticket_votes (community, number, member_id, voted_at)"
            " VALUES (?, ?, ?, ?) ON CONFLICT (community, number, member_id) DO NOTHING",
            (community, new.number, old.opener_id, to_db(at)),
        )


async def _recount(tx: Transaction, community: str, number: int, at: datetime) -> None:
    """Store the vote count; a changed count is a change the export's ``--since`` shows."""
    await tx.execute(
        "UPDATE tickets SET vote_count = (SELECT COUNT(*) FROM ticket_votes v"
        " WHERE v.community = tickets.community AND v.number = tickets.number),"
        " updated_at = ? WHERE community = ? AND number = ?",
        (to_db(at), community, number),
    )


async def _watch(
    tx: Transaction,
    community: str,
    number: int,
    member: Actor,
    locale: str | None,
    notify: bool | None,
    at: datetime,
) -> None:
    if notify is None:
        await tx.execute(
            "INSERT INTO ticket_watchers (community, number, member_id, member_name, locale,"
            " notify, since) VALUES (?, ?, ?, ?, ?, 1, ?)"
            " ON CONFLICT (community, number, member_id) DO NOTHING",
            (community, number, member.id, member.name, locale, to_db(at)),
        )
        return
    await tx.execute(
        "INSERT INTO ticket_watchers (community, number, member_id, member_name, locale, notify,"
        " since) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (community, number, member_id)"
        " DO UPDATE SET notify = excluded.notify, locale = excluded.locale",
        (community, number, member.id, member.name, locale, int(notify), to_db(at)),
    )
