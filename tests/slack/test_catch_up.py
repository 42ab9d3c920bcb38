"""Reactions made while the Socket Mode connection was down are acted on once it is back.

The fake Slack drops the WebSocket (as Slack does when it rotates sockets, or as a network
drop does); the socket client reconnects by itself and Slack greets the new socket with
``hello``. Reactions made in between were never sent as events: the bot reads them with
``reactions.get`` and acts on each once.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from slack_fake_api import APP_TOKEN, BOT_TOKEN, TEAM_ID, SlackApiFake, shown
from slack_harness_users import ALICE, AMY, BEN, GENERAL, MO, MODERATORS, TICKETS, seed

from adapters.slack import SlackAdapter, SlackOptions
from bot.app.application import App
from bot.clock import VirtualClock
from bot.settings import Settings

CONFIG = """
[[moderation.rules]]
name = "scam"
type = "keywords"
keywords = ["cheap pills"]
"""
_envelopes = itertools.count(1)


class Socket:
    """The bot on Socket Mode against the fake Slack, and what a test does to it."""

    def __init__(self, fake: SlackApiFake, adapter: SlackAdapter) -> None:
        self.fake = fake
        self.adapter = adapter

    async def event(self, event: dict[str, Any]) -> None:
        number = next(_envelopes)
        await self.fake.socket_send(
            {
                "type": "events_api",
                "envelope_id": f"env-{number}",
                "accepts_response_payload": False,
                "payload": {
                    "token": "deprecated",
                    "team_id": TEAM_ID,
                    "api_app_id": "A0TEST",
                    "type": "event_callback",
                    "event_id": f"Ev{number:06d}",
                    "event_time": int(time.time()),
                    "event": event,
                },
            }
        )
        await self.fake.wait_until(
            lambda: any(a["envelope_id"] == f"env-{number}" for a in self.fake.socket_acks)
        )
        await self.adapter.work.idle()

    async def drop_and_reconnect(self) -> None:
        """Slack closes the socket; the client opens a new one and is greeted."""
        reads = len(self.fake.called("reactions.get"))
        sockets = len(self.fake.sockets)
        await self.fake.sockets[-1].close()
        await self.fake.wait_until(lambda: len(self.fake.sockets) > sockets)
        await self.fake.wait_until(lambda: len(self.fake.called("reactions.get")) > reads)
        await self.adapter.work.idle()

    async def command(self, user: str, command: str, text: str) -> None:
        number = next(_envelopes)
        await self.fake.socket_send(
            {
                "type": "slash_commands",
                "envelope_id": f"env-{number}",
                "accepts_response_payload": True,
                "payload": {
                    "command": command,
                    "text": text,
                    "user_id": user,
                    "user_name": self.fake.users[user]["name"],
                    "channel_id": GENERAL,
                    "team_id": TEAM_ID,
                    "response_url": self.fake.response_url(user),
                    "trigger_id": f"trigger-{number}",
                },
            }
        )
        await self.fake.wait_until(
            lambda: any(a["envelope_id"] == f"env-{number}" for a in self.fake.socket_acks)
        )
        await self.adapter.work.idle()

    def react_unheard(self, user: str, channel: str, ts: str, name: str) -> None:
        """A reaction made while no socket was open: Slack stores it and sends nothing."""
        stored = self.fake.message(channel, ts)
        assert stored is not None
        stored.reactions.setdefault(name, []).append(user)

    def dms_to(self, user: str) -> list[str]:
        return [
            c.params.get("text", "")
            for c in self.fake.called("chat.postMessage")
            if c.params["channel"] == "D" + user
        ]


@pytest.fixture
async def socket(
    settings: Settings, clock: VirtualClock, write_config: Callable[[str], Path]
) -> AsyncIterator[Socket]:
    write_config(CONFIG)
    fake = SlackApiFake()
    seed(fake)
    await fake.start()
    adapter = SlackAdapter(
        SlackOptions(bot_token=BOT_TOKEN, app_token=APP_TOKEN, api_url=fake.api_url)
    )
    app = await App.create(settings, [adapter], clock=clock)
    try:
        await adapter.start(app)
        await adapter.work.idle()
        yield Socket(fake, adapter)
    finally:
        await app.close()
        await fake.close()


async def flagged(socket: Socket, user: str = BEN) -> str:
    text = "buy cheap pills now"
    ts = socket.fake.post(GENERAL, user, text)
    await socket.event(
        {"type": "message", "user": user, "channel": GENERAL, "text": text, "ts": ts}
    )
    return socket.fake.posts_in(MODERATORS)[-1].ts


async def test_a_warning_given_while_the_socket_was_down_is_carried_out_once(
    socket: Socket,
) -> None:
    flag = await flagged(socket)
    await flagged(socket, AMY)  # stays open: every reconnect reads it
    socket.react_unheard(MO, MODERATORS, flag, "warning")
    socket.react_unheard(BEN, MODERATORS, flag, "hammer")  # no moderator: nothing
    assert socket.dms_to(BEN) == []

    await socket.drop_and_reconnect()
    [warning] = socket.dms_to(BEN)
    assert "warned you" in warning

    posts = len(socket.fake.called("chat.postMessage"))
    await socket.drop_and_reconnect()  # a second reconnect acts on nothing
    assert len(socket.fake.called("chat.postMessage")) == posts


async def test_votes_made_while_the_socket_was_down_count_once(socket: Socket) -> None:
    await socket.command(BEN, "/ticket", "open Dark mode")
    tracker = socket.fake.posts_in(TICKETS)[0]
    socket.react_unheard(MO, TICKETS, tracker.ts, "+1")
    socket.react_unheard(BEN, TICKETS, tracker.ts, "+1")  # his own ticket: no vote
    await socket.drop_and_reconnect()
    await socket.drop_and_reconnect()
    shown_now = socket.fake.message(TICKETS, tracker.ts)
    assert shown_now is not None
    assert "Votes: 👍 1" in shown(shown_now.text)
    votes = [c for c in socket.fake.called("chat.update") if c.params.get("ts") == tracker.ts]
    assert len(votes) == 1  # counted once, across both reconnects


async def test_an_appeal_decided_while_the_socket_was_down_is_carried_out_once(
    socket: Socket,
) -> None:
    await socket.command(MO, "/warn", f"<@{BEN}> rude to newcomers")
    await socket.command(BEN, "/appeal", "1 I was quoting someone else")
    appeal = socket.fake.posts_in(MODERATORS)[-1]
    await flagged(socket, AMY)  # stays open: every reconnect reads it
    assert "Appeal #1" in shown(appeal.text)
    socket.react_unheard(ALICE, MODERATORS, appeal.ts, "leftwards_arrow_with_hook")  # ↩️
    await socket.drop_and_reconnect()
    assert len([m for m in socket.dms_to(BEN) if "was accepted" in m]) == 1

    posts = len(socket.fake.called("chat.postMessage"))
    await socket.drop_and_reconnect()  # a second reconnect acts on nothing
    assert len(socket.fake.called("chat.postMessage")) == posts
