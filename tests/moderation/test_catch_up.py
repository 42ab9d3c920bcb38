"""Moderators' reactions made while the bot was away are acted on once it is back, once."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from pathlib import Path

import pytest

from adapters.local import LocalCommunity
from adapters.local.community import LocalMessage
from bot.app.local_session import LocalSession
from bot.clock import VirtualClock
from bot.retention import pruner_for
from bot.settings import Settings
from cogs.moderation.cog import ModerationCog
from storage.moderation import FlagStatus, ModerationRepository
from storage.reaction_marks import ReactionMarks

CONFIG = """
[[moderation.rules]]
name = "swearing"
type = "keywords"
keywords = ["darn"]
"""


@pytest.fixture
async def session(
    settings: Settings, clock: VirtualClock, write_config: Callable[[str], Path]
) -> AsyncIterator[LocalSession]:
    write_config(CONFIG)
    community = LocalCommunity()
    community.now = clock.now
    community.add_member("Mo", roles=("Moderators",))
    community.add_member("Max", roles=("Moderators",))
    community.add_member("Ben")
    opened = await LocalSession.open(settings, clock=clock, community=community)
    yield opened
    await opened.app.close()


async def status(session: LocalSession, flag_id: int) -> FlagStatus:
    repo = ModerationRepository(session.app.services.db, session.app.services.audit)
    flag = await repo.flag(session.community.community.key, flag_id)
    assert flag is not None
    return flag.status


async def test_a_decision_made_while_the_bot_was_away_is_carried_out_once_back(
    session: LocalSession,
) -> None:
    c = session.community
    message = await c.post(c.member("Ben"), "#general", "darn it")
    flag = c.read("#moderators")[-1]
    c.disconnect()
    await c.react(c.member("Mo"), flag.number, "⚠️")
    assert not message.deleted and c.direct_messages(c.member("Ben")) == []

    await c.connect()
    assert message.deleted and "Warned**, by Mo" in flag.text
    assert len(c.direct_messages(c.member("Ben"))) == 1
    transcript = len(c.transcript)

    c.disconnect()
    await c.connect()  # a second reconnect finds nothing new
    assert len(c.direct_messages(c.member("Ben"))) == 1
    assert [line for line in c.transcript[transcript:] if "Botschafter:" in line] == []


async def test_a_reaction_acted_on_before_the_outage_is_not_acted_on_again(
    session: LocalSession,
) -> None:
    c = session.community
    await c.post(c.member("Ben"), "#general", "darn it")
    flag = c.read("#moderators")[-1]
    await c.react(c.member("Mo"), flag.number, "🔨")  # a ban needs two: one vote so far
    said = len(c.read("#moderators"))
    c.disconnect()
    await c.connect()
    assert len(c.read("#moderators")) == said  # no "you already voted", no second vote
    assert await status(session, 1) is FlagStatus.OPEN
    c.disconnect()
    await c.react(c.member("Max"), flag.number, "🔨")
    await c.connect()
    assert "ben" in c.banned


async def test_a_vote_taken_back_while_the_bot_was_away_is_withdrawn(
    session: LocalSession,
) -> None:
    c = session.community
    await c.post(c.member("Ben"), "#general", "darn it")
    flag = c.read("#moderators")[-1]
    await c.react(c.member("Mo"), flag.number, "🔨")
    c.disconnect()
    await c.unreact(c.member("Mo"), flag.number, "🔨")
    await c.connect()
    await c.react(c.member("Max"), flag.number, "🔨")
    assert "ben" not in c.banned  # Mo's vote no longer counts towards the two
    assert await status(session, 1) is FlagStatus.OPEN


async def test_a_members_reaction_found_after_a_reconnect_does_nothing(
    session: LocalSession,
) -> None:
    c = session.community
    message = await c.post(c.member("Ben"), "#general", "darn it")
    flag = c.read("#moderators")[-1]
    c.disconnect()
    await c.react(c.member("Ben"), flag.number, "✅")
    await c.connect()
    assert flag.reactions["✅"] == ["botschafter"]  # taken off, as live
    assert not message.deleted and await status(session, 1) is FlagStatus.OPEN


async def test_only_the_newest_open_flags_are_read(session: LocalSession) -> None:
    c = session.community
    config, now = session.app.services.config, session.clock.now()
    await config.set_override(c.community, "moderation.catch_up_flags", 1, "mo", now)
    first = await c.post(c.member("Ben"), "#general", "darn it")
    older = c.read("#moderators")[-1]
    c.add_member("Zoe")
    second = await c.post(c.member("Zoe"), "#general", "darn that")
    newer = c.read("#moderators")[-1]
    assert older is not newer
    c.disconnect()
    await c.react(c.member("Mo"), older.number, "🗑️")
    await c.react(c.member("Mo"), newer.number, "🗑️")
    await c.connect()
    assert second.deleted and not first.deleted


async def test_marks_of_settled_flags_are_pruned_after_the_retention_open_ones_kept(
    session: LocalSession, settings: Settings, clock: VirtualClock
) -> None:
    """The ledger keeps what was acted on; once a flag is settled and the retention has
    passed nothing reads its marks again, so they go, while an open flag keeps its own
    (a reconnect still finds Mo's vote counted and asks for nothing twice)."""
    c = session.community
    services = session.app.services
    marks = ReactionMarks(services.db)
    await c.post(c.member("Ben"), "#general", "darn it")
    settled = c.read("#moderators")[-1]
    await c.react(c.member("Mo"), settled.number, "⚠️")
    await c.post(c.add_member("Cy"), "#general", "darn again")
    still_open = c.read("#moderators")[-1]
    await c.react(c.member("Mo"), still_open.number, "🔨")

    def marked(flag: LocalMessage) -> Awaitable[set[tuple[str, str]]]:
        ref = c.message_ref(flag)
        return marks.marked(ref.community.key, ref.channel.id, ref.id)

    pruner = pruner_for(services.db, settings, clock)
    await pruner.run_if_due()
    assert await marked(settled) != set()  # settled moments ago: kept for the retention
    clock.advance(timedelta(days=settings.retention_days + 1))
    await pruner.run_if_due()
    assert await marked(settled) == set()
    assert await marked(still_open) == {("🔨", c.member("Mo").id)}
    said = len(c.read("#moderators"))
    c.disconnect()
    await c.connect()
    assert len(c.read("#moderators")) == said
    assert await status(session, 2) is FlagStatus.OPEN


async def test_a_reaction_whose_handling_failed_is_acted_on_after_the_next_start(
    session: LocalSession,
    settings: Settings,
    clock: VirtualClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    c = session.community
    message = await c.post(c.member("Ben"), "#general", "darn it")
    flag = c.read("#moderators")[-1]
    cog = next(x for x in session.app.dispatcher.cogs if isinstance(x, ModerationCog))

    async def fails(*args: object, **kwargs: object) -> object:
        raise RuntimeError("database is locked")

    monkeypatch.setattr(cog.settler, "decide", fails)
    await c.react(c.member("Mo"), flag.number, "⚠️")
    assert not message.deleted  # the failure left the flag as it was
    await session.app.close()

    restarted = await LocalSession.open(settings, clock=clock, community=c)
    session.app = restarted.app  # the fixture closes this one
    assert message.deleted and "Warned**, by Mo" in flag.text
    assert len(c.direct_messages(c.member("Ben"))) == 1


async def appeal_on_the_desk(c: LocalCommunity) -> LocalMessage:
    """Mo warns Ben, Ben appeals: the appeal's post on the moderators' desk."""
    await c.run(c.member("Mo"), "/warn @ben rude to newcomers")
    await c.run(c.member("Ben"), "/appeal 1 I was quoting someone else")
    appeal = c.read("#moderators")[-1]
    assert "Appeal #1" in appeal.text and set(appeal.reactions) == {"✅", "↩️"}
    return appeal


def told(c: LocalCommunity, who: str, words: str) -> int:
    return len([m for m in c.direct_messages(c.member(who)) if words in m.text])


async def test_an_appeal_decided_while_the_bot_was_stopped_is_carried_out_once_after_restart(
    session: LocalSession, settings: Settings, clock: VirtualClock
) -> None:
    c = session.community
    appeal = await appeal_on_the_desk(c)
    await session.app.close()
    c.dispatch = None  # nobody hears while the bot is stopped
    await c.react(c.member("Max"), appeal.number, "↩️")
    assert "Status: Open" in appeal.text

    session.app = (await LocalSession.open(settings, clock=clock, community=c)).app
    assert "↩️ **Lifted**, by Max" in appeal.text
    assert told(c, "Ben", "was accepted") == 1  # the member hears once
    assert told(c, "Max", "Appeal #1") == 1  # and the moderator is answered once
    await session.app.close()

    session.app = (await LocalSession.open(settings, clock=clock, community=c)).app
    assert told(c, "Ben", "was accepted") == 1 and told(c, "Max", "Appeal #1") == 1


async def test_an_appeal_vote_made_while_the_connection_was_down_counts_once(
    session: LocalSession,
) -> None:
    c = session.community
    appeal = await appeal_on_the_desk(c)
    c.disconnect()
    await c.react(c.member("Max"), appeal.number, "✅")
    await c.react(c.member("Ben"), appeal.number, "↩️")  # not a moderator
    await c.connect()
    assert "✅ **Upheld**, by Max" in appeal.text
    assert appeal.reactions["↩️"] == ["botschafter"]  # Ben's taken off, as live
    answers = len(c.direct_messages(c.member("Max")))
    c.disconnect()
    await c.connect()  # a second reconnect finds nothing new: no "you voted already"
    assert len(c.direct_messages(c.member("Max"))) == answers


async def test_marks_of_a_decided_appeal_are_pruned_after_the_retention(
    session: LocalSession, settings: Settings, clock: VirtualClock
) -> None:
    c = session.community
    appeal = await appeal_on_the_desk(c)
    await c.react(c.member("Max"), appeal.number, "✅")
    ref = c.message_ref(appeal)
    marks = ReactionMarks(session.app.services.db)
    marked = await marks.marked(ref.community.key, ref.channel.id, ref.id)
    assert marked == {("✅", c.member("Max").id)}
    pruner = pruner_for(session.app.services.db, settings, clock)
    clock.advance(timedelta(days=settings.retention_days + 1))
    await pruner.run_if_due()
    assert await marks.marked(ref.community.key, ref.channel.id, ref.id) == set()


async def test_an_appeal_reaction_taken_off_again_while_the_bot_was_away_decides_nothing(
    session: LocalSession,
) -> None:
    c = session.community
    appeal = await appeal_on_the_desk(c)
    c.disconnect()
    await c.react(c.member("Max"), appeal.number, "↩️")
    await c.unreact(c.member("Max"), appeal.number, "↩️")
    await c.connect()
    assert "Status: Open" in appeal.text
    assert told(c, "Ben", "was accepted") == 0 and told(c, "Max", "Appeal #1") == 0


async def test_a_members_reaction_on_an_appeal_while_the_bot_was_away_never_counts(
    session: LocalSession, settings: Settings, clock: VirtualClock
) -> None:
    """Ben (no moderator) reacts ↩️ on his own appeal while the bot is stopped: after the
    restart it is taken off and decides nothing, and a second restart finds nothing."""
    c = session.community
    appeal = await appeal_on_the_desk(c)
    await session.app.close()
    c.dispatch = None
    await c.react(c.member("Ben"), appeal.number, "↩️")
    session.app = (await LocalSession.open(settings, clock=clock, community=c)).app
    assert "Status: Open" in appeal.text
    assert appeal.reactions["↩️"] == ["botschafter"]
    await session.app.close()
    session.app = (await LocalSession.open(settings, clock=clock, community=c)).app
    assert "Status: Open" in appeal.text and told(c, "Ben", "was accepted") == 0


async def test_a_reaction_on_an_appeal_decided_before_the_outage_is_not_acted_on_again(
    session: LocalSession,
) -> None:
    c = session.community
    appeal = await appeal_on_the_desk(c)
    await c.react(c.member("Max"), appeal.number, "✅")
    assert "✅ **Upheld**, by Max" in appeal.text
    answers = len(c.direct_messages(c.member("Max")))
    c.disconnect()
    await c.react(c.member("Mo"), appeal.number, "↩️")
    await c.connect()
    assert "✅ **Upheld**, by Max" in appeal.text and "Lifted" not in appeal.text
    assert told(c, "Ben", "was accepted") == 0
    assert len(c.direct_messages(c.member("Max"))) == answers
