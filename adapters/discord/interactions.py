"""Slash commands, "Report message", buttons and forms as neutral interactive events.

Each interaction becomes one core event carrying a `DiscordResponder`. The handler runs as
a task; if it has not answered within `ACK_AFTER` seconds the responder acknowledges on
its behalf, and whatever the handler leaves unanswered is closed afterwards, so Discord
never shows "The application did not respond" and errors always reach the member as a
private message (the dispatcher turns them into private replies).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from functools import partial
from typing import Any, Protocol

import discord

from adapters.discord.convert import channel_ref, community_of, member_of
from adapters.discord.invocation import (
    form_values,
    invoked_path,
    posted_from_payload,
    typed_arguments,
)
from adapters.discord.responder import DiscordResponder
from adapters.discord.texts import AdapterTexts
from bot.commands import CommandSpec
from bot.errors import UserError
from bot.events import (
    ButtonPressed,
    CommandInvoked,
    Event,
    FormSubmitted,
    MessageCommandInvoked,
)
from bot.model import ChannelRef, Community, Member, MessageRef
from bot.outgoing import OutgoingMessage
from bot.platform import Platform

log = logging.getLogger(__name__)

# Discord allows 3 s for the first response, counted from when it sent the interaction.
# Gateway latency and the acknowledgement request itself take up to a few hundred ms each,
# so acknowledging after 1.5 s leaves headroom, while quick handlers still answer directly
# (a form can only open as the first response).
ACK_AFTER = 1.5
# Application command type of a message context-menu entry.
MESSAGE_COMMAND = 3

EventBuilder = Callable[[Member, Community, DiscordResponder], Awaitable[Event]]


class InteractionHost(Platform, Protocol):
    """What the router needs from the adapter."""

    async def dispatch(self, event: Event) -> None: ...

    def command_spec(self, path: str) -> CommandSpec | None: ...

    def serves(self, guild_id: int) -> bool: ...

    async def author_of(self, data: Mapping[str, Any], community: Community) -> Member: ...

    def with_command_mentions(
        self, community_id: str, message: OutgoingMessage
    ) -> OutgoingMessage: ...


class InteractionRouter:
    def __init__(self, host: InteractionHost, *, ack_after: float = ACK_AFTER) -> None:
        self._host = host
        self._ack_after = ack_after
        self._texts = AdapterTexts()

    async def on_interaction(self, interaction: discord.Interaction[Any]) -> None:
        """Commands, message actions and form submissions (buttons arrive separately)."""
        data: Mapping[str, Any] = interaction.data or {}
        if interaction.type is discord.InteractionType.application_command:
            if data.get("type") == MESSAGE_COMMAND:
                await self._handle(interaction, True, self._message_command(interaction, data))
            else:
                await self._handle(interaction, *self._slash(interaction, data))
        elif interaction.type is discord.InteractionType.modal_submit:
            await self._handle(interaction, True, self._form(interaction, data))

    async def button_pressed(self, interaction: discord.Interaction[Any], action_id: str) -> None:
        async def build(member: Member, community: Community, responder: DiscordResponder) -> Event:
            assert interaction.message is not None
            ref = MessageRef(self._channel(interaction, community), str(interaction.message.id))
            return ButtonPressed(member, ref, action_id, responder)

        await self._handle(interaction, True, build)

    def _slash(
        self, interaction: discord.Interaction[Any], data: Mapping[str, Any]
    ) -> tuple[bool, EventBuilder]:
        path, options = invoked_path(data)
        spec = self._host.command_spec(path)

        async def build(member: Member, community: Community, responder: DiscordResponder) -> Event:
            arguments: dict[str, object] = {}
            if spec is not None:
                resolved = data.get("resolved") or {}
                arguments = typed_arguments(spec, options, resolved, self._host, community)
            channel = self._channel(interaction, community)
            return CommandInvoked(member, channel, path, arguments, responder)

        return (spec.private if spec is not None else True), build

    def _message_command(
        self, interaction: discord.Interaction[Any], data: Mapping[str, Any]
    ) -> EventBuilder:
        async def build(member: Member, community: Community, responder: DiscordResponder) -> Event:
            target = data["resolved"]["messages"][str(data["target_id"])]
            author = await self._host.author_of(target["author"], community)
            channel = self._channel(interaction, community)
            message = posted_from_payload(target, channel, author)
            return MessageCommandInvoked(member, str(data["name"]), message, responder)

        return build

    def _form(self, interaction: discord.Interaction[Any], data: Mapping[str, Any]) -> EventBuilder:
        async def build(member: Member, community: Community, responder: DiscordResponder) -> Event:
            values = form_values(data.get("components") or [])
            channel = self._channel(interaction, community)
            return FormSubmitted(member, channel, str(data.get("custom_id", "")), values, responder)

        return build

    async def _handle(
        self, interaction: discord.Interaction[Any], private: bool, build: EventBuilder
    ) -> None:
        locale = interaction.locale.value if interaction.locale else None
        text = self._texts.for_locale(locale)
        where = str(interaction.guild_id or "")
        mentions = partial(self._host.with_command_mentions, where)
        responder = DiscordResponder(interaction, private=private, text=text, mentions=mentions)
        guild_id = interaction.guild_id
        if guild_id is None or not self._host.serves(guild_id):
            refusal = "discord.server_only" if guild_id is None else "discord.not_served"
            await responder.reply(OutgoingMessage.of(text(refusal)), private=True)
            return
        community = community_of(guild_id)
        member = member_of(interaction.user, community, locale=locale)

        async def run() -> None:
            try:
                event = await build(member, community, responder)
            except UserError as error:
                await responder.reply(OutgoingMessage.of(error.message), private=True)
                return
            await self._host.dispatch(event)

        await self._answer_in_time(run(), responder, interaction)

    async def _answer_in_time(
        self,
        work: Awaitable[None],
        responder: DiscordResponder,
        interaction: discord.Interaction[Any],
    ) -> None:
        """Run the work; acknowledge if it is still busy after `ack_after` seconds."""
        task = asyncio.ensure_future(work)
        try:
            done, _ = await asyncio.wait({task}, timeout=self._ack_after)
            if not done:
                await _quietly(responder.acknowledge(), "acknowledge", interaction)
            await task
        finally:
            await _quietly(responder.finish(), "close", interaction)

    @staticmethod
    def _channel(interaction: discord.Interaction[Any], community: Community) -> ChannelRef:
        if interaction.channel is not None:
            return channel_ref(interaction.channel, community)
        return ChannelRef(community, str(interaction.channel_id))


async def _quietly(step: Awaitable[None], what: str, interaction: discord.Interaction[Any]) -> None:
    try:
        await step
    except discord.HTTPException as error:
        log.warning("could not %s interaction %s: %s", what, interaction.id, error)
