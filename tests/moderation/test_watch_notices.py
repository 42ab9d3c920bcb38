"""Watch words reach the ambassadors once per member, topic and window: repeats count on
the same notice, edited in place, and nothing is lost or told twice across a restart."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from adapters.local import LocalCommunity
from adapters.local.community import LocalMessage
from adapters.local.platform import LocalPlatform
from bot.app.local_session import LocalSession
from bot.clock import VirtualClock
from bot.errors import MissingPermission, PlatformUnavailable
from bot.settings import Settings

CONFIG = """
[[moderation.rules]]
name = "refunds"
type = "watch_words"
keywords = ["refund*"]

[[moderation.rules]]
name = "competitors"
type = "watch_words"
keywords = ["othercorp"]
"""


async def open_session(
    settings: Settings, clock: VirtualClock, write_config: Callable[[str], Path], extra: str = ""
) -> LocalSession:
    write_config(extra + CONFIG)
    community = LocalCommunity()
    community.now = clock.now
    for name in ("Ben", "Cleo"):
        community.add_member(name)
    return await LocalSession.open(settings, clock=clock, community=community)


@pytest.fixture
async def session(
    settings: Settings, clock: VirtualClock, write_config: Callable[[str], Path]
) -> AsyncIterator[LocalSession]:
    opened = await open_session(settings, clock, write_config)
    yield opened
    await opened.app.close()


def notices(session: LocalSession) -> list[LocalMessage]:
    return session.community.read("#ambassadors")


async def say(session: LocalSession, who: str, text: str, after: timedelta = timedelta(0)) -> None:
    if after:
        await session.advance(after)
    c = session.community
    await c.post(c.member(who), "#general", text)


async def test_three_mentions_are_one_notice_with_a_count_and_the_latest_message(
    session: LocalSession,
) -> None:
    await say(session, "Ben", "when do I get my refund?")
    await say(session, "Ben", "still no refund", after=timedelta(minutes=5))
    await say(session, "Ben", "REFUND NOW please", after=timedelta(minutes=5))
    [notice] = notices(session)
    assert notice.edited
    assert "Ben mentioned refunds 3 times since 2026-01-05 09:00 UTC" in notice.text
    assert "“REFUND NOW please”" in notice.text and "when do I get" not in notice.text
    latest = session.community.read("#general")[-1]
    assert f"<local:/general/{latest.number}>" in notice.text
    assert notice.pinged == ()


async def test_after_the_window_a_new_notice_starts(session: LocalSession) -> None:
    await say(session, "Ben", "refund?")
    await say(session, "Ben", "refund!!", after=timedelta(minutes=30))
    await say(session, "Ben", "refund again", after=timedelta(minutes=31))
    first, second = notices(session)
    assert "2 times since 2026-01-05 09:00 UTC" in first.text
    assert "Ben mentioned refunds in #general: “refund again”" in second.text
    assert not second.edited


async def test_each_member_and_topic_has_its_own_notice(session: LocalSession) -> None:
    await say(session, "Ben", "refund?")
    await say(session, "Cleo", "refund?")
    await say(session, "Ben", "othercorp does refunds faster")
    texts = [n.text for n in notices(session)]
    assert len(texts) == 3
    assert "Ben mentioned refunds 2 times" in texts[0]
    assert texts[1].startswith("👀 Cleo mentioned refunds in #general")
    assert texts[2].startswith("👀 Ben mentioned competitors in #general")


async def test_a_notice_someone_deleted_is_posted_again_on_the_next_repeat(
    session: LocalSession,
) -> None:
    await say(session, "Ben", "refund?")
    [first] = notices(session)
    first.deleted = True  # an ambassador removed it
    await say(session, "Ben", "refund??")
    [again] = notices(session)
    assert again.number != first.number
    assert "Ben mentioned refunds 2 times since" in again.text
    await say(session, "Ben", "refund???")
    assert [n.number for n in notices(session)] == [again.number]
    assert "3 times" in notices(session)[0].text


async def test_a_repeat_while_the_notice_waits_for_the_platform_is_counted_on_it(
    session: LocalSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = LocalPlatform.send
    down = [True]

    async def flaky(self: LocalPlatform, *args: Any, **kwargs: Any) -> Any:
        if down[0]:
            raise PlatformUnavailable("the platform is down")
        return await original(self, *args, **kwargs)

    monkeypatch.setattr(LocalPlatform, "send", flaky)
    await say(session, "Ben", "refund?")
    assert notices(session) == []
    down[0] = False
    await say(session, "Ben", "refund!!")  # its own post is still queued: nothing new
    await session.advance(timedelta(minutes=5))
    [notice] = notices(session)
    assert "Ben mentioned refunds 2 times since" in notice.text
    assert "“refund!!”" in notice.text


async def test_a_crash_before_the_edit_is_sent_loses_no_repeat_and_edits_once(
    settings: Settings, clock: VirtualClock, write_config: Callable[[str], Path]
) -> None:
    session = await open_session(settings, clock, write_config)
    await say(session, "Ben", "refund?")

    async def crash(*args: object) -> None:
        raise RuntimeError("power cut")

    session.app.services.outbox.deliver = crash  # type: ignore[method-assign]
    await say(session, "Ben", "refund, second time")
    await session.app.close()

    c = session.community
    restarted = await LocalSession.open(settings, clock=clock, community=c)
    try:
        await restarted.run_due_jobs()
        await restarted.run_due_jobs()
        [notice] = notices(restarted)
        assert "2 times since" in notice.text
        edits = [line for line in c.transcript if line.startswith(f"(edited {notice.number})")]
        assert len(edits) == 1
        await say(restarted, "Ben", "refund, third time")
        [notice] = notices(restarted)
        assert "3 times since" in notice.text
    finally:
        await restarted.app.close()


async def test_an_edit_of_a_watched_message_counts_nothing(session: LocalSession) -> None:
    c = session.community
    message = await c.post(c.member("Ben"), "#general", "my refund?")
    await c.edit(c.member("Ben"), message.number, "my refund??")
    [notice] = notices(session)
    assert not notice.edited and "Ben mentioned refunds in #general" in notice.text


async def test_the_window_is_the_communitys_choice(
    settings: Settings, clock: VirtualClock, write_config: Callable[[str], Path]
) -> None:
    session = await open_session(
        settings, clock, write_config, '[moderation]\nwatch_window = "10m"\n'
    )
    try:
        await say(session, "Ben", "refund?")
        await say(session, "Ben", "refund!!", after=timedelta(minutes=15))
        assert len(notices(session)) == 2
    finally:
        await session.app.close()


async def test_in_german_the_count_reads_german(
    settings: Settings, clock: VirtualClock, write_config: Callable[[str], Path]
) -> None:
    session = await open_session(settings, clock, write_config, '[community]\nlocale = "de"\n')
    try:
        await say(session, "Ben", "refund?")
        await say(session, "Ben", "refund!!")
        [notice] = notices(session)
        assert "Ben hat refunds seit 5.1.2026, 09:00 UTC 2-mal erwähnt" in notice.text
    finally:
        await session.app.close()


async def test_a_refused_notice_posted_again_is_posted_once_while_repeats_arrive(
    session: LocalSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = LocalPlatform.send
    state = ["refused"]

    async def flaky(self: LocalPlatform, *args: Any, **kwargs: Any) -> Any:
        if state[0] == "refused":
            raise MissingPermission("the bot may not post there")
        if state[0] == "down":
            raise PlatformUnavailable("the platform is down")
        return await original(self, *args, **kwargs)

    monkeypatch.setattr(LocalPlatform, "send", flaky)
    await say(session, "Ben", "refund?")  # refused: the next repeat posts it again
    state[0] = "down"
    await say(session, "Ben", "refund!!")  # the post again is on its way
    await say(session, "Ben", "refund, third time")  # counted on that post, not a second one
    state[0] = "up"
    await session.advance(timedelta(minutes=5))
    [notice] = notices(session)
    assert "Ben mentioned refunds 3 times since" in notice.text
