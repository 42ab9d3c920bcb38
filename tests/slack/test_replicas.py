"""Slack in HTTP mode as two replicas behind one URL, on one database: Slack's retry of an
event may reach the other replica, and the event is still acted on once (the Inbox claims
event ids in the database, storage/platform_events.py; docs/scaling.md)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path

import aiohttp
from slack_fake_api import BOT_TOKEN, SIGNING_SECRET, SlackApiFake
from slack_harness import SlackRig
from slack_harness_users import BEN, GENERAL, MO, MODERATORS, seed

from adapters.slack import SlackAdapter, SlackOptions
from adapters.slack.connection import HttpConnection
from bot.app.application import App
from bot.clock import VirtualClock
from bot.settings import Settings

RULES = """
[[moderation.rules]]
name = "scam"
type = "keywords"
keywords = ["cheap pills"]
"""


@asynccontextmanager
async def replicas(settings: Settings, clock: VirtualClock) -> AsyncIterator[list[SlackRig]]:
    """Two bot processes' worth (an App and an adapter each) on one database and one Slack."""
    fake = SlackApiFake()
    seed(fake)
    await fake.start()
    async with AsyncExitStack() as stack:
        stack.push_async_callback(fake.close)
        http = await stack.enter_async_context(aiohttp.ClientSession())
        rigs = []
        for _ in range(2):
            adapter = SlackAdapter(
                SlackOptions(
                    bot_token=BOT_TOKEN,
                    signing_secret=SIGNING_SECRET,
                    mode="http",
                    http_host="127.0.0.1",
                    http_port=0,
                    api_url=fake.api_url,
                )
            )
            app = await App.create(settings, [adapter], clock=clock)
            stack.push_async_callback(app.close)
            await adapter.start(app)
            assert isinstance(adapter.connection, HttpConnection)
            url = f"http://127.0.0.1:{adapter.connection.port}/slack/events"
            rigs.append(SlackRig(fake, app, adapter, clock, http, url))
        yield rigs


async def test_a_retry_that_reaches_the_other_replica_is_dropped(
    settings: Settings, clock: VirtualClock, tmp_path: Path
) -> None:
    config = tmp_path / "botschafter.toml"
    config.write_text(RULES, encoding="utf-8")
    settings.config_file = config
    async with replicas(settings, clock) as (first, second):
        ts = first.fake.post(GENERAL, BEN, "cheap pills here")
        event = {
            "type": "message",
            "user": BEN,
            "channel": GENERAL,
            "text": "cheap pills here",
            "ts": ts,
        }
        assert await first.event(event, event_id="EvSpam") == 200
        assert await second.event(event, event_id="EvSpam", retry=1) == 200
        assert await second.event(event, event_id="EvSpam", retry=2) == 200
        [flag] = first.fake.posts_in(MODERATORS)

        # A moderator's reaction, retried to the other replica, warns once.
        await second.react(MO, MODERATORS, flag.ts, "warning", event_id="EvWarn")
        await first.react(MO, MODERATORS, flag.ts, "warning", event_id="EvWarn", retry=1)
        warnings = [
            c for c in first.fake.called("chat.postMessage") if c.params["channel"] == "D" + BEN
        ]
        assert len(warnings) == 1
