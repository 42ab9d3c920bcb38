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
import tomllib
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, TypeVar
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    SecretStr,
    ValidationError,
)
from pydantic_core import ErrorDetails

from bot.commands import format_duration, parse_duration
from bot.errors import ConfigError, UserError
from bot.i18n import core_error
from bot.model import Community
from storage.overrides import OverrideRepository

Section = TypeVar("Section", bound=BaseModel)
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


class StrictModel(BaseModel):
    """Base for config sections: unknown keys are errors, so typos do not pass silently."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Channels(StrictModel):
    """Channel names or IDs; empty means the feature that needs it posts nowhere."""

    welcome: str = "welcome"
    rules: str = "rules"
    general: str = "general"
    moderators: str = "moderators"
    ambassadors: str = "ambassadors"
    tickets: str = "tickets"
    company: str = ""


class Roles(StrictModel):
    """Role names or IDs granting each permission level; platform admins are admins too."""

    admins: list[str] = Field(default_factory=lambda: ["Admins"])
    moderators: list[str] = Field(default_factory=lambda: ["Moderators"])
    ambassadors: list[str] = Field(default_factory=lambda: ["Ambassadors"])
    member: str = ""


class CommunitySettings(StrictModel):
    name: str = ""
    locale: str = "en"
    channels: Channels = Field(default_factory=Channels)
    roles: Roles = Field(default_factory=Roles)


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
        if path is None:
            return cls(None, {})
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ConfigError(f"{path}: file not found (set BOTSCHAFTER_CONFIG)") from None
        except OSError as error:
            raise ConfigError(f"{path}: cannot read: {error.strerror}") from None
        try:
            return cls(path, tomllib.loads(text))
        except tomllib.TOMLDecodeError as error:
            raise ConfigError(f"{path}: not valid TOML: {error}") from None

    def community_raw(self, community_key: str | None) -> dict[str, Any]:
        """Defaults merged with the community's own table."""
        base = {k: v for k, v in self.raw.items() if k != "communities"}
        if community_key is None:
            return copy.deepcopy(base)
        own = self.raw.get("communities", {}).get(community_key, {})
        return deep_merge(base, own)


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

    def shown(self) -> dict[str, Any]:
        """Every table as JSON data fit to print or show an admin: credentials masked."""
        everything = {"community": self.community.model_dump(mode="json")}
        for name, model in self._sections.items():
            everything[name] = model.model_dump(mode="json")
        return mask_secrets(everything)


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
    """Validate a merged config; errors name the source, the dotted key and the problem."""
    known = {"community", "communities", *sections}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise ConfigError(
            f"{_at(source)}unknown table [{unknown[0]}]; known tables are "
            + ", ".join(f"[{name}]" for name in sorted(known))
        )
    try:
        community = CommunitySettings.model_validate(raw.get("community", {}))
        parsed = {name: model.model_validate(raw.get(name, {})) for name, model in sections.items()}
    except ValidationError as error:
        raise ConfigError(_describe(error, source, sections, file, table)) from None
    return EffectiveConfig(community, parsed)


def _describe(
    error: ValidationError,
    source: str,
    sections: Mapping[str, type[BaseModel]],
    file: ConfigFile | None,
    table: tuple[str, ...],
) -> str:
    title = error.title
    prefix, root = (
        ("community", CommunitySettings) if title == CommunitySettings.__name__ else ("", None)
    )
    for name, model in sections.items():
        if model.__name__ == title:
            prefix, root = name, model
    lines = []
    for problem in error.errors():
        key = ".".join(str(part) for part in (prefix, *problem["loc"]) if part != "")
        line = locate(file.path, [*table, *key.split(".")]) if file and file.path else None
        where = f"{source}, line {line}" if line else source
        lines.append(f"{_at(where)}{key}: {_explain(problem, root)}")
    return "\n".join(lines)


def _at(source: str) -> str:
    """``file: `` before a message, or nothing for a value typed in a command."""
    return f"{source}: " if source else ""


def _explain(problem: ErrorDetails, root: type[BaseModel] | None) -> str:
    """Pydantic's message, with what to write instead where it alone leaves one guessing."""
    message = problem["msg"]
    loc = [*problem["loc"]]
    if root is None:
        return message
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
    table: list[str] = []
    for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if header := _TABLE.match(text):
            table = [p.strip().strip('"') for p in header.group(1).split(".")]
            if table == wanted[: len(table)] and best is None:
                best = number
        elif key := _KEY.match(text):
            full = table + [p.strip('"') for p in key.group(1).split(".")]
            if full == wanted[: len(full)]:
                best = number
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
    """Validate the defaults and every community table; raise `ConfigError` if bad."""
    defaults = validate(file.community_raw(None), sections, file.label, file)
    for key in file.raw.get("communities", {}):
        if ":" not in key:
            raise ConfigError(
                f'{file.label}: [communities."{key}"]: name communities as "platform:id", '
                'e.g. [communities."discord:123456789"]'
            )
        source = f'{file.label} [communities."{key}"]'
        validate(file.community_raw(key), sections, source, file, ("communities", key))
    return defaults


class ConfigStore:
    """Effective configuration per community, cached until an override changes it."""

    def __init__(
        self,
        file: ConfigFile,
        overrides: OverrideRepository,
        sections: Mapping[str, type[BaseModel]],
    ) -> None:
        self.file = file
        self._overrides = overrides
        self._sections = dict(sections)
        self._cache: dict[str, EffectiveConfig] = {}

    def check_file(self) -> EffectiveConfig:
        return check_file(self.file, self._sections)

    async def get(self, community: Community) -> EffectiveConfig:
        cached = self._cache.get(community.key)
        if cached is not None:
            return cached
        stored = await self._overrides.all_for(community.key)
        base = self.file.community_raw(community.key)
        try:
            effective = validate(apply_dotted(base, stored), self._sections, "")
        except ConfigError:
            effective = validate(
                apply_dotted(base, self._valid(community, stored)), self._sections, ""
            )
        self._cache[community.key] = effective
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

    async def set_override(
        self, community: Community, key: str, value: Any, by: str, at: datetime
    ) -> None:
        """Store an admin's override, refusing values that would not validate."""
        parts = key.split(".")
        if "" in parts or parts[0] == "communities":
            # [communities."…"] tables exist only in the file; an override already applies
            # to this one community, so a nested one would be stored and never read.
            raise core_error("core.config.not_a_setting", key=key)
        stored = await self._overrides.all_for(community.key)
        stored[key] = value
        candidate = apply_dotted(self.file.community_raw(community.key), stored)
        try:
            validate(candidate, self._sections, "")
        except ConfigError as error:
            problems = str(error).replace("\n", "; ").rstrip(".")
            raise core_error("core.config.not_saved", problems=problems) from None
        await self._overrides.set(community.key, key, value, by, at)
        self._cache.pop(community.key, None)

    async def clear_override(self, community: Community, key: str) -> bool:
        removed = await self._overrides.remove(community.key, key)
        self._cache.pop(community.key, None)
        return removed
