"""The event intake: bounded, sheds only plain messages, keeps each channel's order."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from datetime import UTC, datetime

import pytest

from bot.app.local_session import LocalSession
from bot.events import CommandInvoked, Event, MemberJoined, MessagePosted, ReactionAdded
from bot.intake import EventIntake
from bot.model import ChannelRef, Community, Member, MessageRef, PostedMessage
from bot.outgoing import Form, OutgoingMessage

COMMUNITY = Community("local", "demo")
BEN = Member(COMMUNITY, "u1", "ben")
JOINED = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def message(channel: str, text: str) -> MessagePosted:
    ref = MessageRef(ChannelRef(COMMUNITY, channel), text)
    return MessagePosted(PostedMessage(ref, BEN, text))


class Silent:
    async def reply(self, message: OutgoingMessage, *, private: bool) -> None: ...

    async def open_form(self, form: Form) -> None: ...


def command(path: str) -> CommandInvoked:
    return CommandInvoked(BEN, ChannelRef(COMMUNITY, "general"), path, "", Silent())


def label(event: Event) -> str:
    match event:
        case MessagePosted():
            return event.message.text
        case CommandInvoked():
            return f"/{event.path}"
        case ReactionAdded():
            return event.emoji
    return type(event).__name__


class Handlers:
    """A dispatcher stand-in that records events; events labelled "slow…" wait for `go`."""

    def __init__(self) -> None:
        self.started: list[str] = []
        self.done: list[str] = []
        self.go = asyncio.Event()

    async def dispatch(self, event: Event) -> None:
        name = label(event)
        self.started.append(name)
        if name.startswith("slow"):
            await self.go.wait()
        self.done.append(name)


class Ticking:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


def started(*puts: Awaitable[None]) -> list[asyncio.Task[None]]:
    return [asyncio.ensure_future(put) for put in puts]


def warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]


async def test_when_full_plain_messages_are_shed_and_counted_at_most_once_per_interval(
    caplog: pytest.LogCaptureFixture,
) -> None:
    handlers, clock = Handlers(), Ticking()
    intake = EventIntake(handlers.dispatch, limit=2, report_every=10, monotonic=clock)
    busy = started(intake.put(message("a", "slow-1")), intake.put(message("b", "slow-2")))
    await settle()
    with caplog.at_level(logging.WARNING):
        for number in range(5):
            await asyncio.wait_for(intake.put(message("c", f"shed-{number}")), timeout=1)
        assert warnings(caplog) == [
            "event queue full (2 events waiting): shed 1 message event(s) since the last report"
        ]
        clock.now += 10
        handlers.go.set()
        await asyncio.gather(*busy)
        await intake.put(message("c", "after"))
        assert warnings(caplog)[1:] == [
            "event queue full (2 events waiting): shed 4 message event(s) since the last report"
        ]
    assert handlers.done == ["slow-1", "slow-2", "after"]


async def test_when_full_commands_joins_and_reactions_wait_for_room_and_are_never_dropped(
    caplog: pytest.LogCaptureFixture,
) -> None:
    handlers = Handlers()
    intake = EventIntake(handlers.dispatch, limit=1, report_every=10, monotonic=Ticking())
    busy = started(intake.put(message("a", "slow")))
    await settle()
    reaction = ReactionAdded(MessageRef(ChannelRef(COMMUNITY, "b"), "m1"), BEN, "👍")
    with caplog.at_level(logging.WARNING):
        waiting = started(
            intake.put(command("ticket")),
            intake.put(MemberJoined(BEN, JOINED)),
            intake.put(reaction),
        )
        await settle()
    assert not any(task.done() for task in waiting)  # the platform's tasks wait: backpressure
    assert warnings(caplog) == [
        "event queue full (1 events waiting): the bot is slowing down:"
        " 1 event(s) waited for room since the last report"
    ]
    handlers.go.set()
    await asyncio.wait_for(asyncio.gather(*busy, *waiting), timeout=1)
    assert handlers.done == ["slow", "/ticket", "MemberJoined", "👍"]


async def test_messages_of_one_channel_keep_their_order_while_other_channels_go_on() -> None:
    handlers = Handlers()
    intake = EventIntake(handlers.dispatch)
    first = started(intake.put(message("a", "slow-a1")))
    await settle()
    later = started(
        intake.put(message("a", "a2")),
        intake.put(message("b", "b1")),
        intake.put(command("ping")),
    )
    await settle()
    assert handlers.done == ["b1", "/ping"]  # channel a waits for its first message
    handlers.go.set()
    await asyncio.wait_for(asyncio.gather(*first, *later), timeout=1)
    assert handlers.done == ["b1", "/ping", "slow-a1", "a2"]


async def test_an_event_cancelled_while_waiting_does_not_block_its_channel() -> None:
    handlers = Handlers()
    intake = EventIntake(handlers.dispatch, limit=3)
    first = started(intake.put(message("a", "slow-a1")))
    await settle()
    [gone] = started(intake.put(message("a", "a2")))
    [last] = started(intake.put(message("a", "a3")))
    await settle()
    gone.cancel()
    await settle()
    handlers.go.set()
    await asyncio.wait_for(asyncio.gather(*first, last), timeout=1)
    assert handlers.done == ["slow-a1", "a3"]
    await asyncio.wait_for(intake.put(message("a", "a4")), timeout=1)  # no place was lost
    await asyncio.wait_for(intake.put(message("z", "z1")), timeout=1)
    assert handlers.done[-2:] == ["a4", "z1"]


async def test_the_local_community_delivers_through_the_intake(session: LocalSession) -> None:
    assert session.community.dispatch == session.app.intake.put
