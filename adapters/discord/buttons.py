"""Buttons that keep working on old messages, across restarts, without per-message state.

Every button the bot sends carries its neutral ``action_id`` as Discord ``custom_id``. One
`ActionButton` dynamic item matches every custom id, so discord.py routes a press on any
message (even one sent before the last restart and long gone from the cache) to the
adapter, and nothing is stored per message: a server with thousands of tracker messages
costs no memory for their buttons.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

import discord

from bot.outgoing import Button, ButtonStyle

# Discord's limits for a button: custom ids up to 100 characters, labels up to 80.
CUSTOM_ID_LIMIT = 100
LABEL_LIMIT = 80
# Discord shows at most five buttons in a row and five rows on a message.
BUTTONS_PER_ROW = 5
MAX_BUTTONS = 25

_STYLES = {
    ButtonStyle.PRIMARY: discord.ButtonStyle.primary,
    ButtonStyle.SECONDARY: discord.ButtonStyle.secondary,
    ButtonStyle.SUCCESS: discord.ButtonStyle.success,
    ButtonStyle.DANGER: discord.ButtonStyle.danger,
}


class PressHandler(Protocol):
    """What the client offers the button: the adapter's entry point for presses."""

    button_pressed: Callable[[discord.Interaction[Any], str], Awaitable[None]]


class ActionButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=re.compile(rf"(?P<action_id>[^\n]{{1,{CUSTOM_ID_LIMIT}}})"),
):
    """A button whose custom id is a neutral action id; presses go to the adapter."""

    def __init__(
        self,
        button: Button | None = None,
        *,
        item: discord.ui.Button[Any] | None = None,
        row: int | None = None,
    ) -> None:
        if item is None:
            assert button is not None
            if len(button.action_id) > CUSTOM_ID_LIMIT:
                raise ValueError(f"action id {button.action_id!r} is longer than Discord allows")
            item = discord.ui.Button(
                label=_fit(button.label, LABEL_LIMIT),
                style=_STYLES[button.style],
                custom_id=button.action_id,
            )
        super().__init__(item, row=row)

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> ActionButton:
        assert isinstance(item, discord.ui.Button)
        return cls(item=item)

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        handler: PressHandler = interaction.client  # type: ignore[assignment]
        await handler.button_pressed(interaction, self.item.custom_id or "")


def button_view(buttons: tuple[Button, ...]) -> discord.ui.View | None:
    """A view holding the buttons in rows of five; None when there are none."""
    if not buttons:
        return None
    if len(buttons) > MAX_BUTTONS:
        raise ValueError(f"{len(buttons)} buttons; Discord shows at most {MAX_BUTTONS}")
    view = discord.ui.View(timeout=None)
    for index, button in enumerate(buttons):
        view.add_item(ActionButton(button, row=index // BUTTONS_PER_ROW))
    return view


def _fit(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
