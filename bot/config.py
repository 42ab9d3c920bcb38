"""Community configuration: a TOML file validated at start-up, plus run-time overrides.

The file has a ``[community]`` table (locale, channels, roles), one table per feature
(``[welcome]``, ``[moderation]``, ``[tickets]``), and ``[communities."<platform>:<id>"]``
tables that override any of those for one community. Admin commands store further
overrides in the database. The effective configuration of a community is the defaults,
then its file table, then its stored overrides, validated as a whole; an override that
would not validate is refused before it is stored.
"""

from __future__ import annotations

import copy
import difflib
import logging
import re
import time
import tomllib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar, cast, get_args, get_origin
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    SecretStr,
    ValidationError,
    field_validator,
)
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails

from bot.commands import format_duration, parse_duration
from bot.errors import ConfigError, UserError
from bot.i18n import core_error
from bot.inventory import Use
from bot.model import Community
from storage.overrides import OverrideRepository

Section = TypeVar("Section", bound=BaseModel)
T = TypeVar("T")
log = logging.getLogger(__name__)


def _duration(value: object) -> timedelta:
    if isinstance(value, timedelta):
        return value
    if not isinstance(value, str):
        raise ValueError('write a duration as text, like "30m", "12h" or "7d"')
    try:
        return parse_duration(value)
    except UserError as error:
        raise ValueError(error.message) from None


# Words that switch an optional duration off (no cooldown, no reminder).
_OFF = {"0", "off", "none", ""}


def _optional_duration(value: object) -> timedelta | None:
    if value is None or (isinstance(value, str) and value.strip().lower() in _OFF):
        return None
    return _duration(value)


def _show_optional(value: timedelta | None) -> str:
    return "off" if value is None else format_duration(value)


# Durations in config files are written the way people type them in commands (``30m``,
# ``1d``) and read with the same parser, so a typo is a start-up error naming the key.
Duration = Annotated[
    timedelta, BeforeValidator(_duration), PlainSerializer(format_duration, return_type=str)
]
# A duration that may be switched off with ``"off"``; None when off.
OptionalDuration = Annotated[
    timedelta | None,
    BeforeValidator(_optional_duration),
    PlainSerializer(_show_optional, return_type=str),
]


class _ChannelMarker:
    """Marks a setting whose value names a channel (see `ChannelSetting`)."""

    def __repr__(self) -> str:
        return "ChannelSetting"


CHANNEL = _ChannelMarker()
# A setting that names a channel (by name or id; empty: the feature's fallback). Marked so
# the core can list every configured channel without knowing the features: adapters check
# the bot can reach them at start-up, whatever cogs are loaded.
ChannelSetting = Annotated[str, CHANNEL]


@dataclass(frozen=True, slots=True)
class ChannelNeeds:
    """What the bot does in a `ChannelSetting`'s channel, where that is more or less than
    posting: the community check reports a channel where the bot may not do it."""

    uses: frozenset[Use]

    @classmethod
    def of(cls, *uses: Use) -> ChannelNeeds:
        return cls(frozenset(uses))


# What a channel setting without a `ChannelNeeds` mark needs: the bot posts there.
POSTS = ChannelNeeds.of(Use.POST)


class StrictModel(BaseModel):
    """Base for config sections: unknown keys are errors, so typos do not pass silently."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Channels(StrictModel):
    """Channel names or IDs; empty means the feature that needs it posts nowhere."""

    welcome: ChannelSetting = "welcome"
    rules: Annotated[ChannelSetting, ChannelNeeds.of()] = "rules"  # linked to, never posted in
    general: ChannelSetting = "general"
    # Flags go here unless moderation.flag_channel says otherwise; moderators decide by reacting.
    moderators: Annotated[ChannelSetting, ChannelNeeds.of(Use.POST, Use.REACT)] = "moderators"
    ambassadors: ChannelSetting = "ambassadors"
    # Trackers are posted here, answered by reactions, and each ticket talks in a thread.
    tickets: Annotated[ChannelSetting, ChannelNeeds.of(Use.POST, Use.REACT, Use.THREADS)] = (
        "tickets"
    )
    company: ChannelSetting = ""


class Roles(StrictModel):
    """Role names or IDs granting each permission level; platform admins are admins too."""

    admins: list[str] = Field(default_factory=lambda: ["Admins"])
    moderators: list[str] = Field(default_factory=lambda: ["Moderators"])
    ambassadors: list[str] = Field(default_factory=lambda: ["Ambassadors"])
    member: str = ""


class _ChannelKeys:
    """Marks a table whose keys name channels (``channels = { "general-de" = "de" }``)."""

    def __repr__(self) -> str:
        return "ChannelKeys"


CHANNEL_KEYS = _ChannelKeys()


def language_code(value: object, where: str) -> str:
    """A language code the bot has a catalog for: ``de``, and a region's as platforms write
    it (``de-AT``, ``pt-BR``, ``es-419`` -> ``de``, ``pt``, ``es``), never ``German``."""
    from bot.i18n import SHIPPED_LOCALES, normalise_locale  # read when validating

    code = normalise_locale(str(value).strip())
    if code not in SHIPPED_LOCALES:
        known = ", ".join(SHIPPED_LOCALES)
        prefix = f"{where}: " if where else ""
        raise ValueError(f"{prefix}“{value}” is not a language the bot speaks; use one of {known}")
    return code


def one_per_language(value: dict[str, T], what: str) -> dict[str, T]:
    """A table keyed by language, keyed by code; a second code of one language
    (``de``, ``de-AT``) is refused rather than silently dropped."""
    checked: dict[str, T] = {}
    for typed, item in value.items():
        code = language_code(typed, typed)
        if code in checked:
            raise ValueError(f"“{typed}” is {code} again; name one {what} per language")
        checked[code] = item
    return checked


class Languages(StrictModel):
    """Which language each channel speaks and who handles each language (docs/languages.md).

    A channel here (or a thread in it) gets the bot's public posts in its language; a role
    here declares that its members handle the language, like ``/languages set``.
    """

    # Channel name or id -> language code.
    channels: Annotated[dict[str, str], CHANNEL_KEYS] = Field(default_factory=dict)
    # Language code -> role names or ids whose members handle that language.
    roles: dict[str, list[str]] = Field(default_factory=dict)
    # Language code -> the channel newcomers of that language are welcomed in.
    welcome: dict[str, ChannelSetting] = Field(default_factory=dict)

    @field_validator("channels")
    @classmethod
    def _check_channels(cls, value: dict[str, str]) -> dict[str, str]:
        cleaned: dict[str, str] = {}
        for channel, language in value.items():
            name = channel.strip().lstrip("#")
            if not name:
                raise ValueError('a channel name is empty; write it like "general-de"')
            cleaned[name] = language_code(language, channel)
        return cleaned

    @field_validator("roles")
    @classmethod
    def _check_roles(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        """Roles per language; two codes of one language (``de``, ``de-AT``) add up."""
        merged: dict[str, list[str]] = {}
        for typed, roles in value.items():
            merged.setdefault(language_code(typed, typed), []).extend(roles)
        return merged

    @field_validator("welcome")
    @classmethod
    def _check_welcome(cls, value: dict[str, Any]) -> dict[str, Any]:
        """One welcome channel per language."""
        return one_per_language(value, "welcome channel")


class CommunitySettings(StrictModel):
    name: str = ""
    locale: str = "en"
    # The public web board of the community's tickets (docs/web.md): "auto" shows it in
    # local mode and keeps it off on Discord and Slack until an admin turns it on.
    board: Literal["auto"] | bool = "auto"
    channels: Channels = Field(default_factory=Channels)
    roles: Roles = Field(default_factory=Roles)
    languages: Languages = Field(default_factory=Languages)

    @field_validator("locale")
    @classmethod
    def _check_locale(cls, value: str) -> str:
        """The community's language as its catalog's code (``pt-BR`` -> ``pt``), so every
        text reads it alike; one the bot does not speak is refused, not shown in English."""
        return language_code(value, "")


class ConfigFile:
    """The parsed TOML file; `sections` maps feature names to their models."""

    def __init__(self, path: Path | None, raw: dict[str, Any]) -> None:
        self.path = path
        self.raw = raw

    @property
    def label(self) -> str:
        return str(self.path) if self.path else "(built-in defaults)"

    @classmethod
    def load(cls, path: Path | None) -> ConfigFile:
        """Read and parse the file; anything that stops it being read is a `ConfigError`."""
        if path is None:
            return cls(None, {})
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise ConfigError(f"{path}: file not found (set BOTSCHAFTER_CONFIG)") from None
        except OSError as error:
            raise ConfigError(f"{path}: cannot read: {error.strerror}") from None
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as error:
            line = data[: error.start].count(b"\n") + 1
            raise ConfigError(
                f"{path}, line {line}: not UTF-8 text (byte 0x{data[error.start]:02x}); "
                "save the file as UTF-8"
            ) from None
        try:
            raw = tomllib.loads(text)
        except tomllib.TOMLDecodeError as error:
            raise ConfigError(f"{path}: not valid TOML: {error}") from None
        except RecursionError:
            raise ConfigError(
                f"{path}: arrays or tables nested too deeply to read; no setting nests more "
                f"than {MAX_DEPTH} levels"
            ) from None
        if (deep := _too_deep(raw)) is not None:
            line = locate(path, deep)
            raise ConfigError(
                f"{path}{f', line {line}' if line else ''}: {'.'.join(deep)}: nested too "
                f"deeply (more than {MAX_DEPTH} levels); no setting needs that"
            )
        return cls(path, raw)

    def community_raw(self, community_key: str | None) -> dict[str, Any]:
        """Defaults merged with the community's own table."""
        base = {k: v for k, v in self.raw.items() if k != "communities"}
        if community_key is None:
            return copy.deepcopy(base)
        own = self.raw.get("communities", {}).get(community_key, {})
        return deep_merge(base, own)


# The deepest real setting is about six levels down (communities."x".moderation.rules,
# then a rule's keys); deeper is a mistake, and Python's recursion (the TOML reader,
# copying, validation) fails somewhere in the thousands.
MAX_DEPTH = 16


def _too_deep(raw: Mapping[str, Any]) -> list[str] | None:
    """The key path of a value nested more than `MAX_DEPTH` levels down, if any."""
    stack: list[tuple[Any, list[str]]] = [(raw, [])]
    while stack:
        value, path = stack.pop()
        if len(path) > MAX_DEPTH:
            return path
        if isinstance(value, Mapping):
            stack.extend((item, [*path, str(key)]) for key, item in value.items())
        elif isinstance(value, list):
            stack.extend((item, [*path, str(index)]) for index, item in enumerate(value))
    return None


class EffectiveConfig:
    """A community's validated configuration."""

    def __init__(self, community: CommunitySettings, sections: Mapping[str, BaseModel]) -> None:
        self.community = community
        self._sections = sections

    def section(self, name: str, model: type[Section]) -> Section:
        value = self._sections[name]
        if not isinstance(value, model):
            raise TypeError(f"section {name} is {type(value).__name__}, not {model.__name__}")
        return value

    def channel_settings(self) -> dict[str, str]:
        """Every channel the configuration names, by dotted key (``community.channels.
        tickets``, ``moderation.flag_channel``); empty settings (a feature's fallback) are
        left out. What an adapter checks it can reach, without knowing the features."""
        found: dict[str, str] = {}
        tables: dict[str, BaseModel] = {"community": self.community, **self._sections}
        for name, table in tables.items():
            found.update(_channels_in(table, name))
        return found

    def channel_needs(self, key: str) -> ChannelNeeds:
        """What the bot does in the channel the setting `key` (from `channel_settings`)
        names: its `ChannelNeeds` mark, else posting."""
        first, *rest = key.split(".")
        table: BaseModel = self.community if first == "community" else self._sections[first]
        metadata: list[Any] = []
        for part in rest:
            if not isinstance(table, BaseModel):
                break  # the keys of a map of channels (`Languages.channels`, `.welcome`)
            field_info = type(table).model_fields[part]
            metadata = [*field_info.metadata, *_value_metadata(field_info)]
            table = getattr(table, part)
        if CHANNEL_KEYS in metadata:
            return ChannelNeeds.of()  # named for its language only: the bot need not post
        return next((mark for mark in metadata if isinstance(mark, ChannelNeeds)), POSTS)

    def shown(self) -> dict[str, Any]:
        """Every table as JSON data fit to print or show an admin: credentials masked."""
        everything = {"community": self.community.model_dump(mode="json")}
        for name, model in self._sections.items():
            everything[name] = model.model_dump(mode="json")
        return mask_secrets(everything)


def _channels_in(table: BaseModel, prefix: str) -> Iterator[tuple[str, str]]:
    """The non-empty `ChannelSetting` values of a table and the tables nested in it."""
    for key, field_info in type(table).model_fields.items():
        value = getattr(table, key)
        if CHANNEL in field_info.metadata and isinstance(value, str) and value.strip():
            yield f"{prefix}.{key}", value.strip()
        elif CHANNEL_KEYS in field_info.metadata and isinstance(value, Mapping):
            yield from ((f"{prefix}.{key}.{name}", name) for name in value)
        elif _maps_channels(field_info) and isinstance(value, Mapping):
            yield from (
                (f"{prefix}.{key}.{item}", name.strip())
                for item, name in value.items()
                if isinstance(name, str) and name.strip()
            )
        elif isinstance(value, BaseModel):
            yield from _channels_in(value, f"{prefix}.{key}")


def _value_metadata(field_info: FieldInfo) -> list[Any]:
    """The marks on the values of a ``dict[str, ChannelSetting]`` field."""
    args = get_args(field_info.annotation)
    if get_origin(field_info.annotation) is not dict or len(args) != 2:
        return []
    return list(getattr(args[1], "__metadata__", ()))


def _maps_channels(field_info: FieldInfo) -> bool:
    """Whether a field is a map whose values are `ChannelSetting`s."""
    return CHANNEL in _value_metadata(field_info)


# Keys whose values are credentials; a webhook URL, for one, carries its token in its path.
_SECRET_KEY = re.compile(r"webhook|token|secret|password", re.IGNORECASE)
MASK = "********"


def is_secret_key(key: str) -> bool:
    return bool(_SECRET_KEY.search(key))


def mask_secret(value: Any) -> Any:
    """A credential as it may be shown: empty stays empty, a URL keeps only its host."""
    if not isinstance(value, str) or not value:
        return value
    url = urlsplit(value)
    return f"{url.scheme}://{url.hostname}/{MASK}" if url.scheme and url.hostname else MASK


def mask_secrets(data: Any, key: str = "") -> Any:
    """A copy of configuration data with the values of credential keys masked."""
    if isinstance(data, Mapping):
        return {k: mask_secrets(v, key if is_secret_key(key) else str(k)) for k, v in data.items()}
    if isinstance(data, list):
        return [mask_secrets(item, key) for item in data]
    return mask_secret(data) if is_secret_key(key) else data


def _show_secret(value: SecretStr) -> str:
    return str(mask_secret(value.get_secret_value()))


# A credential in the community file, such as a webhook URL: a `SecretStr`, so reprs and
# logs never show it, and dumped (``/config show``, ``config check``) as its host only.
# Read its value only where it is used.
Secret = Annotated[SecretStr, PlainSerializer(_show_secret, return_type=str)]


def validate(
    raw: Mapping[str, Any],
    sections: Mapping[str, type[BaseModel]],
    source: str,
    file: ConfigFile | None = None,
    table: tuple[str, ...] = (),
) -> EffectiveConfig:
    """Validate a merged config; the error lists every problem, each naming the source, its
    line, the dotted key and what is wrong, so one run shows all there is to fix."""
    effective, problems = _validate(raw, sections, source, file, table)
    if effective is None:
        raise ConfigError("\n".join(map(str, problems)))
    return effective


@dataclass(frozen=True, slots=True)
class _Problem:
    line: int  # in the file, for the order of the list; 0 where unknown
    where: str  # the file and line, or "" for a value typed in a command
    key: str  # the dotted key, to tell one problem from another
    text: str  # what is wrong, starting with the key

    def __str__(self) -> str:
        return f"{_at(self.where)}{self.text}"


def _validate(
    raw: Mapping[str, Any],
    sections: Mapping[str, type[BaseModel]],
    source: str,
    file: ConfigFile | None,
    table: tuple[str, ...],
) -> tuple[EffectiveConfig | None, list[_Problem]]:
    """Every table validated on its own, so a mistake in one hides none in another."""
    models: dict[str, type[BaseModel]] = {"community": CommunitySettings, **sections}
    known = ", ".join(f"[{name}]" for name in sorted({"communities", *models}))
    problems = [
        _problem(
            source, file, [*table, name], name, f"unknown table [{name}]; known tables are {known}"
        )
        for name in sorted(set(raw) - {"communities", *models})
    ]
    parsed: dict[str, BaseModel] = {}
    for name, model in models.items():
        try:
            parsed[name] = model.model_validate(raw.get(name, {}))
        except ValidationError as error:
            problems.extend(_problems(error, name, model, source, file, table))
    if problems:
        return None, problems
    community = cast(CommunitySettings, parsed.pop("community"))
    return EffectiveConfig(community, parsed), []


def _problems(
    error: ValidationError,
    name: str,
    model: type[BaseModel],
    source: str,
    file: ConfigFile | None,
    table: tuple[str, ...],
) -> Iterator[_Problem]:
    for problem in error.errors():
        key = ".".join(str(part) for part in (name, *problem["loc"]) if part != "")
        # A message of several lines (the rules list names each broken rule) is several
        # problems at the same place.
        for line in _explain(problem, model).splitlines():
            yield _problem(source, file, [*table, *key.split(".")], key, f"{key}: {line}")


def _problem(
    source: str, file: ConfigFile | None, key_path: list[str], key: str, text: str
) -> _Problem:
    """A problem at the line of `key_path` in the file, where that can be found."""
    line = locate(file.path, key_path) if file and file.path else None
    return _Problem(line or 0, f"{source}, line {line}" if line else source, key, text)


def _at(source: str) -> str:
    """``file: `` before a message, or nothing for a value typed in a command."""
    return f"{source}: " if source else ""


def _explain(problem: ErrorDetails, root: type[BaseModel]) -> str:
    """Pydantic's message, with what to write instead where it alone leaves one guessing."""
    # "Value error, " tells a developer which exception a validator raised; a reader of
    # the configuration gains nothing from it.
    message = problem["msg"].removeprefix("Value error, ")
    loc = [*problem["loc"]]
    if problem["type"] == "model_type" and (known := _keys_at(root, loc)):
        return "this is a table of settings, not one value: set its keys " + ", ".join(known)
    if problem["type"] == "extra_forbidden" and loc:
        known = _keys_at(root, loc[:-1])
        close = difflib.get_close_matches(str(loc[-1]), known, n=1)
        guess = f"did you mean {close[0]}? " if close else ""
        return f"{message} (unknown key; {guess}known keys here: {', '.join(known)})"
    return message


def _keys_at(model: type[BaseModel], path: Sequence[int | str]) -> list[str]:
    """The keys of the (nested) table at `path`; empty where it is not a table of settings."""
    for part in path:
        field = model.model_fields.get(str(part))
        annotation = field.annotation if field is not None else None
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return []
        model = annotation
    return list(model.model_fields)


# The name between brackets stops at any bracket: the lazy `[^\]]+?\s*\]` this replaces was
# quadratic on a long unclosed header line.
_TABLE = re.compile(r"^\s*\[+([^\[\]]+)\]")
_KEY = re.compile(r"^\s*([\w.\"-]+)\s*=")


def locate(path: Path, wanted: list[str]) -> int | None:
    """The line of a TOML file that sets the key path `wanted`, so errors can point at it."""
    if not path.is_file():
        return None
    best: int | None = None
    best_length = 0  # the line naming the most of `wanted` wins, the first one on a tie
    table: list[str] = []
    for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if header := _TABLE.match(text):
            table = [p.strip().strip('"') for p in header.group(1).split(".")]
            named = table
        elif key := _KEY.match(text):
            named = table + [p.strip('"') for p in key.group(1).split(".")]
        else:
            continue
        if named == wanted[: len(named)] and len(named) > best_length:
            best, best_length = number, len(named)
    return best


def deep_merge(base: Mapping[str, Any], top: Mapping[str, Any]) -> dict[str, Any]:
    merged = copy.deepcopy(dict(base))
    for key, value in top.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def apply_dotted(raw: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """Apply ``a.b.c = value`` overrides onto a nested mapping."""
    merged = copy.deepcopy(dict(raw))
    for dotted, value in overrides.items():
        target = merged
        *parents, leaf = dotted.split(".")
        for part in parents:
            target = target.setdefault(part, {})
        target[leaf] = value
    return merged


def check_file(file: ConfigFile, sections: Mapping[str, type[BaseModel]]) -> EffectiveConfig:
    """Validate the defaults and every community table; raise one `ConfigError` that lists
    every problem in the file."""
    defaults, problems = _validate(file.community_raw(None), sections, file.label, file, ())
    reported = {(p.key, p.text) for p in problems}
    communities = file.raw.get("communities", {})
    if not isinstance(communities, Mapping):
        at = ["communities"]
        problems.append(_problem(file.label, file, at, "communities", _COMMUNITY_NAMES))
        communities = {}
    for key, own in communities.items():
        if ":" not in key or not isinstance(own, Mapping):
            text = f'[communities."{key}"]: {_COMMUNITY_NAMES}'
            problems.append(_problem(file.label, file, ["communities", key], key, text))
            continue
        source = f'{file.label} [communities."{key}"]'
        _, found = _validate(file.community_raw(key), sections, source, file, ("communities", key))
        # A mistake in the defaults shows in every community too; say it once, where it is.
        problems.extend(p for p in found if (p.key, p.text) not in reported or _sets(own, p.key))
    if defaults is None or problems:
        problems.sort(key=lambda problem: problem.line)  # in the order of the file
        raise ConfigError("\n".join(map(str, problems)))
    return defaults


_COMMUNITY_NAMES = (
    'one table per community, named "platform:id", e.g. [communities."discord:123456789"]'
)


def _sets(table: Mapping[str, Any], dotted: str) -> bool:
    """Whether `table` itself sets the dotted key (rather than inheriting it)."""
    value: Any = table
    for part in dotted.split("."):
        if isinstance(value, Mapping) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return False
    return True


class ConfigStore:
    """Effective configuration per community, cached until an override changes it.

    With other processes on the same database (`max_age` set), an override one of them
    stores is not announced here: a cached configuration is read again once it is
    `max_age` seconds old, so an admin's ``/config set`` reaches every process within that.
    """

    def __init__(
        self,
        file: ConfigFile,
        overrides: OverrideRepository,
        sections: Mapping[str, type[BaseModel]],
        *,
        max_age: float | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.file = file
        self._overrides = overrides
        self._sections = dict(sections)
        self._cache: dict[str, tuple[float, EffectiveConfig]] = {}
        self._max_age = max_age
        self._monotonic = monotonic

    def check_file(self) -> EffectiveConfig:
        return check_file(self.file, self._sections)

    async def get(self, community: Community) -> EffectiveConfig:
        cached = self._cache.get(community.key)
        if cached is not None:
            read_at, effective = cached
            if self._max_age is None or self._monotonic() - read_at < self._max_age:
                return effective
        stored = await self._overrides.all_for(community.key)
        base = self.file.community_raw(community.key)
        try:
            effective = validate(apply_dotted(base, stored), self._sections, "")
        except ConfigError:
            effective = validate(
                apply_dotted(base, self._valid(community, stored)), self._sections, ""
            )
        self._cache[community.key] = (self._monotonic(), effective)
        return effective

    def _valid(self, community: Community, stored: Mapping[str, Any]) -> dict[str, Any]:
        """The stored overrides that still validate (one may have gone stale with a new
        version or a changed file); each one left out is logged with how to remove it."""
        base = self.file.community_raw(community.key)
        kept: dict[str, Any] = {}
        for key, value in stored.items():
            try:
                validate(apply_dotted(base, {**kept, key: value}), self._sections, "")
            except ConfigError as error:
                log.warning(
                    "ignoring the stored override %s of %s: %s (/config reset %s removes it)",
                    key,
                    community.key,
                    error,
                    key,
                )
                continue
            kept[key] = value
        return kept

    async def preview(self, community: Community, key: str, value: Any) -> EffectiveConfig:
        """The configuration as it would be with this override; a `UserError` saying why
        when it would not validate. Stores nothing."""
        parts = key.split(".")
        if "" in parts or parts[0] == "communities":
            # [communities."…"] tables exist only in the file; an override already applies
            # to this one community, so a nested one would be stored and never read.
            raise core_error("core.config.not_a_setting", key=key)
        stored = await self._overrides.all_for(community.key)
        stored[key] = value
        candidate = apply_dotted(self.file.community_raw(community.key), stored)
        try:
            return validate(candidate, self._sections, "")
        except ConfigError as error:
            problems = str(error).replace("\n", "; ").rstrip(".")
            raise core_error("core.config.not_saved", problems=problems) from None

    async def set_override(
        self, community: Community, key: str, value: Any, by: str, at: datetime
    ) -> None:
        """Store an admin's override, refusing values that would not validate."""
        await self.preview(community, key, value)
        await self._overrides.set(community.key, key, value, by, at)
        self._cache.pop(community.key, None)

    async def clear_override(self, community: Community, key: str) -> bool:
        removed = await self._overrides.remove(community.key, key)
        self._cache.pop(community.key, None)
        return removed
