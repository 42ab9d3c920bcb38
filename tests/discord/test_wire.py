"""Wire level: the real bot connects to a small fake Discord on 127.0.0.1.

The fake (`wire_fake`, shared with benchmarks/pipeline.py) speaks just enough of the REST
API and the gateway protocol (HELLO, IDENTIFY, READY, GUILD_CREATE, dispatches, close
codes) for discord.py to log in, connect, receive a MESSAGE_CREATE and post the reply;
`Route.BASE` and the gateway URL point at it. It also
plays a Discord that rejects the token, and one that refuses the privileged intents.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import logging
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from adapters.discord import DiscordAdapter, DiscordOptions
from adapters.discord.cli import sync_commands
from bot.app.application import App
from bot.app.cli import cog_declarations
from bot.app.connecting import Backoff
from bot.app.runner import serve
from bot.clock import VirtualClock
from bot.cog import Cog, listen
from bot.errors import ConfigError
from bot.events import MessagePosted
from bot.model import ChannelRef, Community, UserRef
from bot.outgoing import Mention, OutgoingMessage
from bot.settings import Settings
from tests.discord.wire_fake import (
    CHANNEL_ID,
    GUILD_ID,
    USER_ID,
    FakeDiscord,
    discord_at,
    listening,
    member_payload,
    message_payload,
    serving,
)
from tests.ports import free_port

# guilds | members | guild messages | guild message reactions | message content
# | AutoMod action executions
EXPECTED_INTENTS = (1 << 0) | (1 << 1) | (1 << 9) | (1 << 10) | (1 << 15) | (1 << 21)
# Generous for a loaded CI machine; a healthy run takes a fraction of a second.
WAIT = 10.0
CONTRACT = Path(__file__).resolve().parents[1] / "contract" / "test_platform_contract.py"


def _load_contract() -> Any:
    spec = importlib.util.spec_from_file_location("discord_wire_contract", CONTRACT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while defining
    spec.loader.exec_module(module)
    return module


contract = _load_contract()


class PongCog(Cog):
    name = "pong"

    @listen(MessagePosted)
    async def on_message(self, event: MessagePosted) -> None:
        if event.message.text == "!ping":
            platform = self.platform(event.community)
            await platform.send(
                event.message.ref.channel,
                OutgoingMessage.of("pong ", Mention(event.message.author.id)),
            )


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with serving(FakeDiscord()) as server:
        yield server


async def started(settings: Settings, token: str, backoff: Backoff | None = None) -> App:
    """The app with the Discord adapter, not yet connected (as `python -m bot` builds it)."""
    # Discord waits up to two seconds for further servers before "ready"; there is one.
    options = DiscordOptions(token=SecretStr(token), guild_ready_timeout=0.05)
    return await App.create(
        settings,
        [DiscordAdapter(options)],
        clock=VirtualClock(),
        cog_types=[PongCog],
        backoff=backoff,
    )


async def ping(fake: FakeDiscord) -> None:
    """A member writes "!ping" in the server's channel."""
    author = {"id": str(USER_ID), "username": "ben", "discriminator": "0", "avatar": None}
    message = message_payload(CHANNEL_ID, "!ping", author, 4)
    message["member"] = member_payload()
    await fake.dispatch("MESSAGE_CREATE", message)


async def until_logged(caplog: pytest.LogCaptureFixture, text: str, times: int = 1) -> None:
    """Wait (briefly) until a log line containing `text` was written `times` times."""
    async with asyncio.timeout(WAIT):
        while sum(text in r.getMessage() for r in caplog.records) < times:  # noqa: ASYNC110
            await asyncio.sleep(0.01)  # log records come with no event to wait on


async def test_the_bot_connects_receives_a_message_and_replies(
    fake: FakeDiscord, settings: Settings
) -> None:
    app = await started(settings, fake.token)
    try:
        await asyncio.wait_for(app.start(), WAIT)
        assert fake.identified["intents"] == EXPECTED_INTENTS
        assert fake.identified["token"] == fake.token
        await asyncio.wait_for(fake.ready_sent.wait(), WAIT)
        await ping(fake)
        await asyncio.wait_for(fake.reply_posted.wait(), WAIT)
        assert app.adapters[0].is_connected()  # type: ignore[attr-defined]  # /readyz
    finally:
        await app.close()
    assert not app.adapters[0].is_connected()  # type: ignore[attr-defined]
    (reply,) = fake.posted
    assert reply["content"] == f"pong <@{USER_ID}>"
    # Only the explicit mention may ping; no @everyone, no roles, no reply ping.
    assert reply["allowed_mentions"] == {"parse": [], "users": [USER_ID], "roles": []}
    assert {c["name"] for c in fake.commands} == set(), "PongCog declares no commands"


async def test_a_post_retried_after_a_crash_is_not_posted_twice(
    fake: FakeDiscord, settings: Settings
) -> None:
    """The contract's nonce test (skipped on simcord, which ignores nonces) on a fake that
    de-duplicates on ``enforce_nonce`` as Discord does."""
    app = await started(settings, fake.token)
    community = Community("discord", str(GUILD_ID))
    channel = ChannelRef(community, str(CHANNEL_ID), "general")
    try:
        await asyncio.wait_for(app.start(), WAIT)
        await asyncio.wait_for(fake.ready_sent.wait(), WAIT)
        rig = contract.Rig(
            app.services.platforms.for_community(community),
            channel,
            UserRef(community, str(USER_ID)),
            UserRef(community, str(USER_ID)),
            lambda where: [p["content"] for p in fake.posted if where.id == str(CHANNEL_ID)],
        )
        await contract.test_a_post_repeated_with_its_nonce_after_a_crash_is_posted_once(rig)
    finally:
        await app.close()
    assert all(p["enforce_nonce"] is True and len(p["nonce"]) <= 25 for p in fake.posted)


async def test_opening_a_thread_again_returns_the_one_discord_already_has(
    fake: FakeDiscord, settings: Settings
) -> None:
    """A recovering OpenThread after a crash: the first attempt opened the thread but its
    answer was lost. Discord refuses a second thread (160004); the adapter finds the first."""
    app = await started(settings, fake.token)
    channel = ChannelRef(Community("discord", str(GUILD_ID)), str(CHANNEL_ID), "general")
    try:
        await asyncio.wait_for(app.start(), WAIT)
        await asyncio.wait_for(fake.ready_sent.wait(), WAIT)
        discord_platform = app.services.platforms.for_community(channel.community)
        tracker = await discord_platform.send(channel, OutgoingMessage.of("Ticket #1"))
        first = await discord_platform.open_thread(tracker, "Ticket #1: login")
        again = await discord_platform.open_thread(tracker, "Ticket #1: login")
    finally:
        await app.close()
    assert again == first
    assert (first.id, first.name, first.parent_id) == (tracker.id, "Ticket #1: login", channel.id)
    assert list(fake.threads) == [tracker.id] and fake.refused_threads == 1


async def test_a_thread_is_renamed_by_patching_its_name_once(
    fake: FakeDiscord, settings: Settings
) -> None:
    """A ticket's new title: PATCH /channels/{thread} with the name alone; the same name
    again (a retry after a crash) sends nothing; a thread Discord archived after a quiet
    week is unarchived with its new name, as Discord takes nothing else from it."""
    app = await started(settings, fake.token)
    channel = ChannelRef(Community("discord", str(GUILD_ID)), str(CHANNEL_ID), "general")
    try:
        await asyncio.wait_for(app.start(), WAIT)
        await asyncio.wait_for(fake.ready_sent.wait(), WAIT)
        discord_platform = app.services.platforms.for_community(channel.community)
        tracker = await discord_platform.send(channel, OutgoingMessage.of("Ticket #1"))
        thread = await discord_platform.open_thread(tracker, "Ticket #1: login")
        await discord_platform.rename_thread(thread, "Ticket #1: login fails on Android")
        await discord_platform.rename_thread(thread, "Ticket #1: login fails on Android")
        fake.threads[thread.id]["thread_metadata"]["archived"] = True  # a quiet week
        await discord_platform.rename_thread(thread, "Ticket #1: login fails")
    finally:
        await app.close()
    assert fake.channel_edits == [
        (thread.id, {"name": "Ticket #1: login fails on Android"}),
        (thread.id, {"name": "Ticket #1: login fails", "archived": False}),
    ]
    assert fake.threads[thread.id]["name"] == "Ticket #1: login fails"


async def test_a_rejected_token_is_one_clear_error(
    fake: FakeDiscord, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    app = await started(settings, "wrong-token")
    try:
        with pytest.raises(ConfigError) as raised:
            await asyncio.wait_for(app.start(), WAIT)
    finally:
        await app.close()
    message = str(raised.value)
    assert "DISCORD_TOKEN" in message and "Reset Token" in message
    assert "wrong-token" not in message and "\n" not in message
    assert not [r for r in caplog.records if r.exc_info], "no traceback in the log either"
    assert "wrong-token" not in caplog.text


async def test_a_discord_unreachable_at_start_is_tried_again_until_it_answers(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    """The router comes up after the bot: no exit, a warning per attempt, then the bot
    connects and answers without a restart."""
    caplog.set_level(logging.INFO, "bot.app.connecting")
    port = free_port()
    fake = FakeDiscord()
    with discord_at(port):
        app = await started(
            settings, fake.token, backoff=Backoff(first=0.05, most=0.2, first_attempt=1.0)
        )
        try:
            await asyncio.wait_for(app.start(), WAIT)
            assert not app.adapters[0].is_connected()  # type: ignore[attr-defined]  # /readyz
            await until_logged(caplog, "Could not reach Discord", times=2)
            async with listening(fake, port):
                await until_logged(caplog, "connected to discord after")
                await ping(fake)
                await asyncio.wait_for(fake.reply_posted.wait(), WAIT)
                assert app.adapters[0].is_connected()  # type: ignore[attr-defined]
                # Off the gateway before the fake stops: it waits a minute for open sockets.
                await app.halt()
        finally:
            await app.close()
    assert fake.posted[0]["content"] == f"pong <@{USER_ID}>"
    warnings = [r for r in caplog.records if "Could not reach Discord" in r.getMessage()]
    assert warnings and all(r.levelname == "WARNING" and not r.exc_info for r in warnings)
    assert "Attempt 1 failed; trying again in" in warnings[0].getMessage()
    assert fake.token not in caplog.text


async def test_a_token_rejected_once_discord_answers_stops_the_bot_with_exit_2(
    settings: Settings,
) -> None:
    port = free_port()
    with discord_at(port):
        app = await started(settings, "wrong-token", backoff=Backoff(first=0.05, most=0.2))
        try:
            serving = asyncio.create_task(serve(app, settings))
            await asyncio.sleep(0.2)  # a few attempts while nothing listens
            assert not serving.done()
            async with listening(FakeDiscord(), port):
                with pytest.raises(ConfigError, match="Discord rejected DISCORD_TOKEN"):
                    await asyncio.wait_for(serving, WAIT)  # the CLI prints it and exits 2
        finally:
            await app.close()


async def test_stopping_while_discord_cannot_be_reached_is_prompt(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    with discord_at(free_port()):
        app = await started(settings, "any-token", backoff=Backoff(first=60.0))
        try:
            serving = asyncio.create_task(serve(app, settings))
            await until_logged(caplog, "trying again in")
            app.request_stop()  # what SIGTERM and Ctrl-C do
            assert await asyncio.wait_for(serving, 2.0) == 0
        finally:
            await app.close()


async def test_missing_privileged_intents_name_the_switches(
    fake: FakeDiscord, settings: Settings
) -> None:
    fake.close_with = 4014  # Discord's "Disallowed intent(s)"
    app = await started(settings, fake.token)
    try:
        with pytest.raises(ConfigError) as raised:
            await asyncio.wait_for(app.start(), WAIT)
    finally:
        await app.close()
    message = str(raised.value)
    assert "Privileged Gateway Intents" in message
    assert "SERVER MEMBERS INTENT" in message and "MESSAGE CONTENT INTENT" in message


async def test_discord_sync_registers_every_shipped_command_on_each_server(
    fake: FakeDiscord, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    settings.discord_token = SecretStr(fake.token)
    assert (
        await sync_commands(argparse.Namespace(guild=None, declarations=cog_declarations), settings)
        == 0
    )
    names = {command["name"] for command in fake.commands}
    assert {"help", "about", "config", "ticket", "report", "Report message"} <= names
    assert f"Wire Test: {len(fake.commands)} commands registered" in capsys.readouterr().out


async def test_discord_sync_with_a_rejected_token_says_so(
    fake: FakeDiscord, settings: Settings
) -> None:
    settings.discord_token = SecretStr("wrong-token")
    with pytest.raises(ConfigError, match="Reset Token"):
        await sync_commands(argparse.Namespace(guild=None, declarations=cog_declarations), settings)
    assert fake.commands == []
