"""Neutral command declarations as Discord application commands.

``/ticket open`` and ``/ticket claim`` become one ``ticket`` command with sub-commands (a
third word makes a sub-command group). Options keep their types where Discord has them
(integer, user, channel, yes/no, choices); message links and durations travel as text
and are parsed on arrival, with the same polite errors as on every other platform.
Descriptions carry their translation for every Discord locale whose language the bot ships
and whose catalog has the text (``description_localizations``), and commands, sub-commands,
groups and message actions their names (``name_localizations``, from ``[command_name]``:
``"ticket claim" = "prendre"``); a language without the text gets no localisation, so Discord
shows the English default rather than English labelled as French. The bot's texts name
commands in English (``/ticket claim #4``); the Discord renderer turns those references into
command mentions, which Discord shows in each reader's language (adapters/discord/mentions.py).

Discord sets ``default_member_permissions`` per top-level command, so a group is shown
to the least privileged level any of its sub-commands allows; the dispatcher still checks
each sub-command's own level on every use.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from adapters.discord.permissions import default_member_permissions
from adapters.discord.render import fit
from bot import command_texts
from bot.commands import CommandSpec, MessageCommandSpec, Option, OptionType, Permission
from bot.i18n import I18n

# Discord's rules: lower-case names of 1-32 letters, digits, - or _ (a translated name may
# also hold an apostrophe); descriptions up to 100 characters; strings up to 6000; 25
# choices, options and sub-commands per level.
_NAME = re.compile(r"^[-_\w]{1,32}$")
LOCALISED_NAME = re.compile(r"^[-_'\w]{1,32}$")
NAME_LIMIT = 32
DESCRIPTION_LIMIT = 100
STRING_LIMIT = 6000
MAX_CHOICES = 25
MAX_OPTIONS = 25
# Discord caps the characters of one command: names, descriptions (with translations)
# and choices of it and all its sub-commands together.
COMMAND_SIZE_LIMIT = 4000
# A duration such as "1w2d12h" is short; the limit keeps the input box honest.
DURATION_LIMIT = 20
# Channel options accept channels people talk in: text (0), announcement (5) and threads
# (10 announcement thread, 11 public thread, 12 private thread).
TEXT_CHANNEL_TYPES = (0, 5, 10, 11, 12)
# Interaction context 0 is "in a server": every command needs a community.
GUILD_ONLY = [0]
# Discord's locales for each catalog language (discord.com/developers/docs/reference#locales);
# Spanish serves Spain and Latin America, Portuguese Brazil (Discord has no pt-PT).
DISCORD_LOCALES = {
    "de": ("de",),
    "fr": ("fr",),
    "es": ("es-ES", "es-419"),
    "it": ("it",),
    "nl": ("nl",),
    "pl": ("pl",),
    "pt": ("pt-BR",),
}

CHAT_INPUT = 1
MESSAGE = 3
SUB_COMMAND = 1
SUB_COMMAND_GROUP = 2

_OPTION_TYPES = {
    OptionType.TEXT: 3,
    OptionType.MESSAGE_LINK: 3,
    OptionType.DURATION: 3,
    OptionType.CHOICE: 3,
    OptionType.INTEGER: 4,
    OptionType.BOOLEAN: 5,
    OptionType.USER: 6,
    OptionType.CHANNEL: 7,
}


class CommandShapeError(ValueError):
    """A declaration Discord cannot show (bad name, too deep, a group that is also a command)."""


@dataclass
class _Node:
    name: str
    path: str
    spec: CommandSpec | None = None
    children: dict[str, _Node] = field(default_factory=dict)

    def leaves(self) -> Iterable[CommandSpec]:
        if self.spec is not None:
            yield self.spec
        for child in self.children.values():
            yield from child.leaves()


def application_commands(
    commands: Iterable[CommandSpec],
    message_commands: Iterable[MessageCommandSpec],
    texts: I18n | None = None,
) -> list[dict[str, Any]]:
    """The payload for Discord's bulk overwrite of one server's commands; `texts` (the
    catalogs) give the descriptions and names in other languages."""
    roots: dict[str, _Node] = {}
    for spec in commands:
        _insert(roots, spec)
    payload = [_root(node, texts) for _, node in sorted(roots.items())]
    payload.extend(_message_command(spec, texts) for spec in message_commands)
    return payload


def _insert(roots: dict[str, _Node], spec: CommandSpec) -> None:
    words = spec.path.split()
    if not 1 <= len(words) <= 3:
        raise CommandShapeError(f"/{spec.path}: Discord allows one to three words per command")
    for word in words:
        if not _NAME.match(word) or word != word.lower():
            raise CommandShapeError(f"/{spec.path}: “{word}” is not a valid Discord command name")
    nodes = roots
    node: _Node | None = None
    for depth, word in enumerate(words, 1):
        node = nodes.setdefault(word, _Node(word, " ".join(words[:depth])))
        nodes = node.children
    assert node is not None
    node.spec = spec


def _root(node: _Node, texts: I18n | None) -> dict[str, Any]:
    level = min(spec.permission for spec in node.leaves())
    payload = _command_body(node, CHAT_INPUT, texts)
    if _size(payload) > COMMAND_SIZE_LIMIT:
        raise CommandShapeError(
            f"/{node.name} and its sub-commands exceed Discord's {COMMAND_SIZE_LIMIT} "
            "characters; shorten descriptions or split the group"
        )
    payload["contexts"] = GUILD_ONLY
    payload["default_member_permissions"] = default_member_permissions(Permission(level))
    return payload


def _command_body(node: _Node, kind: int, texts: I18n | None) -> dict[str, Any]:
    if node.spec is not None and node.children:
        raise CommandShapeError(
            f"/{node.spec.path} is a command and also has sub-commands; Discord allows only one"
        )
    if node.spec is not None:
        return {
            "type": kind,
            **_described(node.spec, texts),
            "options": _options(node.spec.options),
        }
    if len(node.children) > MAX_OPTIONS:
        raise CommandShapeError(f"/{node.name} has more than {MAX_OPTIONS} sub-commands")
    subcommands = [
        _command_body(child, SUB_COMMAND if child.spec else SUB_COMMAND_GROUP, texts)
        for _, child in sorted(node.children.items())
    ]
    return {
        "type": kind,
        "name": node.name,
        **_names(texts, node.path),
        "description": fit(" · ".join(sorted(node.children)), DESCRIPTION_LIMIT),
        "options": subcommands,
    }


def _described(spec: CommandSpec, texts: I18n | None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": spec.path.split()[-1],
        **_names(texts, spec.path),
        "description": fit(spec.description, DESCRIPTION_LIMIT),
    }
    translated = _translations(texts, command_texts.description_key(spec))
    if spec.description_de:
        translated.setdefault("de", spec.description_de)
    localised = _localisations(translated, DESCRIPTION_LIMIT)
    if localised:
        body["description_localizations"] = localised
    return body


def name_key(path: str) -> str:
    """``command_name.ticket claim``: the catalog key of a command's (or group's) name."""
    return f"command_name.{path}"


def _names(texts: I18n | None, path: str) -> dict[str, Any]:
    """``name_localizations`` for a command, sub-command or group, if any language has one."""
    translated = _translations(texts, name_key(path))
    for language, name in translated.items():
        if not LOCALISED_NAME.match(name) or name != name.lower():
            raise CommandShapeError(
                f"/{path}: “{name}” ({language}) is not a valid Discord command name"
            )
    localised = _localisations(translated, NAME_LIMIT)
    return {"name_localizations": localised} if localised else {}


def _translations(texts: I18n | None, key: str) -> dict[str, str]:
    return command_texts.translations(texts, key) if texts is not None else {}


def _localisations(translated: dict[str, str], limit: int) -> dict[str, str]:
    """Catalog languages → Discord locales (Spanish twice), each text within `limit`."""
    return {
        locale: fit(text, limit)
        for language, text in sorted(translated.items())
        for locale in DISCORD_LOCALES.get(language, ())
    }


def _options(options: tuple[Option, ...]) -> list[dict[str, Any]]:
    """Typed options; Discord wants the required ones first (order carries no meaning)."""
    if len(options) > MAX_OPTIONS:
        raise CommandShapeError(f"more than {MAX_OPTIONS} options")
    ordered = sorted(options, key=lambda option: not option.required)
    return [_option(option) for option in ordered]


def _option(option: Option) -> dict[str, Any]:
    if not _NAME.match(option.name) or option.name != option.name.lower():
        raise CommandShapeError(f"option “{option.name}” is not a valid Discord option name")
    payload: dict[str, Any] = {
        "type": _OPTION_TYPES[option.type],
        "name": option.name,
        "description": fit(option.description, DESCRIPTION_LIMIT),
        "required": option.required,
    }
    match option.type:
        case OptionType.TEXT:
            payload["max_length"] = min(option.max_length, STRING_LIMIT)
        case OptionType.DURATION:
            payload["max_length"] = DURATION_LIMIT
        case OptionType.CHOICE:
            payload["choices"] = [{"name": c, "value": c} for c in option.choices[:MAX_CHOICES]]
        case OptionType.INTEGER:
            if option.min_value is not None:
                payload["min_value"] = option.min_value
            if option.max_value is not None:
                payload["max_value"] = option.max_value
        case OptionType.CHANNEL:
            payload["channel_types"] = list(TEXT_CHANNEL_TYPES)
    return payload


def _size(body: dict[str, Any]) -> int:
    """Characters Discord counts against `COMMAND_SIZE_LIMIT`: of a localised field, only its
    longest text (the default included) counts."""
    descriptions = [
        body.get("description", ""),
        *body.get("description_localizations", {}).values(),
    ]
    names = [body["name"], *body.get("name_localizations", {}).values()]
    total = max(len(name) for name in names) + max(len(text) for text in descriptions)
    total += sum(len(c["name"]) + len(str(c["value"])) for c in body.get("choices", []))
    return total + sum(_size(option) for option in body.get("options", []))


def _message_command(spec: MessageCommandSpec, texts: I18n | None) -> dict[str, Any]:
    if not 1 <= len(spec.name) <= NAME_LIMIT:
        raise CommandShapeError(f"message action “{spec.name}” needs a name of 1-32 characters")
    body: dict[str, Any] = {
        "type": MESSAGE,
        "name": spec.name,
        "contexts": GUILD_ONLY,
        "default_member_permissions": default_member_permissions(spec.permission),
    }
    translated = _translations(texts, command_texts.action_key(spec, "name"))
    if spec.name_de:
        translated.setdefault("de", spec.name_de)
    names = _localisations(translated, NAME_LIMIT)
    if names:
        body["name_localizations"] = names
    return body
