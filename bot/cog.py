"""The cog base: features declare handlers with decorators; the dispatcher binds them.

A cog gets every dependency through `Services`, passed in at construction; there are no
globals. Decorators only mark methods; `Cog.__init_subclass__` collects the marks once per
class, so registering a cog costs nothing per event.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from pydantic import BaseModel

from bot.clock import Clock
from bot.commands import CommandSpec, MessageCommandSpec, Option, Permission
from bot.config import ConfigStore, EffectiveConfig
from bot.delivery import Outbox
from bot.events import Event
from bot.i18n import I18n
from bot.metrics import Metrics
from bot.model import Community, Member
from bot.platform import Capability, Platform, Platforms
from bot.retention import RetentionPeriods
from bot.scheduler import Scheduler
from bot.screening import TextScreen
from storage.audit import AuditLog
from storage.database import Database

if TYPE_CHECKING:
    from bot.dispatcher import Dispatcher

F = TypeVar("F", bound=Callable[..., Awaitable[None]])
_MARK = "__botschafter_handlers__"


@dataclass(frozen=True, slots=True)
class Listen:
    event: type[Event]


@dataclass(frozen=True, slots=True)
class Command:
    spec: CommandSpec


@dataclass(frozen=True, slots=True)
class MessageCommand:
    spec: MessageCommandSpec


@dataclass(frozen=True, slots=True)
class ButtonPrefix:
    prefix: str
    opens_form: bool = False


@dataclass(frozen=True, slots=True)
class FormPrefix:
    prefix: str


@dataclass(frozen=True, slots=True)
class JobKind:
    kind: str


@dataclass(frozen=True, slots=True)
class AfterDelivery:
    kind: str


@dataclass(frozen=True, slots=True)
class CarriesOut:
    name: str


Mark = (
    Listen
    | Command
    | MessageCommand
    | ButtonPrefix
    | FormPrefix
    | JobKind
    | AfterDelivery
    | CarriesOut
)


def _mark(mark: Mark) -> Callable[[F], F]:
    def decorate(function: F) -> F:
        marks = list(getattr(function, _MARK, ()))
        marks.append(mark)
        setattr(function, _MARK, tuple(marks))
        return function

    return decorate


def listen(event: type[Event]) -> Callable[[F], F]:
    """Handle every event of this type."""
    return _mark(Listen(event))


def command(
    path: str,
    description: str,
    *options: Option,
    permission: Permission = Permission.MEMBER,
    private: bool = False,
    description_de: str = "",
    requires: tuple[Capability, ...] = (),
    opens_form: bool = False,
) -> Callable[[F], F]:
    """Declare a slash command; the handler receives an `Interaction`.

    `requires` names platform capabilities without which the command is not offered;
    `opens_form` says the handler may answer with `Interaction.open_form`.
    """
    spec = CommandSpec(
        path, description, options, permission, private, description_de, requires, opens_form
    )
    return _mark(Command(spec))


def message_command(
    name: str,
    permission: Permission = Permission.MEMBER,
    description: str = "",
    *,
    name_de: str = "",
    description_de: str = "",
    opens_form: bool = False,
) -> Callable[[F], F]:
    """Declare a message action such as "Report message"; German name where platforms
    show one (Discord's context menu); `opens_form` as for `command`."""
    spec = MessageCommandSpec(
        name,
        permission,
        description,
        name_de=name_de,
        description_de=description_de,
        opens_form=opens_form,
    )
    return _mark(MessageCommand(spec))


def button(prefix: str, *, opens_form: bool = False) -> Callable[[F], F]:
    """Handle presses of buttons whose action id starts with ``prefix``; `opens_form` says
    the handler may answer with a form."""
    return _mark(ButtonPrefix(prefix, opens_form))


def form(prefix: str) -> Callable[[F], F]:
    return _mark(FormPrefix(prefix))


def job(kind: str) -> Callable[[F], F]:
    """Handle scheduled jobs of this kind; the handler receives a `storage.jobs.Job`."""
    return _mark(JobKind(kind))


def after_delivery(kind: str) -> Callable[[F], F]:
    """Run with the outcome of outbox entries written with ``Then(kind, data)``, in the
    transaction that records it; the handler receives ``(tx, outcome, data)``."""
    return _mark(AfterDelivery(kind))


def carries_out(name: str) -> Callable[[F], F]:
    """Carry out outbox `Call` effects named `name` (e.g. a company webhook); the handler
    receives ``(data, attempt)`` and raises a `PlatformError` when it did not happen."""
    return _mark(CarriesOut(name))


def declared_commands(
    cog_types: Iterable[type[Cog]],
) -> tuple[list[CommandSpec], list[MessageCommandSpec]]:
    """Commands and message actions the cogs declare, read from the classes alone (no
    database, no connection), in declaration order: for ``discord sync`` and the Slack
    manifest."""
    commands: list[CommandSpec] = []
    actions: list[MessageCommandSpec] = []
    for cog_type in cog_types:
        for _, mark in cog_type.handlers:
            if isinstance(mark, Command):
                commands.append(mark.spec)
            elif isinstance(mark, MessageCommand):
                actions.append(mark.spec)
    return commands, actions


@dataclass
class Services:
    """Everything a cog may depend on, passed in explicitly."""

    db: Database
    clock: Clock
    scheduler: Scheduler
    outbox: Outbox
    config: ConfigStore
    i18n: I18n
    platforms: Platforms
    audit: AuditLog
    started_at: datetime
    dispatcher: Dispatcher | None = None
    # Every random choice a member can see (e.g. which welcome variant) comes from here, so
    # a scripted session seeds it and replays to the same transcript.
    random: random.Random = field(default_factory=random.Random)
    # The web board's address when this process serves one (WEB_PUBLIC_URL, or the local
    # address in local mode): trackers link to their ticket's page there (bot/board.py).
    board_url: str | None = None
    # WEB_SECRET, when set: the key that signs /dashboard links and insights sessions
    # (bot/signin.py); unset, a key made once and kept in the database signs them.
    web_secret: str | None = None
    # Member text the bot posts in public passes the community's rules here first.
    screen: TextScreen = field(default_factory=TextScreen)
    # How long data is kept (settings), for what /privacy info tells members.
    retention: RetentionPeriods = field(default_factory=RetentionPeriods)
    # Counters for /metrics (bot/metrics.py); the scheduler and the outbox share it.
    metrics: Metrics = field(default_factory=Metrics)

    def platform(self, community: Community) -> Platform:
        return self.platforms.for_community(community)

    async def locale_for(self, member: Member) -> str:
        config = await self.config.get(member.community)
        return self.i18n.pick_locale(member.locale, config.community.locale)


class Cog:
    """Base class of features. Subclasses set `name`, and `config_model` if configurable."""

    name: ClassVar[str]
    config_model: ClassVar[type[BaseModel] | None] = None
    locales: ClassVar[Path | None] = None
    handlers: ClassVar[tuple[tuple[str, Mark], ...]] = ()

    def __init__(self, services: Services) -> None:
        self.services = services

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        found: list[tuple[str, Mark]] = []
        for klass in reversed(cls.__mro__):
            for attribute, value in vars(klass).items():
                for mark in getattr(value, _MARK, ()):
                    found.append((attribute, mark))
        cls.handlers = tuple(found)

    async def setup(self) -> None:
        """Called once after construction, before any event; override for start-up work."""

    async def config(self, community: Community) -> EffectiveConfig:
        return await self.services.config.get(community)

    def platform(self, community: Community) -> Platform:
        return self.services.platform(community)
