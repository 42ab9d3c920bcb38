"""A bot on the Slack adapter in HTTP mode, driven by signed requests like Slack sends.

`open_rig` starts the fake Slack, an `App` with the real `SlackAdapter` listening on
127.0.0.1, and gives helpers that post exactly what Slack posts (form-encoded slash
commands, ``payload=`` interactions, JSON events) with a valid signature. Each helper
returns the HTTP status after the adapter's work for that request has finished.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import aiohttp
from slack_fake_api import (
    ADMIN_USER,
    BOT_TOKEN,
    SIGNING_SECRET,
    TEAM_ID,
    SlackApiFake,
    escaped,
)
from slack_harness_users import seed

from adapters.slack import SlackAdapter, SlackOptions
from adapters.slack.connection import HttpConnection
from bot.app.application import App
from bot.clock import VirtualClock
from bot.cog import Cog
from bot.platform import Platform
from bot.settings import Settings


def signature(body: str, timestamp: str, secret: str = SIGNING_SECRET) -> str:
    base = f"v0:{timestamp}:{body}".encode()
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


@dataclass
class SlackRig:
    fake: SlackApiFake
    app: App
    adapter: SlackAdapter
    clock: VirtualClock
    http: aiohttp.ClientSession
    url: str
    event_counter: list[int] = field(default_factory=lambda: [0])

    async def send(
        self,
        body: str,
        content_type: str,
        *,
        signed: bool = True,
        timestamp: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> int:
        stamp = str(int(time.time()) if timestamp is None else timestamp)
        sent = {"Content-Type": content_type, "X-Slack-Request-Timestamp": stamp}
        sent["X-Slack-Signature"] = signature(body, stamp) if signed else "v0=" + "0" * 64
        sent.update(headers or {})
        async with self.http.post(self.url, data=body.encode(), headers=sent) as response:
            await response.read()
            status = response.status
        await self.settle()
        return status

    async def settle(self) -> None:
        await self.adapter.work.idle()

    async def command(self, user: str, line: str, channel: str = "C0GENERAL") -> int:
        command, _, text = line.partition(" ")
        form = {
            "token": "deprecated",
            "team_id": TEAM_ID,
            "channel_id": channel,
            "channel_name": self.fake.channels.get(channel, {}).get("name", "directmessage"),
            "user_id": user,
            "user_name": self.fake.users[user]["name"],
            "command": command,
            "text": escaped(text),
            "response_url": self.fake.response_url(user),
            "trigger_id": self.fake.trigger(),
            "api_app_id": "A0TEST",
        }
        return await self.send(urlencode(form), "application/x-www-form-urlencoded")

    async def interactive(self, payload: dict[str, Any]) -> int:
        payload.setdefault("team", {"id": TEAM_ID, "domain": "botschafter-test"})
        payload.setdefault("api_app_id", "A0TEST")
        body = urlencode({"payload": json.dumps(payload)})
        return await self.send(body, "application/x-www-form-urlencoded")

    async def event(
        self, event: dict[str, Any], *, event_id: str | None = None, retry: int | None = None
    ) -> int:
        """Deliver an event as Slack would; 0 (nothing sent) for one Slack withholds, such as
        a reaction in a channel the bot is not in."""
        if not self.fake.hears(event):
            return 0
        self.event_counter[0] += 1
        body = {
            "token": "deprecated",
            "team_id": TEAM_ID,
            "api_app_id": "A0TEST",
            "type": "event_callback",
            "event_id": event_id or f"Ev{self.event_counter[0]:06d}",
            "event_time": int(time.time()),
            "event": event,
        }
        headers = {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
        return await self.send(
            json.dumps(body), "application/json", headers=headers if retry else None
        )

    async def message(
        self, user: str, channel: str, text: str, thread_ts: str | None = None
    ) -> str:
        """`user` writes `text` (as typed; Slack escapes it on the wire)."""
        text = escaped(text)
        ts = self.fake.post(channel, user, text, thread_ts)
        event = {
            "type": "message",
            "user": user,
            "channel": channel,
            "text": text,
            "ts": ts,
            "channel_type": "channel",
        }
        if thread_ts:
            event["thread_ts"] = thread_ts
        await self.event(event)
        return ts

    async def react(
        self,
        user: str,
        channel: str,
        ts: str,
        name: str,
        *,
        added: bool = True,
        event_id: str | None = None,
        retry: int | None = None,
    ) -> int:
        event = {
            "type": "reaction_added" if added else "reaction_removed",
            "user": user,
            "reaction": name,
            "item": {"type": "message", "channel": channel, "ts": ts},
            "event_ts": self.fake.next_ts(),
        }
        return await self.event(event, event_id=event_id, retry=retry)

    async def shortcut(self, user: str, name: str, channel: str, ts: str) -> int:
        stored = self.fake.message(channel, ts)
        assert stored is not None
        return await self.interactive(
            {
                "type": "message_action",
                "callback_id": name,
                "trigger_id": self.fake.trigger(),
                "response_url": self.fake.response_url(user),
                "user": {"id": user, "name": self.fake.users[user]["name"]},
                "channel": {"id": channel, "name": self.fake.channels[channel]["name"]},
                "message": stored.as_slack(),
            }
        )

    async def press(self, user: str, channel: str, ts: str, action_id: str) -> int:
        return await self.interactive(
            {
                "type": "block_actions",
                "trigger_id": self.fake.trigger(),
                "response_url": self.fake.response_url(user),
                "user": {"id": user, "name": self.fake.users[user]["name"]},
                "container": {
                    "type": "message",
                    "message_ts": ts,
                    "channel_id": channel,
                    "is_ephemeral": False,
                },
                "channel": {"id": channel},
                "message": {"ts": ts, "type": "message"},
                "actions": [
                    {
                        "action_id": action_id,
                        "block_id": "b",
                        "type": "button",
                        "value": action_id,
                        "action_ts": "1",
                    }
                ],
            }
        )

    async def submit(self, user: str, view: dict[str, Any], values: dict[str, str]) -> int:
        state = {
            key: {key: {"type": "plain_text_input", "value": value}}
            for key, value in values.items()
        }
        return await self.interactive(
            {
                "type": "view_submission",
                "trigger_id": self.fake.trigger(),
                "user": {"id": user, "name": self.fake.users[user]["name"]},
                "view": {
                    "id": "V0TEST",
                    "type": "modal",
                    "callback_id": view["callback_id"],
                    "private_metadata": view.get("private_metadata", ""),
                    "state": {"values": state},
                },
            }
        )

    def opened_views(self) -> list[dict[str, Any]]:
        views = []
        for call in self.fake.called("views.open"):
            view = call.params["view"]
            views.append(json.loads(view) if isinstance(view, str) else view)
        return views


@asynccontextmanager
async def open_rig(
    settings: Settings,
    clock: VirtualClock,
    *,
    cog_types: Sequence[type[Cog]] | None = None,
    platforms: Sequence[Platform] = (),
    admin_token: str = "",
    workspace: Callable[[SlackApiFake], None] | None = None,
) -> AsyncIterator[SlackRig]:
    """`workspace` changes the seeded workspace before the bot starts (e.g. a channel the
    bot is not in)."""
    fake = SlackApiFake()
    seed(fake)
    if admin_token:
        fake.add_user(ADMIN_USER, "Owner", admin=True)
    if workspace is not None:
        workspace(fake)
    await fake.start()
    adapter = SlackAdapter(
        SlackOptions(
            bot_token=BOT_TOKEN,
            signing_secret=SIGNING_SECRET,
            mode="http",
            http_host="127.0.0.1",
            http_port=0,
            admin_user_token=admin_token,
            api_url=fake.api_url,
        )
    )
    app = await App.create(settings, [*platforms, adapter], clock=clock, cog_types=cog_types)
    try:
        await adapter.start(app)
        assert isinstance(adapter.connection, HttpConnection)
        url = f"http://127.0.0.1:{adapter.connection.port}/slack/events"
        async with aiohttp.ClientSession() as http:
            yield SlackRig(fake, app, adapter, clock, http, url)
    finally:
        await app.close()
        await fake.close()
