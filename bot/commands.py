"""Platform-neutral command declarations and the parsing of typed options.

A command is declared once (name path, description, options, permission, privacy) and each
adapter renders it: Discord as application commands, Slack as slash commands with
sub-commands, the terminal as typed text. Platforms that deliver raw text (Slack, local)
share `parse_arguments`, so usage errors read the same everywhere.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from enum import IntEnum, StrEnum

from bot.i18n import core_error
from bot.model import Community
from bot.platform import Capability, Platform
from bot.text import excerpt


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
    # Free text given by name that runs on over the unquoted words after it, up to the next
    # option: ``details:my token is gone`` is all details, not one word and a longer title.
    runs_on: bool = False


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
    # The handler may answer with a form: a platform whose forms must open within a few
    # seconds of the invocation (Slack's trigger_id) keeps that chance open while it works.
    opens_form: bool = False

    def description_for(self, locale: str) -> str:
        return self.description_de if locale == "de" and self.description_de else self.description

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
    name_de: str = ""
    description_de: str = ""
    opens_form: bool = False  # as `CommandSpec.opens_form`

    def name_for(self, locale: str) -> str:
        return self.name_de if locale == "de" and self.name_de else self.name

    def description_for(self, locale: str) -> str:
        return self.description_de if locale == "de" and self.description_de else self.description


@dataclass(frozen=True, slots=True)
class Arguments:
    """Typed option values; missing optional options read as None."""

    values: Mapping[str, object] = field(default_factory=dict)

    def __getitem__(self, name: str) -> object:
        return self.values.get(name)

    def text(self, name: str) -> str | None:
        value = self.values.get(name)
        return None if value is None else str(value)


# Yes/no options typed as text (Slack, terminal); German communities answer ja or nein.
_YES = {"yes", "on", "true", "1", "ja"}
_NO = {"no", "off", "false", "0", "nein"}
# One ``12h`` step of a duration. The scanner below applies it repeatedly at the place the
# last one ended: a pattern that repeats the step itself, ``(\s*\d+\s*[wdhms]\s*)+``,
# backtracks exponentially on ``"1d  " * 18 + "x"`` and froze the bot for a minute.
_DURATION_STEP = re.compile(r"\s*(\d+)\s*([wdhms])\s*", re.IGNORECASE)
# More digits than any duration up to a year needs; also keeps `int` away from huge numbers.
_DURATION_DIGITS = 12
_UNIT_SECONDS = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1}
# A year is the longest promise or timeout that still means anything to a member; beyond
# it, a typo ("300d" for "30d") is more likely than intent.
MAX_DURATION = timedelta(days=366)
# How much of a refused value an error quotes back; enough to spot the typo.
_ECHO_LIMIT = 40


def parse_duration(text: str) -> timedelta:
    """Parse ``3d``, ``12h``, ``1w2d``, ``90m`` into a timedelta, politely refusing others.

    Runs in time linear in the text: members, moderators and admins all reach it.
    """
    steps = _duration_steps(text)
    if steps is None:
        raise core_error("core.duration.invalid", text=excerpt(text, _ECHO_LIMIT))
    if any(len(number) > _DURATION_DIGITS for number, _ in steps):
        raise core_error("core.duration.range", text=excerpt(text, _ECHO_LIMIT))
    seconds = sum(int(number) * _UNIT_SECONDS[unit.lower()] for number, unit in steps)
    if seconds <= 0 or seconds > MAX_DURATION.total_seconds():
        raise core_error("core.duration.range", text=excerpt(text, _ECHO_LIMIT))
    return timedelta(seconds=seconds)


def _duration_steps(text: str) -> list[tuple[str, str]] | None:
    """The (number, unit) steps that make up all of `text`, or None if anything else is there."""
    steps, position = [], 0
    while position < len(text):
        step = _DURATION_STEP.match(text, position)
        if step is None:
            return None
        steps.append((step[1], step[2]))
        position = step.end()
    return steps or None


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


@dataclass(frozen=True, slots=True)
class _Word:
    """One word of a command line, with its place so free text can be cut out verbatim."""

    value: str
    start: int
    end: int


# A word is a run of quoted chunks and unquoted non-space characters; only double quotes
# (straight or typographic) group, so apostrophes in "don't" never swallow the line. A
# typographic quote ends its search at the next opening one: otherwise every unclosed “ (a
# German closing quote, say) scanned to the end of the line, quadratic in its length.
_WORD = re.compile(r'(?:"[^"]*"|“[^“”]*”|[^\s"“])+')
_QUOTED = re.compile(r'^(?:"([^"]*)"|“([^”]*)”)$')


def split_arguments(text: str) -> list[_Word]:
    words = []
    for match in _WORD.finditer(text):
        quoted = _QUOTED.match(match.group(0))
        value = next(g for g in quoted.groups() if g is not None) if quoted else match.group(0)
        words.append(_Word(value, match.start(), match.end()))
    return words


def parse_arguments(
    spec: CommandSpec, text: str, platform: Platform, community: Community
) -> Arguments:
    """Turn typed text into option values.

    Any option may be given as ``name:value``; the remaining words fill the other options
    in declared order. A text option followed only by optional ones takes the rest of the
    line exactly as typed (quotes, commas and line breaks kept); the optional ones after it
    are then given by name.
    """
    named, positional, cut = _separate_named(spec, text, split_arguments(text))
    values: dict[str, object] = {}
    remaining = [o for o in spec.options if o.name not in named and not o.keyword_only]
    for option in spec.options:
        if option.keyword_only and option.required and option.name not in named:
            raise core_error("core.args.missing_named", name=option.name, usage=spec.usage())
    for index, option in enumerate(remaining):
        if not positional:
            if option.required:
                raise core_error("core.args.missing", name=option.name, usage=spec.usage())
            continue
        takes_rest = all(not later.required for later in remaining[index + 1 :])
        if takes_rest and option.type is OptionType.TEXT:
            raw, positional = _without_stray_quotes(_verbatim(text, positional, cut)), []
        else:
            raw, positional = positional[0].value, positional[1:]
        values[option.name] = convert_option(option, raw, platform, community)
    if positional:
        extra = " ".join(word.value for word in positional)
        raise core_error("core.args.not_understood", extra=extra, usage=spec.usage())
    for name, raw in named.items():
        option = next(o for o in spec.options if o.name == name)
        values[name] = convert_option(option, raw, platform, community)
    return Arguments(values)


def _verbatim(text: str, words: list[_Word], cut: list[tuple[int, int]]) -> str:
    """The text the words span, minus any ``name:value`` options typed in between."""
    if len(words) == 1:
        return words[0].value
    start, end = words[0].start, words[-1].end
    pieces, position = [], start
    for cut_start, cut_end in sorted(cut):
        if start <= cut_start < end:
            pieces.append(text[position:cut_start].rstrip(" "))
            position = cut_end
    pieces.append(text[position:end].lstrip(" ") if pieces else text[position:end])
    return " ".join(piece for piece in pieces if piece)


# Quote marks members type around free text: straight, English, German and French ones.
_QUOTE_PAIRS = {'"': '"', "“": "”", "„": "“", "«": "»", "»": "«", "'": "'", "‚": "‘"}
_QUOTE_MARKS = frozenset('"“”„«»')
# How alike a typed ``name:`` must be to an option's name to be taken for a typo of it:
# "categroy" scores 0.88 against "category"; ordinary words like "note" against "next" 0.5.
_TYPO_SIMILARITY = 0.75
# A word that looks like an option: a plain name and a colon, maybe a value (``categroy:app``).
_NAMED_WORD = re.compile(r"([A-Za-z_]{2,}):(\S*)")


def _without_stray_quotes(value: str) -> str:
    """Free text without the quotes wrapped around all of it, or a lone unmatched one at
    either end (``"Dark mode`` or ``„Dunkelmodus``): quoting a title is natural, keeping
    the marks in it is not. Quotes inside the text (``the "save" button``) stay."""
    closing = _QUOTE_PAIRS.get(value[:1])
    inner = value[1:-1]
    wrapped = closing is not None and len(value) > 1 and value.endswith(closing)
    if wrapped and not any(mark in inner for mark in (value[0], closing)):
        return inner.strip() or value
    if sum(value.count(mark) for mark in _QUOTE_MARKS) % 2:
        if value[:1] in _QUOTE_MARKS:
            return value[1:].lstrip() or value
        if value[-1:] in _QUOTE_MARKS:
            return value[:-1].rstrip() or value
    return value


def _reject_misspelt_option(spec: CommandSpec, text: str, word: _Word) -> None:
    """Refuse ``categroy:app`` with a did-you-mean instead of taking it as free text.

    Only a near miss of a declared option is refused: ``Error:crash`` in a title is text.
    A quoted word is always text, so a member can still write ``"categroy:app"``.
    """
    if text[word.start] in _QUOTE_MARKS:
        return
    typed = _NAMED_WORD.fullmatch(word.value)
    if typed is None:
        return
    names = [option.name for option in spec.options]
    close = difflib.get_close_matches(typed[1].lower(), names, n=1, cutoff=_TYPO_SIMILARITY)
    if close:
        raise core_error(
            "core.args.unknown_option", name=typed[1], suggestion=close[0], usage=spec.usage()
        )


def _separate_named(
    spec: CommandSpec, text: str, words: list[_Word]
) -> tuple[dict[str, str], list[_Word], list[tuple[int, int]]]:
    option_names = {o.name for o in spec.options}
    running = {o.name for o in spec.options if o.runs_on and o.type is OptionType.TEXT}
    named: dict[str, str] = {}
    positional: list[_Word] = []
    cut: list[tuple[int, int]] = []
    pending: tuple[str, int] | None = None
    extending: tuple[str, int] | None = None  # the running option and where its value starts
    for word in words:
        if pending is not None:
            name, start = pending
            named[name], pending = word.value, None
            cut.append((start, word.end))
            if name in running and text[word.start] not in _QUOTE_MARKS:
                extending = (name, word.start)
            continue
        name, colon, value = word.value.partition(":")
        if colon and name.lower() in option_names:
            extending = None
            if value:
                named[name.lower()] = value.strip('"“”')
                cut.append((word.start, word.end))
                value_start = word.start + len(name) + 1
                if name.lower() in running and text[value_start] not in _QUOTE_MARKS:
                    extending = (name.lower(), value_start)
            else:
                pending = (name.lower(), word.start)
        elif extending is not None:
            _reject_misspelt_option(spec, text, word)
            named[extending[0]] = text[extending[1] : word.end]
            cut[-1] = (cut[-1][0], word.end)
        else:
            _reject_misspelt_option(spec, text, word)
            positional.append(word)
    if pending is not None:
        raise core_error("core.args.needs_value", name=pending[0], usage=spec.usage())
    return named, positional, cut


def convert_option(option: Option, raw: str, platform: Platform, community: Community) -> object:
    """Convert one raw value, raising a `UserError` that names the option on bad input."""
    raw = raw.strip()
    match option.type:
        case OptionType.TEXT:
            if not raw:
                raise core_error("core.args.empty", name=option.name)
            if len(raw) > option.max_length:
                raise core_error(
                    "core.args.too_long", name=option.name, length=len(raw), limit=option.max_length
                )
            return raw
        case OptionType.INTEGER:
            return _convert_integer(option, raw)
        case OptionType.DURATION:
            return parse_duration(raw)
        case OptionType.CHOICE:
            lowered = raw.lower()
            if lowered not in option.choices:
                raise core_error(
                    "core.args.choice", name=option.name, choices=", ".join(option.choices)
                )
            return lowered
        case OptionType.BOOLEAN:
            if raw.lower() in _YES:
                return True
            if raw.lower() in _NO:
                return False
            raise core_error("core.args.yes_no", name=option.name)
        case OptionType.USER:
            user = platform.parse_user(community, raw)
            if user is None:
                raise core_error("core.args.not_member", name=option.name, raw=raw)
            return user
        case OptionType.CHANNEL:
            channel = platform.parse_channel(community, raw)
            if channel is None:
                raise core_error("core.args.not_channel", name=option.name, raw=raw)
            return channel
        case OptionType.MESSAGE_LINK:
            message = platform.parse_message_link(community, raw)
            if message is None:
                raise core_error("core.args.not_message", name=option.name, raw=raw)
            return message
    raise AssertionError(option.type)


def _convert_integer(option: Option, raw: str) -> int:
    digits = raw.removeprefix("#")
    if not re.fullmatch(r"-?\d{1,12}", digits):
        raise core_error("core.args.not_number", name=option.name)
    number = int(digits)
    if option.min_value is not None and number < option.min_value:
        raise core_error("core.args.too_small", name=option.name, limit=option.min_value)
    if option.max_value is not None and number > option.max_value:
        raise core_error("core.args.too_large", name=option.name, limit=option.max_value)
    return number
