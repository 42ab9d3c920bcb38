"""Translations: English and German catalogs, per-member locale, English as last resort.

Catalogs are flat TOML files (``key = "text with {placeholders}"``) named by locale, in
``bot/locales`` and in each cog's ``locales`` folder. A text with a ``{count}`` may have a
singular form under ``<key>_one``, used when the count is 1 (English and German need no
more plural forms than these two). A key missing in the member's locale
falls back to the community default, then to English; a key missing in English is a bug,
which `I18n.check` (run by the tests) catches before a member could see a raw key.
"""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path

from bot.errors import UserError
from bot.outgoing import Rich, plain_text
from bot.templates import Value, render

FALLBACK_LOCALE = "en"
SHIPPED_LOCALES = ("en", "de", "fr")
CORE_LOCALES = Path(__file__).parent / "locales"


def normalise_locale(locale: str | None) -> str | None:
    """``de-DE`` → ``de``; the catalogs are per language, not per region."""
    if not locale:
        return None
    return locale.replace("_", "-").split("-")[0].lower()


class I18n:
    def __init__(self, catalogs: Mapping[str, Mapping[str, str]]) -> None:
        self._catalogs = {locale: dict(entries) for locale, entries in catalogs.items()}

    @classmethod
    def load(cls, folders: Iterable[Path]) -> I18n:
        catalogs: dict[str, dict[str, str]] = {}
        for folder in folders:
            for file in sorted(folder.glob("*.toml")):
                entries = tomllib.loads(file.read_text(encoding="utf-8"))
                target = catalogs.setdefault(file.stem, {})
                for key, text in _flatten(entries):
                    if key in target:
                        raise ValueError(f"{file}: key {key} is defined twice")
                    target[key] = text
        return cls(catalogs)

    @property
    def locales(self) -> list[str]:
        return sorted(self._catalogs)

    def pick_locale(self, member_locale: str | None, community_default: str) -> str:
        for candidate in (normalise_locale(member_locale), normalise_locale(community_default)):
            if candidate in self._catalogs:
                return candidate
        return FALLBACK_LOCALE

    def raw(
        self, key: str, locale: str, default_locale: str = FALLBACK_LOCALE, *, one: bool = False
    ) -> str:
        """The text for `key`; with `one`, its singular ``<key>_one`` where a catalog has it."""
        for candidate in (locale, default_locale, FALLBACK_LOCALE):
            catalog = self._catalogs.get(candidate, {})
            text = catalog.get(f"{key}_one") if one else None
            if text is None:
                text = catalog.get(key)
            if text is not None:
                return text
        raise KeyError(f"no English text for {key}")

    def t(self, key: str, locale: str, /, **values: Value) -> Rich:
        """Render `key`; a ``count`` of 1 picks the singular form (``1 new member``)."""
        return render(self.raw(key, locale, one=values.get("count") == 1), values)

    def text(self, key: str, locale: str, /, **values: Value) -> str:
        """Plain text for places without markup (form titles, button labels)."""
        return plain_text(self.t(key, locale, **values))

    def check(self) -> list[str]:
        """Keys present in a translation but missing in English (would never render)."""
        english = self._catalogs.get(FALLBACK_LOCALE, {})
        return [
            f"{locale}: {key}"
            for locale, entries in self._catalogs.items()
            for key in entries
            if key not in english
        ]


def _flatten(entries: Mapping[str, object], prefix: str = "") -> Iterable[tuple[str, str]]:
    for key, value in entries.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            yield from _flatten(value, f"{name}.")
        else:
            yield name, str(value)


@functools.cache
def _core_catalog() -> I18n:
    return I18n.load([CORE_LOCALES])


def core_error(key: str, /, **values: str | int) -> UserError:
    """A `UserError` with a text of the core catalog (``bot/locales``): English in its
    `message`, and in the member's own language when the dispatcher shows it."""
    english = _core_catalog().text(key, FALLBACK_LOCALE, **values)
    return UserError(english, key=key, values=values)
