"""What an adapter may ask of the application that runs it.

Adapters depend on the neutral core only; the application layer (`bot.app`) implements
`Host` and hands itself to each adapter's ``start``. Keeping this narrow is what lets an
adapter be tested against a fake host and keeps the layers one-way: core ← cogs, adapters
← app.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from pydantic import BaseModel

from bot.cog import Services
from bot.commands import CommandSpec, MessageCommandSpec
from bot.events import Event
from bot.i18n import I18n
from bot.platform import Platform


@dataclass(frozen=True)
class Declarations:
    """The commands and message actions the cogs declare, by path and by name: what an
    adapter registers with its platform (Discord's command sync, the Slack manifest); and
    their configuration tables, so an adapter's check can read the configured channels
    without a running bot (``slack check``)."""

    commands: Mapping[str, CommandSpec]
    message_commands: Mapping[str, MessageCommandSpec]
    config_sections: Mapping[str, type[BaseModel]] = field(default_factory=dict)
    # Action-id prefixes of the buttons whose handlers may answer with a form.
    form_buttons: tuple[str, ...] = ()
    # The catalogs, for the commands' descriptions in each language (bot.command_texts).
    texts: I18n | None = None

    def command_opens_form(self, line: str) -> bool:
        """Whether the command a line invokes (``ticket open`` in ``ticket open Printer``)
        may answer with a form; the longest declared path wins."""
        words = line.casefold().split()
        for length in range(len(words), 0, -1):
            spec = self.commands.get(" ".join(words[:length]))
            if spec is not None:
                return spec.opens_form
        return False

    def message_command_opens_form(self, name: str) -> bool:
        spec = self.message_commands.get(name)
        return spec is not None and spec.opens_form

    def button_opens_form(self, action_id: str) -> bool:
        return any(action_id.startswith(prefix) for prefix in self.form_buttons)

    @classmethod
    def of(
        cls,
        commands: list[CommandSpec],
        message_commands: list[MessageCommandSpec],
        config_sections: Mapping[str, type[BaseModel]] | None = None,
        texts: I18n | None = None,
    ) -> Declarations:
        return cls(
            {c.path: c for c in commands},
            {m.name: m for m in message_commands},
            dict(config_sections or {}),
            texts=texts,
        )


class Host(Protocol):
    """The running application, as an adapter sees it."""

    @property
    def services(self) -> Services: ...

    @property
    def declarations(self) -> Declarations: ...

    @property
    def checking(self) -> bool:
        """True for ``config check --platform``: the adapter connects and reads what the
        check needs, but changes nothing on the platform (joins no channel) and opens no
        event connection (a Socket Mode connection would take events from the running
        bot); what a start would change it only reports."""
        ...

    async def deliver(self, event: Event) -> None:
        """Queue an event for the dispatcher (bounded; see `bot.intake`)."""

    def fail(self, reason: str) -> None:
        """Stop the bot because a part cannot go on (e.g. the connection ended for good)."""


class Adapter(Platform, Protocol):
    """A platform that also connects: it delivers events to its host once started."""

    async def start(self, host: Host) -> None: ...

    async def stop(self) -> None: ...
