"""Replies name commands as Discord command mentions, which Discord shows in each reader's
language, so a French member reads "/ticket prendre" in the menu and in the bot's reply."""

from __future__ import annotations

import asyncio

from pydantic import SecretStr

from adapters.discord import DiscordAdapter, DiscordOptions
from adapters.discord.mentions import CommandMentions
from adapters.discord.render import render_message
from bot.app.application import App
from bot.clock import VirtualClock
from bot.cog import Cog, command, listen
from bot.events import CommandInvoked, MessagePosted
from bot.outgoing import Markup, OutgoingMessage, Plain
from bot.settings import Settings
from tests.discord.wire_fake import (
    CHANNEL_ID,
    GUILD_ID,
    USER_ID,
    FakeDiscord,
    member_payload,
    message_payload,
    serving,
)

WAIT = 10.0
# What a server answers to the bulk overwrite: the command objects with their ids.
REGISTERED = [
    {
        "id": "501",
        "type": 1,
        "name": "ticket",
        "options": [
            {"type": 1, "name": "claim", "name_localizations": {"fr": "prendre"}},
            {"type": 1, "name": "open"},
        ],
    },
    {"id": "502", "type": 1, "name": "help", "options": []},
    {"id": "503", "type": 3, "name": "Report message"},
]


def rendered(mentions: CommandMentions, *text: Markup | Plain) -> str:
    message = mentions.apply("7", OutgoingMessage(text=tuple(text)))
    return render_message(message)[0].content or ""


def test_catalog_text_names_commands_as_mentions_and_member_text_stays_as_written() -> None:
    mentions = CommandMentions()
    mentions.record("7", REGISTERED)
    content = rendered(
        mentions,
        Markup("Who takes it? /ticket claim #4, or see /help. "),
        Plain("Ben wrote: /ticket claim"),
    )
    assert content == (
        "Who takes it? </ticket claim:501> #4, or see </help:502>. Ben wrote: /ticket claim"
    )


def test_only_known_commands_outside_code_become_mentions() -> None:
    mentions = CommandMentions()
    mentions.record("7", REGISTERED)
    assert rendered(mentions, Markup("/ticket vote #4 · /ticket · `/ticket claim` · a/help")) == (
        "/ticket vote #4 · /ticket · `/ticket claim` · a/help"
    )  # no such sub-command, a group, code, part of a word
    assert rendered(CommandMentions(), Markup("/ticket claim")) == "/ticket claim"


async def registered(adapter: DiscordAdapter) -> None:
    """Until the adapter has read the ids from Discord's answer to the registration."""
    probe = OutgoingMessage(text=(Markup("/ticket claim"),))
    # No event marks it: the ids arrive in the response to a request made on "ready".
    while adapter.with_command_mentions(str(GUILD_ID), probe) == probe:  # noqa: ASYNC110
        await asyncio.sleep(0.01)


class TicketCog(Cog):
    name = "tickets_stub"

    @command("ticket claim", "Take a ticket.")
    async def claim(self, event: CommandInvoked) -> None:
        """Never run here; it only puts /ticket claim into the commands."""

    @listen(MessagePosted)
    async def on_message(self, event: MessagePosted) -> None:
        if event.message.text.startswith("!who"):
            await self.platform(event.community).send(
                event.message.ref.channel,
                OutgoingMessage(
                    text=(Markup("Who takes it? /ticket claim #4 · "), Plain(event.message.text))
                ),
            )


async def reply_to_who(settings: Settings, fake: FakeDiscord, *, sync: bool) -> str:
    """The bot's answer to "!who /ticket claim" once it knows the server's command ids."""
    options = DiscordOptions(
        token=SecretStr(fake.token), guild_ready_timeout=0.05, sync_commands=sync
    )
    adapter = DiscordAdapter(options)
    app = await App.create(settings, [adapter], clock=VirtualClock(), cog_types=[TicketCog])
    try:
        await asyncio.wait_for(app.start(), WAIT)
        await asyncio.wait_for(registered(adapter), WAIT)
        author = {"id": str(USER_ID), "username": "ben", "discriminator": "0", "avatar": None}
        message = message_payload(CHANNEL_ID, "!who /ticket claim", author, 4)
        message["member"] = member_payload()
        await fake.dispatch("MESSAGE_CREATE", message)
        await asyncio.wait_for(fake.reply_posted.wait(), WAIT)
    finally:
        await app.close()
    (reply,) = fake.posted
    return str(reply["content"])


async def test_the_ids_come_from_registering_the_commands(settings: Settings) -> None:
    async with serving(FakeDiscord()) as fake:
        content = await reply_to_who(settings, fake, sync=True)
    assert [c["name"] for c in fake.commands] == ["ticket"]
    assert content == "Who takes it? </ticket claim:1000> #4 · !who /ticket claim"


async def test_without_registering_the_ids_are_read_from_the_server(settings: Settings) -> None:
    async with serving(FakeDiscord()) as fake:
        fake.commands = [
            {"type": 1, "name": "help"},
            {"type": 1, "name": "ticket", "options": [{"type": 1, "name": "claim"}]},
        ]
        content = await reply_to_who(settings, fake, sync=False)
    assert content == "Who takes it? </ticket claim:1001> #4 · !who /ticket claim"
