"""The outbox: effects written with their state change, carried out once, honestly."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest

from adapters.local import LocalPlatform
from bot.app.local_session import LocalSession
from bot.delivery import Outcome, Then
from bot.effects import (
    Call,
    Delete,
    DirectMessage,
    Edit,
    GrantRole,
    Kick,
    OpenThread,
    Post,
    ReactAll,
    Timeout,
)
from bot.errors import PlatformUnavailable
from bot.model import ChannelRef, Community
from bot.outgoing import OutgoingMessage
from storage.database import Transaction
from storage.outbox import OutboxRepository


def channel(session: LocalSession, name: str) -> ChannelRef:
    return session.community.ref(session.community.channel_named(name))


def texts(session: LocalSession, name: str) -> list[str]:
    return [m.text for m in session.community.read(name)]


async def post(session: LocalSession, text: str, **options: Any) -> Outcome:
    outbox = session.app.services.outbox
    async with session.app.services.db.transaction() as tx:
        pending = await outbox.add(
            tx, Post(channel(session, "general"), OutgoingMessage.of(text)), **options
        )
    (outcome,) = await outbox.deliver(pending)
    return outcome


def fail_sends(monkeypatch: pytest.MonkeyPatch, times: int) -> list[int]:
    """Make the local platform's next `times` posts fail as an outage would."""
    original = LocalPlatform.send
    failures = [times]

    async def flaky(self: LocalPlatform, *args: Any, **kwargs: Any) -> Any:
        if failures[0] > 0:
            failures[0] -= 1
            raise PlatformUnavailable("the platform is down")
        return await original(self, *args, **kwargs)

    monkeypatch.setattr(LocalPlatform, "send", flaky)
    return failures


async def test_a_delivered_post_is_visible_and_reported_as_delivered(session: LocalSession):
    outcome = await post(session, "hello there")

    assert outcome.delivered
    assert texts(session, "general") == ["hello there"]
    assert outcome.result.channel.id == channel(session, "general").id


async def test_the_same_key_is_written_once(session: LocalSession):
    await post(session, "only once", key="greeting:1")
    await post(session, "only once", key="greeting:1")

    assert texts(session, "general") == ["only once"]


async def test_a_thread_on_a_new_post_opens_after_the_post(session: LocalSession):
    outbox = session.app.services.outbox
    async with session.app.services.db.transaction() as tx:
        opener = await outbox.add(tx, Post(channel(session, "tickets"), OutgoingMessage.of("#1")))
        thread = await outbox.add(tx, OpenThread(opener.message, "#1 Dark mode"))
        inside = await outbox.add(tx, Post(thread.thread, OutgoingMessage.of("first update")))

    outcomes = await outbox.deliver(inside, opener, thread)

    assert all(outcome.delivered for outcome in outcomes)
    assert texts(session, "#1 Dark mode") == ["first update"]
    assert texts(session, "tickets") == ["#1"]


async def test_an_outage_queues_the_post_and_it_goes_out_once_later(
    session: LocalSession, monkeypatch: pytest.MonkeyPatch
):
    fail_sends(monkeypatch, times=1)

    outcome = await post(session, "flag #1")

    assert outcome.queued
    assert texts(session, "general") == []
    await session.advance(timedelta(minutes=1))
    assert texts(session, "general") == ["flag #1"]
    await session.advance(timedelta(days=2))
    assert texts(session, "general") == ["flag #1"]


async def test_continuations_learn_the_outcome_in_the_recording_transaction(
    session: LocalSession, monkeypatch: pytest.MonkeyPatch
):
    seen: list[tuple[bool, dict[str, Any]]] = []

    async def remember(tx: Transaction, outcome: Outcome, data: dict[str, Any]) -> None:
        seen.append((outcome.delivered, data))

    session.app.services.outbox.on("test.remember", remember)
    fail_sends(monkeypatch, times=1)

    await post(session, "flag #2", then=Then("test.remember", {"flag": 2}))
    assert seen == []  # still queued: nothing to learn yet
    await session.advance(timedelta(minutes=1))

    assert seen == [(True, {"flag": 2})]


async def test_a_missing_channel_fails_for_good_and_so_does_what_builds_on_it(
    session: LocalSession,
):
    outbox = session.app.services.outbox
    gone = ChannelRef(channel(session, "general").community, "no-such-channel")
    async with session.app.services.db.transaction() as tx:
        opener = await outbox.add(tx, Post(gone, OutgoingMessage.of("lost?")))
        thread = await outbox.add(tx, OpenThread(opener.message, "never"))

    first, second = await outbox.deliver(opener, thread)

    assert not first.delivered and first.error is not None
    assert not second.delivered and second.error is not None
    statuses = await OutboxRepository(session.app.services.db).count_by_status()
    assert statuses == {"failed": 2}


async def test_a_post_cut_off_by_a_crash_is_not_posted_twice(session: LocalSession):
    services = session.app.services
    repository = OutboxRepository(services.db)
    outcome = await post(session, "exactly once", key="flag:9")
    # A crash after the platform posted but before the outcome was recorded leaves the
    # entry running; the restart re-queues it as recovering.
    await services.db.execute(
        "UPDATE outbox SET status = 'running' WHERE id = ?", (outcome.entry_id,)
    )
    await services.outbox.start()

    await services.outbox.run_due()

    assert texts(session, "general") == ["exactly once"]
    entry = await repository.get(outcome.entry_id)
    assert entry is not None and entry.status == "delivered"


async def test_only_the_latest_pending_edit_is_applied(
    session: LocalSession, monkeypatch: pytest.MonkeyPatch
):
    outcome = await post(session, "tracker: open")
    outbox = session.app.services.outbox
    edits = []
    async with session.app.services.db.transaction() as tx:
        for state in ("claimed", "waiting", "resolved"):
            edits.append(await outbox.add(tx, Edit(outcome.result, OutgoingMessage.of(state))))

    await outbox.deliver(*edits)

    assert texts(session, "general") == ["resolved"]
    statuses = await OutboxRepository(session.app.services.db).count_by_status()
    assert statuses == {"delivered": 2, "superseded": 2}


async def test_a_recovered_kick_of_a_member_already_gone_counts_as_done(session: LocalSession):
    services = session.app.services
    ben = session.community.member("Ben")
    async with services.db.transaction() as tx:
        pending = await services.outbox.add(tx, Kick(ben.ref, "spam"))
    del session.community.members[ben.id]  # the cut-off attempt had kicked them
    await services.db.execute("UPDATE outbox SET status = 'running' WHERE id = ?", (pending.id,))
    await services.outbox.start()

    await services.outbox.run_due()

    entry = await OutboxRepository(services.db).get(pending.id)
    assert entry is not None and entry.status == "delivered"


async def test_a_repeated_timeout_keeps_its_end(session: LocalSession, clock):
    services = session.app.services
    ben = session.community.member("Ben")
    until = clock.now() + timedelta(hours=1)
    async with services.db.transaction() as tx:
        pending = await services.outbox.add(tx, Timeout(ben.ref, until, "spam"))
    clock.set(clock.now() + timedelta(minutes=20))  # the retry comes 20 minutes late

    await services.outbox.deliver(pending)

    assert session.community.timeouts[ben.id] == until.isoformat()


async def test_closed_direct_messages_are_a_failure_the_cog_hears_about(session: LocalSession):
    services = session.app.services
    ben = session.community.member("Ben")
    session.community.dms_closed.add(ben.id)
    async with services.db.transaction() as tx:
        pending = await services.outbox.add(tx, DirectMessage(ben.ref, OutgoingMessage.of("hi")))

    (outcome,) = await services.outbox.deliver(pending)

    assert not outcome.delivered and type(outcome.error).__name__ == "DirectMessagesClosed"


async def test_an_edit_written_after_the_post_went_out_still_comes_after_earlier_ones(
    session: LocalSession,
):
    outbox = session.app.services.outbox
    async with session.app.services.db.transaction() as tx:
        alert = await outbox.add(tx, Post(channel(session, "general"), OutgoingMessage.of("3")))
        await outbox.add(
            tx, Edit(alert.message, OutgoingMessage.of("4 joined")), after=timedelta(minutes=5)
        )
    (posted,) = await outbox.deliver(alert)  # the earlier edit still waits (e.g. a backoff)
    async with session.app.services.db.transaction() as tx:
        late = await outbox.add(tx, Edit(posted.result, OutgoingMessage.of("5 joined")))

    await outbox.deliver(late)
    await session.advance(timedelta(hours=1))

    assert texts(session, "general") == ["5 joined"]


async def test_a_cancelled_entry_and_what_builds_on_it_never_happen(
    session: LocalSession, monkeypatch: pytest.MonkeyPatch
):
    outbox = session.app.services.outbox
    seen: list[Outcome] = []

    async def remember(tx: Transaction, outcome: Outcome, data: dict[str, Any]) -> None:
        seen.append(outcome)

    outbox.on("test.cancelled", remember)
    fail_sends(monkeypatch, times=1)
    async with session.app.services.db.transaction() as tx:
        ping = await outbox.add(
            tx,
            Post(channel(session, "general"), OutgoingMessage.of("nobody answered #1")),
            key="ping:1",
            then=Then("test.cancelled", {}),
        )
        await outbox.add(tx, OpenThread(ping.message, "about the ping"))
    (queued,) = await outbox.deliver(ping)
    assert queued.queued
    async with session.app.services.db.transaction() as tx:
        assert await outbox.cancel(tx, "ping:1")  # someone answered meanwhile

    await session.advance(timedelta(hours=1))

    assert texts(session, "general") == [] and seen == []
    statuses = await OutboxRepository(session.app.services.db).count_by_status()
    assert statuses == {"cancelled": 2}
    (known,) = await outbox.deliver(ping)
    assert not known.delivered and type(known.error).__name__ == "Cancelled"


async def test_a_delivered_entry_cannot_be_cancelled(session: LocalSession):
    await post(session, "already out", key="ping:2")
    async with session.app.services.db.transaction() as tx:
        assert not await session.app.services.outbox.cancel(tx, "ping:2")
        assert not await session.app.services.outbox.cancel(tx, "no such key")

    assert texts(session, "general") == ["already out"]


async def test_an_outcome_counts_the_attempts_it_took(
    session: LocalSession, monkeypatch: pytest.MonkeyPatch
):
    seen: list[int] = []

    async def remember(tx: Transaction, outcome: Outcome, data: dict[str, Any]) -> None:
        seen.append(outcome.attempts)

    session.app.services.outbox.on("test.attempts", remember)
    fail_sends(monkeypatch, times=2)

    await post(session, "third time lucky", then=Then("test.attempts", {}))
    await session.advance(timedelta(seconds=5))
    await session.advance(timedelta(seconds=30))

    assert seen == [3]


async def test_a_call_in_back_off_holds_up_no_other_community(session: LocalSession):
    services = session.app.services
    here = channel(session, "general").community
    elsewhere = Community(here.platform, "elsewhere")
    reached: list[str] = []

    async def company(data: dict[str, Any], attempt: Any) -> None:
        if data["who"] == "down":
            raise PlatformUnavailable("the company is down")
        reached.append(data["who"])

    services.outbox.handle_calls("test.company", company)
    async with services.db.transaction() as tx:
        down = await services.outbox.add(tx, Call(here, "test.company", {"who": "down"}))
        up = await services.outbox.add(tx, Call(elsewhere, "test.company", {"who": "up"}))

    first, second = await services.outbox.deliver(down, up)

    assert first.queued and second.delivered and reached == ["up"]


async def test_waiting_lists_what_is_not_carried_out_yet_by_key_prefix(
    session: LocalSession, monkeypatch: pytest.MonkeyPatch
):
    await post(session, "out", key="ticket:1:follow-up:0:post")
    fail_sends(monkeypatch, times=2)
    await post(session, "held back", key="ticket:1:follow-up:1:post")
    await post(session, "another ticket", key="ticket:12:follow-up:0:post")

    waiting = await session.app.services.outbox.waiting("ticket:1:")

    assert [(w.key, w.kind, w.attempts) for w in waiting] == [
        ("ticket:1:follow-up:1:post", "post", 1)
    ]


async def test_retries_within_one_stretch_of_time_all_happen(
    session: LocalSession, monkeypatch: pytest.MonkeyPatch
):
    fail_sends(monkeypatch, times=3)

    outcome = await post(session, "flag #3")
    await session.advance(timedelta(minutes=10))  # retries after 5 s, 30 s and 2 min

    assert outcome.queued
    assert texts(session, "general") == ["flag #3"]


async def test_recovered_moderation_steps_already_done_are_not_repeated(session: LocalSession):
    services = session.app.services
    ben = session.community.member("Ben")
    until = services.clock.now() + timedelta(hours=1)
    said = await post(session, "spam")
    async with services.db.transaction() as tx:
        steps = [
            await services.outbox.add(tx, Delete(said.result)),
            await services.outbox.add(tx, Timeout(ben.ref, until, "spam")),
            await services.outbox.add(tx, GrantRole(ben.ref, "Members", "rules")),
        ]
    await services.outbox.deliver(*steps)
    before = list(session.community.transcript)
    # The process died after each platform call and before the write that records it.
    await services.db.execute("UPDATE outbox SET status = 'running' WHERE kind <> 'post'")
    await services.outbox.start()

    await services.outbox.run_due()

    assert session.community.transcript == before  # nothing deleted, timed out or granted again
    statuses = await OutboxRepository(services.db).count_by_status()
    assert statuses == {"delivered": 4}


async def test_a_post_held_behind_one_in_back_off_leaves_the_loop_asleep_until_it_may_go(
    session: LocalSession, monkeypatch: pytest.MonkeyPatch
):
    """Two posts in one channel during an outage: the second waits for the first. The loop
    sleeps until the first is due again (it used to run again at once, thousands of times
    a second, while the second's due time lay in the past)."""
    outbox = session.app.services.outbox
    fail_sends(monkeypatch, times=1)
    first = await post(session, "first")
    second = await post(session, "second")
    assert first.queued and second.queued
    passes = 0
    run_due = outbox.run_due

    async def counted() -> int:
        nonlocal passes
        passes += 1
        return await run_due()

    monkeypatch.setattr(outbox, "run_due", counted)
    loop = asyncio.create_task(outbox.run_forever())
    await asyncio.sleep(0.3)
    assert passes <= 2
    assert await outbox.next_due_at(session.clock.now()) == session.clock.now() + timedelta(
        seconds=5
    )
    await session.advance(timedelta(seconds=5))
    outbox.stop()
    await loop
    assert texts(session, "general") == ["first", "second"]


async def test_what_a_continuation_adds_goes_out_once_even_when_delivery_is_cut_short(
    session: LocalSession,
):
    """The entry a continuation adds is claimed with the outcome that added it; when the
    `deliver` carrying it is cut short first, the loop carries it out, once."""
    services = session.app.services
    outbox = services.outbox

    async def follow_up(tx: Transaction, outcome: Outcome, data: dict[str, Any]) -> None:
        await outbox.add(tx, Post(channel(session, "general"), OutgoingMessage.of("follow-up")))

    async def cut_short(data: dict[str, Any], attempt: Any) -> None:
        raise asyncio.CancelledError

    outbox.on("test.follow_up", follow_up)
    outbox.handle_calls("test.cut_short", cut_short)
    here = channel(session, "general").community
    async with services.db.transaction() as tx:
        first = await outbox.add(
            tx,
            Post(channel(session, "general"), OutgoingMessage.of("first")),
            then=Then("test.follow_up", {}),
        )
        stopper = await outbox.add(tx, Call(here, "test.cut_short", {}))
    with pytest.raises(asyncio.CancelledError):
        await outbox.deliver(first, stopper)
    assert texts(session, "general") == ["first"]

    await outbox.run_due()
    await outbox.run_due()

    assert texts(session, "general") == ["first", "follow-up"]
    [done] = [e for e in await OutboxRepository(services.db).list() if e.kind == "post"][1:]
    assert done.status == "delivered" and done.attempts == 1


async def test_an_entry_cut_off_by_a_cancelled_deliver_goes_out_once_its_lease_runs_out(
    session: LocalSession, monkeypatch: pytest.MonkeyPatch
):
    """A `deliver` cancelled mid-call (the watchdog, a shutdown) leaves its entry running
    under a lease nobody renews; the sleeping loop wakes when that lease runs out and
    carries it out, and the entry queued behind it, once."""
    outbox = session.app.services.outbox
    object.__setattr__(outbox._entries.holder, "seconds", 0.3)  # a short lease for the test
    original = LocalPlatform.send
    hang = [True]

    async def slow(self: LocalPlatform, *args: Any, **kwargs: Any) -> Any:
        if hang[0]:
            hang[0] = False
            await asyncio.sleep(3600)
        return await original(self, *args, **kwargs)

    monkeypatch.setattr(LocalPlatform, "send", slow)
    general = channel(session, "general")
    async with session.app.services.db.transaction() as tx:
        first = await outbox.add(tx, Post(general, OutgoingMessage.of("first")))
        await outbox.add(tx, Post(general, OutgoingMessage.of("second")))
    handler = asyncio.create_task(outbox.deliver(first))
    await asyncio.sleep(0.1)
    handler.cancel()
    with pytest.raises(asyncio.CancelledError):
        await handler
    loop = asyncio.create_task(outbox.run_forever())
    await asyncio.sleep(1.5)
    outbox.stop()
    await loop
    statuses = await OutboxRepository(session.app.services.db).count_by_status()
    assert statuses == {"delivered": 2}
    assert texts(session, "general") == ["first", "second"]


async def test_several_reactions_in_one_entry_get_time_for_each(
    session: LocalSession, monkeypatch: pytest.MonkeyPatch
):
    """Six reactions behind a slow channel (a rate limit: each waits its turn) are not cut
    off as one call that took too long, which would add them all again."""
    monkeypatch.setattr("bot.delivery.CALL_TIMEOUT_SECONDS", 0.25)
    original = LocalPlatform.add_reaction

    async def slow(self: LocalPlatform, *args: Any) -> None:
        await asyncio.sleep(0.1)
        await original(self, *args)

    posted = await post(session, "flag #1")
    monkeypatch.setattr(LocalPlatform, "add_reaction", slow)
    emojis = ("✅", "🗑️", "⚠️", "🔇", "👢", "🔨")
    outbox = session.app.services.outbox
    async with session.app.services.db.transaction() as tx:
        reacting = await outbox.add(tx, ReactAll(posted.result, emojis))
    (outcome,) = await outbox.deliver(reacting)
    assert outcome.delivered and outcome.attempts == 1
