"""Every shipped language is complete: each catalog folder holds every English key in it, with
the same placeholders, every plural form the language's CLDR rules need, and no English left
behind. A language counts as shipped once it is listed in `bot.i18n.SHIPPED_LOCALES`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

import pytest
from babel import Locale

from bot.app.web.language import WEB_LOCALES
from bot.cog import declared_commands
from bot.i18n import CORE_LOCALES, FALLBACK_LOCALE, OTHER, SHIPPED_LOCALES, I18n, plural_base
from cogs import all_cogs

ROOT = Path(__file__).resolve().parents[2]
# Each folder is one catalog: the adapters load theirs alone, the web adds its own to the
# core's and cogs' (which is why a key may not repeat across folders, see I18n.load).
FOLDERS = (
    CORE_LOCALES,
    *(Path(c.locales) for c in all_cogs() if c.locales),
    WEB_LOCALES,
    ROOT / "adapters" / "discord" / "locales",
    ROOT / "adapters" / "slack" / "locales",
)
TRANSLATED = [locale for locale in SHIPPED_LOCALES if locale != FALLBACK_LOCALE]

# Texts that read the same in every language: names of the product, its platforms, formats,
# and the product's own terms for its things. Anything else identical to the English text
# is English left behind. Keep this list short.
SAME_IN_EVERY_LANGUAGE = frozenset(
    {
        "Botschafter",  # the product's name
        "Atom",  # the feed format
        "CSV",  # the file format
        "Discord",
        "Slack",
        "Ticket",  # the product's term, a loanword in the catalogs' languages
        "Tickets",
        "tickets",
        "h",  # the hour's unit symbol ("12 h")
        "Tracker",  # a ticket's public message, named so in every language
        "Kudos",  # thanks given with /kudos, named so in every language
    }
)
# Words a language spells like English (cognates), per language; short, and commented.
SAME_AS_ENGLISH = {
    "de": frozenset({"Status", "Details", "Moderation"}),
    "fr": frozenset({"Message", "Messages", "Votes", "votes", "Pages"}),
    # Italian moderation says "il timeout", "il ban"; "ticket" has no Italian plural.
    "it": frozenset({"timeout", "ban", "ticket"}),
    # Dutch writes "status" and "details" as English does.
    "nl": frozenset({"Status", "Details", "details"}),
}
_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([a-z_][a-z0-9_]*)\}")


def catalog_of(folder: Path, locale: str) -> Mapping[str, str]:
    """One language's entries in one folder (empty if it has no file there)."""
    return I18n.load([folder]).entries(locale)


def placeholders(text: str) -> set[str]:
    return {name for name in _PLACEHOLDER.findall(text) if name}


def english_base(key: str, english: Mapping[str, str]) -> str:
    """``new`` for its plural form ``new_few``; any other key is its own base."""
    base = plural_base(key)
    return base if base in english else key


def plural_variants(english: Mapping[str, str]) -> set[str]:
    """English keys that are another key's plural form (``new_one`` of ``new``)."""
    return {key for key in english if english_base(key, english) != key}


def base_keys(english: Mapping[str, str]) -> list[str]:
    return sorted(set(english) - plural_variants(english))


def missing_keys(folder: Path, locale: str) -> list[str]:
    english, own = catalog_of(folder, FALLBACK_LOCALE), catalog_of(folder, locale)
    return [key for key in base_keys(english) if key not in own]


def placeholder_mismatches(folder: Path, locale: str) -> list[str]:
    """A translation must offer the English placeholders, no more and no fewer; a plural
    form may leave out ``{count}`` and others ("a report" for one) but add none."""
    english, own = catalog_of(folder, FALLBACK_LOCALE), catalog_of(folder, locale)
    wrong = []
    for key, text in own.items():
        base = english_base(key, english)
        if base not in english:
            continue
        expected, found = placeholders(english[base]), placeholders(text)
        if (found != expected) if key == base else not found <= expected:
            wrong.append(f"{key}: {sorted(found)} instead of {sorted(expected)}")
    return wrong


def missing_plural_forms(folder: Path, locale: str) -> list[str]:
    """Every text with a ``{count}`` needs each plural form the language's rules have."""
    english, own = catalog_of(folder, FALLBACK_LOCALE), catalog_of(folder, locale)
    tags = sorted(Locale.parse(locale).plural_form.tags - {OTHER})
    return [
        f"{key}_{tag}"
        for key in base_keys(english)
        if "count" in placeholders(english[key]) and key in own
        for tag in tags
        if f"{key}_{tag}" not in own
    ]


def left_in_english(folder: Path, locale: str) -> list[str]:
    english, own = catalog_of(folder, FALLBACK_LOCALE), catalog_of(folder, locale)
    return [
        f"{key} = {text!r}"
        for key, text in own.items()
        if english.get(key) == text and not reads_the_same(text, locale)
    ]


def reads_the_same(text: str, locale: str) -> bool:
    """No words once placeholders, markup, names and the language's cognates are taken out."""
    words = SAME_IN_EVERY_LANGUAGE | SAME_AS_ENGLISH.get(locale, frozenset())
    rest = _PLACEHOLDER.sub(" ", text)
    return not any(word not in words for word in re.findall(r"\w*[^\W\d_]\w*", rest))


# -- the shipped catalogs --------------------------------------------------------------------


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda f: str(f.relative_to(ROOT)))
@pytest.mark.parametrize("locale", TRANSLATED)
def test_every_english_key_is_translated(folder: Path, locale: str) -> None:
    assert missing_keys(folder, locale) == [], f"{folder}/{locale}.toml lacks these keys"


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda f: str(f.relative_to(ROOT)))
@pytest.mark.parametrize("locale", TRANSLATED)
def test_translations_keep_the_english_placeholders(folder: Path, locale: str) -> None:
    assert placeholder_mismatches(folder, locale) == [], f"{folder}/{locale}.toml"


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda f: str(f.relative_to(ROOT)))
@pytest.mark.parametrize("locale", TRANSLATED)
def test_counted_texts_have_every_plural_form_the_language_needs(folder: Path, locale: str) -> None:
    assert missing_plural_forms(folder, locale) == [], f"{folder}/{locale}.toml lacks these"


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda f: str(f.relative_to(ROOT)))
@pytest.mark.parametrize("locale", TRANSLATED)
def test_no_english_is_left_in_a_translation(folder: Path, locale: str) -> None:
    assert left_in_english(folder, locale) == [], f"{folder}/{locale}.toml still says"


# Discord's rule for a command name in the menu (lower case, no spaces, 1-32 characters).
_COMMAND_NAME = re.compile(r"^[-_'\w]{1,32}$")


def command_name_problems(locale: str) -> list[str]:
    """``[command_name]`` entries (a command's or group's name in the menu) that name no
    command, that Discord would refuse, or that two siblings would share in this language."""
    commands, _ = declared_commands(all_cogs())
    paths = {" ".join(c.path.split()[:n]) for c in commands for n in (1, 2, 3)}
    folders = [Path(c.locales) for c in all_cogs() if c.locales]
    names = {
        key.removeprefix("command_name."): text
        for folder in folders
        for key, text in catalog_of(folder, locale).items()
        if key.startswith("command_name.")
    }
    problems = [f"{path}: no such command" for path in names if path not in paths]
    problems += [
        f"{path}: “{name}” is no Discord command name"
        for path, name in names.items()
        if not _COMMAND_NAME.match(name) or name != name.lower()
    ]
    shown: dict[tuple[str, str], str] = {}
    for path in sorted(paths):
        parent, _, word = path.rpartition(" ")
        name = names.get(path, word)
        if (parent, name) in shown:
            problems.append(f"{path}: “{name}” is also /{shown[parent, name]}")
        shown[parent, name] = path
    return problems


@pytest.mark.parametrize("locale", SHIPPED_LOCALES)
def test_command_names_in_the_menu_are_valid_and_unique_among_siblings(locale: str) -> None:
    assert command_name_problems(locale) == []


@pytest.mark.parametrize("locale", SHIPPED_LOCALES)
def test_every_shipped_language_has_plural_rules_in_babel(locale: str) -> None:
    assert Locale.parse(locale).plural_form.tags, locale


# -- the checks themselves, on a planted bad catalog -----------------------------------------


def test_the_checks_catch_a_bad_polish_catalog(tmp_path: Path) -> None:
    (tmp_path / "en.toml").write_text(
        'greet = "Hello {name}"\n'
        'new = "{count} new members"\n'
        'new_one = "One new member"\n'
        'gone = "Gone"\n'
        'feed = "Atom"\n',
        encoding="utf-8",
    )
    (tmp_path / "pl.toml").write_text(
        'greet = "Cześć {user}"\n'
        'new = "{count} nowych członków"\n'
        'new_one = "Jeden nowy członek {name}"\n'
        'feed = "Atom"\n',
        encoding="utf-8",
    )
    assert missing_keys(tmp_path, "pl") == ["gone"]
    assert placeholder_mismatches(tmp_path, "pl") == [
        "greet: ['user'] instead of ['name']",
        "new_one: ['name'] instead of ['count']",
    ]
    assert missing_plural_forms(tmp_path, "pl") == ["new_few", "new_many"]
    assert left_in_english(tmp_path, "pl") == []
    (tmp_path / "pl.toml").write_text('gone = "Gone"\nfeed = "Atom"\n', encoding="utf-8")
    assert left_in_english(tmp_path, "pl") == ["gone = 'Gone'"]


def test_texts_without_words_may_stay_as_they_are() -> None:
    assert reads_the_same("{emoji} {count}", "pl")
    assert reads_the_same("#{number} · 👍 {votes}", "pl")
    assert reads_the_same("**Ticket #{number}:** {title}", "pl")
    assert reads_the_same("Status", "de")
    assert not reads_the_same("Status", "pl")
    assert not reads_the_same("Open {count}", "de")
