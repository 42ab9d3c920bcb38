"""Platform-neutral command declarations and the parsing of typed options.

A command is declared once (name path, description, options, permission, privacy) and each
adapter renders it: Discord as application commands, Slack as slash commands with
sub-commands, the terminal as typed text. Platforms that deliver raw text (Slack, local)
share `parse_arguments`, so usage errors read the same everywhere.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from enum import IntEnum, StrEnum

from bot.errors import UserError
from bot.model import Community
from bot.platform import Capability, Platform


class Permission(IntEnum):
    """Who may run a command; enforced by the dispatcher on every invocation."""

    MEMBER = 0
    AMBASSADOR = 1
    MODERATOR = 2
    ADMIN = 3


class OptionType(StrEnum):
    TEXT = "text"
    INTEGER = "integer"
    USER = "user"
    CHANNEL = "channel"
    MESSAGE_LINK = "message link"
    DURATION = "duration"
    CHOICE = "choice"
    BOOLEAN = "yes/no"


@dataclass(frozen=True, slots=True)
class Option:
    name: str
    description: str
    type: OptionType = OptionType.TEXT
    required: bool = True
    choices: tuple[str, ...] = ()
    min_value: int | None = None
    max_value: int | None = None
    max_length: int = 2000
    # On text platforms (Slack, terminal) given only as ``name:value``, never filled from
    # positional words, so a free-text option can stay last: ``/ticket update note next:7d``.
    keyword_only: bool = False


@dataclass(frozen=True, slots=True)
class CommandSpec:
    """A declared command; `path` is its full name, e.g. ``"ticket open"``."""

    path: str
    description: str
    options: tuple[Option, ...] = ()
    permission: Permission = Permission.MEMBER
    private: bool = False
    description_de: str = ""
    requires: tuple[Capability, ...] = ()

    @property
    def group(self) -> str | None:
        head, _, rest = self.path.partition(" ")
        return head if rest else None

    def usage(self) -> str:
        parts = [f"/{self.path}"]
        for option in self.options:
            label = f"{option.name}:…" if option.keyword_only else option.name
            parts.append(f"<{label}>" if option.required else f"[{label}]")
        return " ".join(parts)


@dataclass(frozen=True, slots=True)
class MessageCommandSpec:
    """A message action ("Report message"); offered where the platform has them."""

    name: str
    permission: Permission = Permission.MEMBER
    description: str = ""
    requires: tuple[Capability, ...] = ()


@dataclass(frozen=True, slots=True)
class Arguments:
    """Typed option values; missing optional options read as None."""

    values: Mapping[str, object] = field(default_factory=dict)

    def __getitem__(self, name: str) -> object:
        return self.values.get(name)

    def text(self, name: str) -> str | None:
        value = self.values.get(name)
        return None if value is None else str(value)


_DURATION_PART = re.compile(r"(\d+)\s*(w|d|h|m|s)", re.IGNORECASE)
_DURATION_WHOLE = re.compile(r"^(\s*\d+\s*[wdhms]\s*)+$", re.IGNORECASE)
_UNIT_SECONDS = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1}
# A year is the longest promise or timeout that still means anything to a member; beyond
# it, a typo ("300d" for "30d") is more likely than intent.
MAX_DURATION = timedelta(days=366)


def parse_duration(text: str) -> timedelta:
    """Parse ``3d``, ``12h``, ``1w2d``, ``90m`` into a timedelta, politely refusing others."""
    if not _DURATION_WHOLE.match(text):
        raise UserError(
            f"“{text}” is not a duration. Use a number and a unit, like 30m, 12h or 3d."
        )
    seconds = sum(int(n) * _UNIT_SECONDS[u.lower()] for n, u in _DURATION_PART.findall(text))
    if seconds <= 0 or seconds > MAX_DURATION.total_seconds():
        raise UserError(f"“{text}” is out of range: use at least 1s and at most 366d.")
    return timedelta(seconds=seconds)


def format_duration(duration: timedelta) -> str:
    """The inverse of `parse_duration`, coarsest units first (``1d12h``)."""
    seconds = int(duration.total_seconds())
    parts = []
    for unit, size in _UNIT_SECONDS.items():
        if unit == "w":
            continue
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts) or "0s"


def split_arguments(text: str) -> list[str]:
    """Split like a shell (quotes group words) but forgive a stray apostrophe."""
    try:
        return shlex.split(text)
    except ValueError:
        return text.split()


def parse_arguments(
    spec: CommandSpec, text: str, platform: Platform, community: Community
) -> Arguments:
    """Turn typed text into option values.

    Any option may be given as ``name:value``; the remaining words fill the other options
    in declared order, and a text option in last place takes the rest of the line.
    """
    named, positional = _separate_named(spec, split_arguments(text))
    values: dict[str, object] = {}
    remaining = [o for o in spec.options if o.name not in named and not o.keyword_only]
    for option in spec.options:
        if option.keyword_only and option.required and option.name not in named:
            raise UserError(f"Missing {option.name}:… Usage: {spec.usage()}")
    for index, option in enumerate(remaining):
        if not positional:
            if option.required:
                raise UserError(f"Missing <{option.name}>. Usage: {spec.usage()}")
            continue
        if index == len(remaining) - 1 and option.type is OptionType.TEXT:
            raw, positional = " ".join(positional), []
        else:
            raw, positional = positional[0], positional[1:]
        values[option.name] = convert_option(option, raw, platform, community)
    if positional:
        raise UserError(f"I did not understand “{' '.join(positional)}”. Usage: {spec.usage()}")
    for name, raw in named.items():
        option = next(o for o in spec.options if o.name == name)
        values[name] = convert_option(option, raw, platform, community)
    return Arguments(values)


def _separate_named(spec: CommandSpec, words: list[str]) -> tuple[dict[str, str], list[str]]:
    option_names = {o.name for o in spec.options}
    named: dict[str, str] = {}
    positional: list[str] = []
    pending: str | None = None
    for word in words:
        if pending is not None:
            named[pending], pending = word, None
            continue
        name, colon, value = word.partition(":")
        if colon and name.lower() in option_names:
            if value:
                named[name.lower()] = value
            else:
                pending = name.lower()
        else:
            positional.append(word)
    if pending is not None:
        raise UserError(f"{pending}: needs a value. Usage: {spec.usage()}")
    return named, positional


def convert_option(option: Option, raw: str, platform: Platform, community: Community) -> object:
    """Convert one raw value, raising a `UserError` that names the option on bad input."""
    raw = raw.strip()
    match option.type:
        case OptionType.TEXT:
            if not raw:
                raise UserError(f"<{option.name}> may not be empty.")
            if len(raw) > option.max_length:
                raise UserError(
                    f"<{option.name}> is too long ({len(raw)} characters); "
                    f"keep it under {option.max_length}."
                )
            return raw
        case OptionType.INTEGER:
            return _convert_integer(option, raw)
        case OptionType.DURATION:
            return parse_duration(raw)
        case OptionType.CHOICE:
            lowered = raw.lower()
            if lowered not in option.choices:
                raise UserError(f"<{option.name}> must be one of: {', '.join(option.choices)}.")
            return lowered
        case OptionType.BOOLEAN:
            if raw.lower() in {"yes", "on", "true", "1"}:
                return True
            if raw.lower() in {"no", "off", "false", "0"}:
                return False
            raise UserError(f"<{option.name}> must be yes or no.")
        case OptionType.USER:
            user = platform.parse_user(community, raw)
            if user is None:
                raise UserError(
                    f"<{option.name}>: “{raw}” is not a member. Mention them, e.g. @name."
                )
            return user
        case OptionType.CHANNEL:
            channel = platform.parse_channel(community, raw)
            if channel is None:
                raise UserError(f"<{option.name}>: “{raw}” is not a channel. Use #channel.")
            return channel
        case OptionType.MESSAGE_LINK:
            message = platform.parse_message_link(community, raw)
            if message is None:
                raise UserError(
                    f"<{option.name}>: “{raw}” is not a link to a message in this community. "
                    "Copy the message link and paste it here."
                )
            return message
    raise AssertionError(option.type)


def _convert_integer(option: Option, raw: str) -> int:
    digits = raw.removeprefix("#")
    if not re.fullmatch(r"-?\d{1,12}", digits):
        raise UserError(f"<{option.name}> must be a number, like 12 or #12.")
    number = int(digits)
    if option.min_value is not None and number < option.min_value:
        raise UserError(f"<{option.name}> must be at least {option.min_value}.")
    if option.max_value is not None and number > option.max_value:
        raise UserError(f"<{option.name}> must be at most {option.max_value}.")
    return number
