"""Routes events to cog handlers and keeps one failure from spreading.

Listeners run in registration order; an exception in one is logged with the event and the
handler's name, and the next handler still runs. Interactive events (commands, buttons,
forms, message actions) go to exactly one handler after a server-side permission check; a
`UserError` becomes a private reply, any other error a private apology.

Every handler runs under a time limit (`HANDLER_TIMEOUT_SECONDS`): one that hangs is
cancelled and logged in one line, an interactive one also apologises, and the next handler
and the next event run as usual.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from functools import partial
from time import perf_counter
from typing import Any

from bot.cog import (
    ButtonPrefix,
    Cog,
    Command,
    FormPrefix,
    JobKind,
    Listen,
    MessageCommand,
    Services,
)
from bot.commands import Arguments, CommandSpec, MessageCommandSpec, Permission, parse_arguments
from bot.errors import PermissionDenied, UserError
from bot.events import (
    ButtonPressed,
    CommandInvoked,
    Event,
    FormSubmitted,
    MessageCommandInvoked,
    Responder,
)
from bot.i18n import FALLBACK_LOCALE, core_error
from bot.interaction import Interaction
from bot.languages import channel_language, private_locale, public_locale
from bot.metrics import LISTENER_SAMPLE
from bot.model import Member
from bot.outgoing import OutgoingMessage, Rich
from bot.permissions import has_permission, may_use
from bot.platform_names import platform_name
from bot.sanitise import clean_event
from bot.watchdog import DeadlineExceeded, Watchdog
from storage.database import TransactionConflict

log = logging.getLogger(__name__)

Handler = Callable[..., Awaitable[None]]

# How long one handler may take before it is cancelled. The slowest honest handlers (a
# ticket command, a moderation decision) make a few platform calls, and the platform
# libraries wait out a rate limit for up to ~10 s; 30 s lets those finish, while a call that
# never answers frees the event (and the member gets an apology) within half a minute.
HANDLER_TIMEOUT_SECONDS = 30.0


@dataclass(frozen=True, slots=True)
class RegisteredCommand:
    spec: CommandSpec
    handler: Handler
    cog: str


@dataclass(frozen=True, slots=True)
class RegisteredMessageCommand:
    spec: MessageCommandSpec
    handler: Handler
    cog: str


class Dispatcher:
    def __init__(
        self, services: Services, *, handler_timeout: float = HANDLER_TIMEOUT_SECONDS
    ) -> None:
        self._services = services
        self._watchdog = Watchdog(handler_timeout)
        self._listeners: dict[type[Event], list[Handler]] = {}
        self._commands: dict[str, RegisteredCommand] = {}
        self._message_commands: dict[str, RegisteredMessageCommand] = {}
        self._buttons: list[tuple[str, Handler]] = []
        # Prefixes of the buttons whose handlers may open a form (`bot.cog.button`).
        self.form_buttons: list[str] = []
        self._forms: list[tuple[str, Handler]] = []
        self.cogs: list[Cog] = []
        self._events = services.metrics.events  # counted on every event: bound once
        self._tick = LISTENER_SAMPLE  # counts down to the next event whose listeners are timed

    def add_cog(self, cog: Cog) -> None:
        for attribute, mark in type(cog).handlers:
            handler = getattr(cog, attribute)
            match mark:
                case Listen(event):
                    self._listeners.setdefault(event, []).append(handler)
                case Command(spec):
                    if spec.path in self._commands:
                        raise ValueError(f"command /{spec.path} is declared twice")
                    self._commands[spec.path] = RegisteredCommand(spec, handler, cog.name)
                case MessageCommand(spec):
                    self._message_commands[spec.name] = RegisteredMessageCommand(
                        spec, handler, cog.name
                    )
                case ButtonPrefix(prefix, opens_form):
                    self._buttons.append((prefix, handler))
                    if opens_form:
                        self.form_buttons.append(prefix)
                case FormPrefix(prefix):
                    self._forms.append((prefix, handler))
                case JobKind(kind):
                    self._services.scheduler.register(kind, handler)
        self.cogs.append(cog)

    @property
    def commands(self) -> Mapping[str, RegisteredCommand]:
        return self._commands

    @property
    def message_commands(self) -> Mapping[str, RegisteredMessageCommand]:
        return self._message_commands

    async def dispatch(self, event: Event) -> None:
        """Deliver one event; never raises for a handler's failure."""
        event = clean_event(event)
        self._events[type(event), event.community.platform] += 1
        match event:
            case CommandInvoked():
                await self._run_command(event)
            case MessageCommandInvoked():
                await self._run_message_command(event)
            case ButtonPressed():
                await self._run_prefixed(self._buttons, event.action_id, event)
            case FormSubmitted():
                await self._run_prefixed(self._forms, event.form_id, event)
        handlers = self._listeners.get(type(event))
        if handlers:
            self._tick -= 1
            if self._tick:
                await self._run_listeners(handlers, event)
            else:
                self._tick = LISTENER_SAMPLE
                await self._run_timed(handlers, event)

    async def _run_timed(self, handlers: list[Handler], event: Event) -> None:
        """`_run_listeners`, timing each handler for /metrics (see bot.metrics)."""
        for handler in handlers:
            started = perf_counter()
            await self._run_listeners([handler], event)
            self._observe(handler, perf_counter() - started)

    async def _run_listeners(self, handlers: list[Handler], event: Event) -> None:
        guard = self._watchdog.guard()  # one per event: finding the task costs more than a guard
        for handler in handlers:
            try:
                with guard:
                    try:
                        await handler(event)
                    except TransactionConflict:
                        # It lost a race (PostgreSQL) and wrote nothing: run it again. Not
                        # wrapped from the start: this path runs for every event.
                        await self._services.db.retrying(partial(handler, event))
            except DeadlineExceeded:
                self._log_timeout(_name(handler), event)
            except Exception:
                log.exception("%s failed on %r", _name(handler), event)

    def _observe(self, handler: Handler, seconds: float) -> None:
        self._services.metrics.handler_histogram(_cog(handler)).observe(seconds)

    def resolve(self, path: str, arguments: str) -> tuple[RegisteredCommand | None, str]:
        """Find the command for ``/ticket open x``-style input where the sub-command is
        still part of the argument text (Slack and the terminal deliver it that way)."""
        if path in self._commands:
            return self._commands[path], arguments
        first, _, rest = arguments.strip().partition(" ")
        return self._commands.get(f"{path} {first.lower()}"), rest

    async def _run_command(self, event: CommandInvoked) -> None:
        raw = event.arguments if isinstance(event.arguments, str) else ""
        registered, remaining = self.resolve(event.path, raw)
        if registered is None:

            async def explain(interaction: Interaction) -> None:
                raise self._unresolved(event.path, interaction)

            await self._refuse(event, explain)
            return
        spec = registered.spec

        async def invoke(interaction: Interaction) -> None:
            platform = interaction.platform
            missing = [c for c in spec.requires if c not in platform.capabilities]
            if missing:
                raise core_error(
                    "core.unavailable",
                    command=spec.path,
                    platform=platform_name(interaction.i18n, platform.name, interaction.locale),
                    capability=interaction.i18n.text(
                        f"core.capability.{missing[0].name.lower()}", interaction.locale
                    ),
                )
            if isinstance(event.arguments, str):
                args = parse_arguments(spec, remaining, platform, event.community)
            else:
                args = Arguments(dict(event.arguments))
            await registered.handler(_with_args(interaction, args, event))

        await self._guarded(
            event.member,
            event.responder,
            spec.permission,
            spec.private,
            invoke,
            event,
            _name(registered.handler),
            _cog(registered.handler),
        )

    async def _run_message_command(self, event: MessageCommandInvoked) -> None:
        registered = self._message_commands.get(event.name)
        if registered is None:

            async def explain(interaction: Interaction) -> None:
                raise core_error("core.unknown_action", name=event.name)

            await self._refuse(event, explain)
            return

        async def invoke(interaction: Interaction) -> None:
            await registered.handler(_replace(interaction, target=event.message))

        await self._guarded(
            event.member,
            event.responder,
            registered.spec.permission,
            True,
            invoke,
            event,
            _name(registered.handler),
            _cog(registered.handler),
        )

    async def _run_prefixed(
        self,
        routes: list[tuple[str, Handler]],
        action_id: str,
        event: ButtonPressed | FormSubmitted,
    ) -> None:
        handler = next((h for prefix, h in routes if action_id.startswith(prefix)), None)
        if handler is None:
            # A stale button (a poll from before an upgrade) or a form another app wrote:
            # the member is answered; one DEBUG line with its kind and id (issue 18), no
            # warning an operator could act on, and none of the member's details.
            log.debug("no handler for a %s with id %r", type(event).__name__, action_id)

            async def explain(interaction: Interaction) -> None:
                raise core_error("core.gone")

            await self._refuse(event, explain)
            return

        async def invoke(interaction: Interaction) -> None:
            if isinstance(event, ButtonPressed):
                interaction = _replace(interaction, message=event.message, action_id=action_id)
            else:
                interaction = _replace(
                    interaction,
                    channel=event.channel,
                    action_id=action_id,
                    form_values=event.values,
                )
            await handler(interaction)

        await self._guarded(
            event.member,
            event.responder,
            Permission.MEMBER,
            True,
            invoke,
            event,
            _name(handler),
            _cog(handler),
        )

    async def _guarded(
        self,
        member: Member,
        responder: Responder,
        permission: Permission,
        private: bool,
        invoke: Callable[[Interaction], Awaitable[None]],
        event: Event,
        name: str,
        cog: str = "core",
    ) -> None:
        services = self._services
        locale = FALLBACK_LOCALE
        started = perf_counter()
        try:
            with self._watchdog.guard():
                config = await services.config.get(member.community)
                locale = private_locale(services.i18n, config.community, member.locale)
                platform = services.platform(member.community)
                channel = getattr(event, "channel", None)
                language = await channel_language(config.community, platform, channel)
                interaction = Interaction(
                    member=member,
                    locale=locale,
                    config=config,
                    platform=platform,
                    responder=responder,
                    i18n=services.i18n,
                    private_by_default=private,
                    channel=channel,
                    public_locale=public_locale(services.i18n, config.community, language),
                )
                if not has_permission(member, permission, config.community.roles):
                    raise _permission_denied(permission, services)
                await services.db.retrying(partial(invoke, interaction))
        except UserError as error:
            text = (
                services.i18n.t(error.key, locale, **error.values) if error.key else error.message
            )
            await _reply_safely(responder, text, event)
        except DeadlineExceeded:
            self._log_timeout(name, event)
            await _reply_safely(responder, services.i18n.t("core.crashed", locale), event)
        except Exception:
            log.exception("handler failed on %r", event)
            await _reply_safely(responder, services.i18n.t("core.crashed", locale), event)
        services.metrics.handler_histogram(cog).observe(perf_counter() - started)

    def _log_timeout(self, name: str, event: Event) -> None:
        """One line, no traceback: the stack of a cancelled await says nothing new."""
        log.error(
            "%s timed out after %g s on %s in %s and was cancelled",
            name,
            self._watchdog.seconds,
            type(event).__name__,
            event.community.key,
        )

    async def _refuse(
        self,
        event: CommandInvoked | MessageCommandInvoked | ButtonPressed | FormSubmitted,
        explain: Callable[[Interaction], Awaitable[None]],
    ) -> None:
        """Answer an interaction nobody handles, in the member's language."""
        await self._guarded(
            event.member,
            event.responder,
            Permission.MEMBER,
            True,
            explain,
            event,
            "Dispatcher.refuse",
        )

    def _unresolved(self, path: str, interaction: Interaction) -> UserError:
        """Why ``/path`` ran nothing: a group's usable sub-commands, or no such command."""
        group = [c.spec for p, c in sorted(self._commands.items()) if p.startswith(path + " ")]
        roles = interaction.config.community.roles
        usable = [s for s in group if may_use(interaction.member, s, roles, interaction.platform)]
        if usable:
            usages = " · ".join(s.usage() for s in usable)
            return core_error("core.which_one", usages=usages, count=len(usable))
        if group:
            level = min(spec.permission for spec in group)
            return core_error("core.permission_denied", level=level.name.lower())
        return core_error("core.no_command", command=path)


def _with_args(interaction: Interaction, args: Arguments, event: CommandInvoked) -> Interaction:
    return _replace(interaction, args=args, channel=event.channel)


def _replace(interaction: Interaction, **changes: Any) -> Interaction:
    return replace(interaction, **changes)


async def _reply_safely(responder: Responder, text: Rich | str, event: Event) -> None:
    try:
        await responder.reply(OutgoingMessage.of(text), private=True)
    except Exception:
        log.exception("could not tell the member about a problem with %r", event)


def _permission_denied(permission: Permission, services: Services) -> PermissionDenied:
    level = permission.name.lower()
    english = services.i18n.text("core.permission_denied", FALLBACK_LOCALE, level=level)
    return PermissionDenied(english, key="core.permission_denied", values={"level": level})


def _name(handler: Handler) -> str:
    owner = getattr(handler, "__self__", None)
    return f"{type(owner).__name__}.{handler.__name__}" if owner else repr(handler)


def _cog(handler: Handler) -> str:
    """The name of the cog a handler belongs to, as /metrics labels its latency."""
    return str(getattr(getattr(handler, "__self__", None), "name", "core"))
