"""Commands' descriptions and message actions' names in each language, from the catalogs.

A cog's catalog lists its commands under ``[command]`` by path (``"ticket open" = "…"``) and
its message actions under ``[message_command."Report message"]`` (``name``, ``description``).
English is the declaration's own text (tests/core/test_command_texts.py keeps the two equal);
a language whose catalog lacks a text gets none here, so a platform shows English only where
it would anyway, never English labelled as French.
"""

from __future__ import annotations

from bot.commands import CommandSpec, MessageCommandSpec
from bot.i18n import FALLBACK_LOCALE, I18n


def description_key(spec: CommandSpec) -> str:
    return f"command.{spec.path}"


def action_key(spec: MessageCommandSpec, part: str) -> str:
    """``message_command.<name>.name`` or ``.description``."""
    return f"message_command.{spec.name}.{part}"


def description(texts: I18n, spec: CommandSpec, locale: str) -> str:
    """The description a member reads in /help: their language's, else the declaration's."""
    return texts.entries(locale).get(description_key(spec)) or spec.description_for(locale)


def action_name(texts: I18n, spec: MessageCommandSpec, locale: str) -> str:
    return texts.entries(locale).get(action_key(spec, "name")) or spec.name_for(locale)


def action_description(texts: I18n, spec: MessageCommandSpec, locale: str) -> str:
    own = texts.entries(locale).get(action_key(spec, "description"))
    return own or spec.description_for(locale)


def translations(texts: I18n, key: str) -> dict[str, str]:
    """Every shipped language's own text for `key`, English left out (it is the default)."""
    return {
        language: text
        for language in texts.shipped
        if language != FALLBACK_LOCALE and (text := texts.entries(language).get(key))
    }
