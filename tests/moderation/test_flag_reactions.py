"""A flag's pre-added reactions: one outbox entry for all of them, added in order, once,
whatever cuts the run short (an outage after some of them, a crash, one refused emoji)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from adapters.local.identity import BOT_ID
from bot.app.local_session import LocalSession
from bot.effects import React
from bot.errors import NotFound, PlatformError, PlatformUnavailable
from bot.model import MessageRef
from storage.outbox import OutboxRepository

# The moderation cog's default reactions, mildest first.
FLAG_REACTIONS = ["✅", "🗑️", "⚠️", "🔇", "👢", "🔨"]


@pytest.fixture
def session(swearing_session: LocalSession) -> LocalSession:
    return swearing_session


async def flag_entries(session: LocalSession) -> list[tuple[str, str]]:
    """The outbox entries flag #1 wrote: (kind, status), oldest first."""
    rows = await session.app.services.db.fetch_all(
        "SELECT kind, status FROM outbox WHERE idempotency_key LIKE 'moderation:flag:1:%'"
        " ORDER BY id"
    )
    return [(row["kind"], row["status"]) for row in rows]


def reacted(session: LocalSession) -> list[str]:
    """The bot's reactions on the flag, in the order they were added."""
    [flag] = session.community.read("#moderators")
    return [emoji for emoji, users in flag.reactions.items() if users]


def interrupt_reactions(session: LocalSession, after: int, error: Exception) -> list[str]:
    """Let the platform add `after` reactions, then answer every later one with `error`
    until the returned list is cleared."""
    platform = session.app.services.platform(session.community.community)
    original = platform.add_reaction
    added = [0]
    failing = ["on"]

    async def add_reaction(message: MessageRef, emoji: str) -> None:
        if failing and added[0] >= after:
            raise error
        await original(message, emoji)
        added[0] += 1

    platform.add_reaction = add_reaction  # type: ignore[method-assign]
    return failing


async def test_a_flag_writes_its_post_and_one_entry_for_all_its_reactions(
    session: LocalSession,
) -> None:
    c = session.community
    await c.post(c.member("Ben"), "#general", "darn")

    assert reacted(session) == FLAG_REACTIONS
    assert await flag_entries(session) == [("post", "delivered"), ("react_all", "delivered")]


async def test_an_outage_after_three_reactions_adds_the_rest_later_each_once(
    session: LocalSession,
) -> None:
    c = session.community
    failing = interrupt_reactions(session, 3, PlatformUnavailable("rate limited"))
    await c.post(c.member("Ben"), "#general", "darn")
    assert reacted(session) == FLAG_REACTIONS[:3]
    assert await flag_entries(session) == [("post", "delivered"), ("react_all", "pending")]

    failing.clear()  # the outage passes
    await session.advance(timedelta(minutes=1))

    assert reacted(session) == FLAG_REACTIONS
    [flag] = c.read("#moderators")
    assert all(users == [BOT_ID] for users in flag.reactions.values())
    assert await flag_entries(session) == [("post", "delivered"), ("react_all", "delivered")]


async def test_reactions_cut_off_by_a_crash_are_completed_once(session: LocalSession) -> None:
    c = session.community
    services = session.app.services
    failing = interrupt_reactions(session, 2, RuntimeError("killed"))
    await c.post(c.member("Ben"), "#general", "darn")
    failing.clear()
    # The process died during the third reaction: the entry stays running, and the
    # restart takes it again as recovering.
    await services.db.execute("UPDATE outbox SET status = 'running' WHERE kind = 'react_all'")
    await services.outbox.start()

    await session.advance(timedelta(minutes=1))

    assert reacted(session) == FLAG_REACTIONS
    [flag] = c.read("#moderators")
    assert all(users == [BOT_ID] for users in flag.reactions.values())
    assert await flag_entries(session) == [("post", "delivered"), ("react_all", "delivered")]


async def test_one_refused_emoji_costs_none_of_the_others_and_is_reported(
    session: LocalSession, caplog: pytest.LogCaptureFixture
) -> None:
    c = session.community
    platform = session.app.services.platform(c.community)
    original = platform.add_reaction

    async def refuse_the_warning(message: MessageRef, emoji: str) -> None:
        if emoji == "⚠️":
            raise PlatformError("Discord does not know that emoji")
        await original(message, emoji)

    platform.add_reaction = refuse_the_warning  # type: ignore[method-assign]
    await c.post(c.member("Ben"), "#general", "darn")

    assert reacted(session) == [e for e in FLAG_REACTIONS if e != "⚠️"]
    assert await flag_entries(session) == [("post", "delivered"), ("react_all", "failed")]
    assert "Discord does not know that emoji" in caplog.text


async def test_a_single_reaction_written_by_an_older_version_still_goes_out(
    session: LocalSession,
) -> None:
    c = session.community
    services = session.app.services
    said = await c.post(c.member("Ben"), "#general", "hello")
    ref = c.message_ref(said)
    async with services.db.transaction() as tx:
        pending = await services.outbox.add(tx, React(ref, "👍"))

    await services.outbox.deliver(pending)

    assert said.reactions == {"👍": [BOT_ID]}
    entry = await OutboxRepository(services.db).get(pending.id)
    assert entry is not None and (entry.kind, entry.status) == ("react", "delivered")


async def test_a_flag_deleted_before_its_reactions_costs_one_refused_call_not_six(
    session: LocalSession,
) -> None:
    c = session.community
    platform = session.app.services.platform(c.community)
    calls: list[str] = []

    async def gone(message: MessageRef, emoji: str) -> None:
        calls.append(emoji)
        raise NotFound("Unknown Message")

    platform.add_reaction = gone  # type: ignore[method-assign]
    await c.post(c.member("Ben"), "#general", "darn")

    assert calls == ["✅"]
    assert await flag_entries(session) == [("post", "delivered"), ("react_all", "failed")]
