"""Answering one Discord interaction: in time, privately when asked, never left hanging.

Discord wants a first response within three seconds, and a form can only be shown as that
first response. So the adapter lets the handler answer directly when it is quick, and
acknowledges on its behalf (`acknowledge`) when it is not; replies after that go out as
follow-ups. When the handler answered nothing at all, `finish` closes the interaction
quietly so the member never sees "The application did not respond". A reply too long for
one message is the response plus follow-ups, in order, with the same visibility.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import discord

from adapters.discord.errors import translated
from adapters.discord.render import DiscordMessage, render_message, render_modal
from bot.errors import PlatformError, PlatformUnavailable, UserError
from bot.outgoing import Form, OutgoingMessage


class DiscordResponder:
    """The core's `Responder` for one interaction."""

    def __init__(
        self,
        interaction: discord.Interaction[Any],
        *,
        private: bool,
        text: Callable[[str], str],
        mentions: Callable[[OutgoingMessage], OutgoingMessage] = lambda message: message,
    ) -> None:
        self._interaction = interaction
        self._mentions = mentions
        self._private = private
        self._text = text
        self._lock = asyncio.Lock()
        # A deferred "is thinking…" placeholder that the first reply replaces.
        self._placeholder = False

    @property
    def _updates_message(self) -> bool:
        """Button presses (and forms opened from them) may be acknowledged invisibly."""
        kind = self._interaction.type
        return kind is discord.InteractionType.component or (
            kind is discord.InteractionType.modal_submit and self._interaction.message is not None
        )

    async def reply(self, message: OutgoingMessage, *, private: bool) -> None:
        first, *more = render_message(self._mentions(message), allow_pings=not private)
        async with self._lock:
            with _answering():
                await self._answer(first, private)
                for part in more:
                    await self._interaction.followup.send(**part.send_kwargs(), ephemeral=private)

    async def _answer(self, rendered: DiscordMessage, private: bool) -> None:
        """The first (or only) part: the response, the placeholder's completion, or a
        follow-up when the interaction was answered before."""
        interaction = self._interaction
        if not interaction.response.is_done():
            await interaction.response.send_message(**rendered.send_kwargs(), ephemeral=private)
            return
        if self._placeholder and private == self._private:
            self._placeholder = False
            await interaction.edit_original_response(**rendered.edit_kwargs())
            return
        if self._placeholder:
            # The placeholder's visibility is fixed, and until it is completed every
            # follow-up would land in it. Complete it, remove it, then reply as asked.
            self._placeholder = False
            await interaction.edit_original_response(content="…")
            await interaction.delete_original_response()
        await interaction.followup.send(**rendered.send_kwargs(), ephemeral=private)

    async def open_form(self, form: Form) -> None:
        async with self._lock:
            if self._interaction.response.is_done():
                raise UserError(self._text("discord.form_too_late"))
            await self._interaction.response.send_modal(render_modal(form))

    async def acknowledge(self) -> None:
        """Tell Discord the answer is coming; called when the handler is still busy."""
        interaction = self._interaction
        async with self._lock:
            if interaction.response.is_done():
                return
            if self._updates_message:
                await interaction.response.defer()
                return
            await interaction.response.defer(ephemeral=self._private, thinking=True)
            self._placeholder = True

    async def finish(self) -> None:
        """Close an interaction the handler left unanswered."""
        interaction = self._interaction
        async with self._lock:
            if not interaction.response.is_done():
                if self._updates_message:
                    await interaction.response.defer()
                else:
                    done = self._text("discord.done")
                    await interaction.response.send_message(done, ephemeral=True)
            elif self._placeholder:
                self._placeholder = False
                if self._private:
                    await interaction.edit_original_response(content=self._text("discord.done"))
                else:
                    await interaction.delete_original_response()


@contextmanager
def _answering() -> Iterator[None]:
    """A reply Discord refuses for good becomes a `UserError`, so the member reads why (in a
    short reply that fits) instead of "try again in a moment"; an outage stays
    `PlatformUnavailable`."""
    try:
        with translated("answer you"):
            yield
    except PlatformUnavailable:
        raise
    except PlatformError as error:
        raise UserError(str(error)) from None
