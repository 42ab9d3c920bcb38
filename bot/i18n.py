"""Translations: catalogs per language, per-member locale, English as last resort.

Catalogs are flat TOML files (``key = "text with {placeholders}"``) named by language, in
``bot/locales``, in each cog's ``locales`` folder, the web board's and each adapter's. A text
with a ``{count}`` follows the language's CLDR plural rules (Babel's data, not a table of
ours): the count picks a category — English and German have ``one`` and ``other``, French
adds ``many``, Polish has ``one``, ``few`` and ``many`` — and the text is ``<key>_<category>``
where the catalog has it, else the base ``<key>``, which holds the ``other`` form. The count
itself is written with the language's digit grouping (``12,345``; ``12.345``; ``12 345``).
A key missing in the member's locale falls back to the community default, then to English;
a key missing in English is a bug, which `I18n.check` (run by the tests) catches before a
member could see a raw key. `SHIPPED_LOCALES` lists the languages whose catalogs are
complete; the catalog tests (tests/core/test_catalogs.py) hold every one of them to it.
"""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.numbers import format_decimal

from bot.errors import UserError
from bot.outgoing import Rich, plain_text
from bot.templates import Value, render

FALLBACK_LOCALE = "en"
SHIPPED_LOCALES = ("en", "de", "fr", "pl", "es", "it", "nl", "pt")
CORE_LOCALES = Path(__file__).parent / "locales"
# CLDR's name for the form a base key holds, and the others, which `<key>_<category>` hold.
OTHER = "other"
PLURAL_CATEGORIES = ("zero", "one", "two", "few", "many")


def normalise_locale(locale: str | None) -> str | None:
    """``de-DE`` → ``de``; the catalogs are per language, not per region."""
    if not locale:
        return None
    return locale.replace("_", "-").split("-")[0].lower()


class I18n:
    def __init__(
        self,
        catalogs: Mapping[str, Mapping[str, str]],
        shipped: Iterable[str] = SHIPPED_LOCALES,
    ) -> None:
        self._catalogs = {locale: dict(entries) for locale, entries in catalogs.items()}
        # A language is offered once it is shipped: a catalog still being written is loaded
        # (its tests can read it) but never shown half English, half translated.
        self._shipped = frozenset(shipped)

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

    @property
    def shipped(self) -> list[str]:
        """The languages members may get: shipped, and with a catalog here."""
        return sorted(self._shipped & self._catalogs.keys())

    def entries(self, locale: str) -> Mapping[str, str]:
        """One language's own texts, without falling back to another language."""
        return self._catalogs.get(locale, {})

    def pick_locale(self, member_locale: str | None, community_default: str) -> str:
        for candidate in (normalise_locale(member_locale), normalise_locale(community_default)):
            if candidate in self._catalogs and candidate in self._shipped:
                return candidate
        return FALLBACK_LOCALE

    def raw(
        self,
        key: str,
        locale: str,
        default_locale: str = FALLBACK_LOCALE,
        *,
        count: int | None = None,
    ) -> str:
        """The text for `key`; with a `count`, its plural form in each language tried."""
        for candidate in (locale, default_locale, FALLBACK_LOCALE):
            catalog = self._catalogs.get(candidate, {})
            text = None
            if count is not None:
                category = plural_category(candidate, count)
                if category != OTHER:
                    text = catalog.get(f"{key}_{category}")
            if text is None:
                text = catalog.get(key)
            if text is not None:
                return text
        raise KeyError(f"no English text for {key}")

    def t(self, key: str, locale: str, /, **values: Value) -> Rich:
        """Render `key`; a numeric ``count`` picks the plural form (``1 new member``) and is
        written the language's way."""
        count = values.get("count")
        if isinstance(count, bool) or not isinstance(count, int):
            return render(self.raw(key, locale), values)
        text = self.raw(key, locale, count=count)
        return render(text, {**values, "count": format_decimal(count, locale=_babel(locale))})

    def text(self, key: str, locale: str, /, **values: Value) -> str:
        """Plain text for places without markup (form titles, button labels)."""
        return plain_text(self.t(key, locale, **values))

    def check(self) -> list[str]:
        """Keys present in a translation but missing in English (would never render); a
        plural form (``new_few``) counts as present when English has its base (``new``).
        Command names (``[command_name]``) exist in translations only: English is the
        command's own path (tests/core/test_catalogs.py checks them)."""
        english = self._catalogs.get(FALLBACK_LOCALE, {})
        return [
            f"{locale}: {key}"
            for locale, entries in self._catalogs.items()
            for key in entries
            if key not in english
            and plural_base(key) not in english
            and not key.startswith(TRANSLATION_ONLY)
        ]


# Tables a translation has without an English counterpart: a command's name in the menu,
# whose English is the command's path itself.
TRANSLATION_ONLY = "command_name."


def _flatten(entries: Mapping[str, object], prefix: str = "") -> Iterable[tuple[str, str]]:
    for key, value in entries.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            yield from _flatten(value, f"{name}.")
        else:
            yield name, str(value)


def plural_base(key: str) -> str:
    """``new`` for a plural form ``new_few``; any other key as it is."""
    base, _, category = key.rpartition("_")
    return base if base and category in PLURAL_CATEGORIES else key


def plural_category(locale: str, count: int) -> str:
    """CLDR's plural category of `count` in `locale` (``one``, ``few``, ``many``, ``other``)."""
    return _babel(locale).plural_form(abs(count))


@functools.cache
def _babel(locale: str) -> Locale:
    """Babel's data for a catalog's language; English for a name CLDR does not know (a test's
    made-up catalog), whose rules are the plainest."""
    try:
        return Locale.parse(normalise_locale(locale) or FALLBACK_LOCALE)
    except (ValueError, UnknownLocaleError):
        return Locale.parse(FALLBACK_LOCALE)


@functools.cache
def _core_catalog() -> I18n:
    return I18n.load([CORE_LOCALES])


def core_error(key: str, /, **values: str | int) -> UserError:
    """A `UserError` with a text of the core catalog (``bot/locales``): English in its
    `message`, and in the member's own language when the dispatcher shows it."""
    english = _core_catalog().text(key, FALLBACK_LOCALE, **values)
    return UserError(english, key=key, values=values)
