"""Catching up on reactions missed while the bot was away, and acting on each one once.

While the bot is disconnected (a restart, a gateway resume, a Socket Mode reconnect) the
platform delivers no reaction events, yet moderators keep deciding flags and members keep
voting on tickets. When the adapter says it is `Connected` again, a cog reads the reactions
now on the messages it watches and feeds what changed through its live handlers.

`ReactionLedger` is what makes that exactly once. Every reaction a cog handles on one of its
messages is marked (`first_time`), live or found later; a marked reaction is never handled
again, so a second reconnect finds nothing new and a reaction acted on before an outage is
not acted on after it. A reaction taken off is unmarked (`taken_off`); one taken off while
the bot was away shows up as marked but gone and is handed to the removal handler, so a
withdrawn vote is withdrawn once too. Marking happens before acting, atomically, so a live
event and a catch-up meeting the same reaction at the same moment act once between them;
the mark is finished after acting (`handling`), and a start settles marks a crash left
unfinished (`recover`), so an interrupted reaction is handled again, never lost.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager

from bot.errors import NotFound, PlatformError, PlatformUnavailable
from bot.events import ReactionAdded, ReactionRemoved
from bot.model import Member, MessageRef, UserRef
from bot.platform import Platform
from storage.database import Database, TransactionConflict
from storage.reaction_marks import ReactionMarks

log = logging.getLogger(__name__)

# How many of the most recent open items (flags, tickets) a catch-up reads by default: each
# is one or two platform requests, and Slack allows about 50 reads a minute, so 100 items
# take two minutes there at worst; an item older than the newest hundred is rarely reacted to.
DEFAULT_RECENT = 100

Added = Callable[[ReactionAdded], Awaitable[None]]
Removed = Callable[[ReactionRemoved], Awaitable[None]]


class ReactionLedger:
    """Which reactions on watched messages have been acted on."""

    def __init__(self, db: Database) -> None:
        self._marks = ReactionMarks(db)

    @asynccontextmanager
    async def handling(self, event: ReactionAdded) -> AsyncIterator[bool]:
        """``async with ledger.handling(event) as fresh:`` act only if `fresh` (the reaction
        was not handled before); the mark is finished when the block ends."""
        message = event.message
        key = (message.community.key, message.channel.id, message.id, event.emoji)
        fresh = await self._marks.claim(*key, event.member.id)
        try:
            yield fresh
        except TransactionConflict:
            # Rolled back, nothing acted on: the dispatcher runs the handler again
            # (`Database.retrying`), which must find the reaction fresh, not handled.
            if fresh:
                await self._marks.release(*key, event.member.id)
                fresh = False
            raise
        except Exception:
            # Failed part-way: perhaps nothing happened, perhaps the decision was stored.
            # Left unfinished, as a crash leaves it, the next start settles it by the item's
            # state (`recover`): handled again if the item is still open, never lost.
            fresh = False
            raise
        finally:
            if fresh:
                await self._marks.finish(*key, event.member.id)

    async def recover(self, still_open: Callable[[str, str, str], Awaitable[bool | None]]) -> None:
        """At start-up, settle the claims a crash left unfinished: on an item still open
        (`still_open(community, channel, message)` is True) the claim is dropped, so the
        catch-up hands the reaction to its handler again (they are idempotent per state);
        on a closed one it took effect, so it is finished. None: not this feature's item."""
        for community, channel, message, emoji, user in await self._marks.unfinished():
            is_open = await still_open(community, channel, message)
            if is_open is None:
                continue
            if is_open:
                await self._marks.release(community, channel, message, emoji, user)
            else:
                await self._marks.finish(community, channel, message, emoji, user)

    async def taken_off(self, event: ReactionRemoved) -> None:
        message = event.message
        await self._marks.release(
            message.community.key, message.channel.id, message.id, event.emoji, event.member.id
        )

    async def missed(
        self, platform: Platform, message: MessageRef, relevant: Callable[[str], bool]
    ) -> tuple[list[ReactionAdded], list[ReactionRemoved]]:
        """The reactions added and taken off since they were last handled."""
        now = {
            (reaction.emoji, user.id)
            for reaction in await platform.reactions(message)
            if relevant(reaction.emoji)
            for user in reaction.users
        }
        marked = {
            (emoji, user)
            for emoji, user in await self._marks.marked(
                message.community.key, message.channel.id, message.id
            )
            if relevant(emoji)
        }
        added: list[ReactionAdded] = []
        for emoji, user_id in sorted(now - marked):
            member = await platform.fetch_member(_user(message, user_id))
            if member is not None:  # someone who left since counts no more, as live
                added.append(ReactionAdded(message, member, emoji))
        removed: list[ReactionRemoved] = []
        for emoji, user_id in sorted(marked - now):
            member = await platform.fetch_member(_user(message, user_id))
            who = member or Member(message.community, user_id, user_id)
            removed.append(ReactionRemoved(message, who, emoji))
        return added, removed


async def catch_up(
    ledger: ReactionLedger,
    platform: Platform,
    messages: Iterable[MessageRef],
    *,
    added: Added,
    removed: Removed,
    relevant: Callable[[str], bool] = lambda emoji: True,
) -> int:
    """Feed what changed on `messages` to the live handlers; returns how many reactions.

    A message that is gone or unreadable is skipped with a log line; an unreachable platform
    ends the catch-up (the next reconnect tries again, and nothing was marked for the rest).
    """
    handled = 0
    for message in messages:
        try:
            new, gone = await ledger.missed(platform, message, relevant)
        except NotFound:
            continue
        except PlatformUnavailable as error:
            log.warning(
                "catching up on reactions stopped, %s is unavailable: %s", platform.name, error
            )
            break
        except PlatformError as error:
            log.warning("could not read the reactions on %s: %s", message, error)
            continue
        for event in (*gone, *new):
            try:
                if isinstance(event, ReactionAdded):
                    await added(event)
                else:
                    await removed(event)
            except Exception:
                log.exception("catching up on %r failed", event)
            handled += 1
    return handled


def _user(message: MessageRef, user_id: str) -> UserRef:
    return UserRef(message.community, user_id)
