"""Translations: member locale, then community default, then English; never a raw key."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.app.application import CORE_LOCALES
from bot.app.local_session import LocalSession
from bot.i18n import I18n
from bot.outgoing import plain_text
from cogs import all_cogs

CATALOG = I18n(
    {"en": {"hi": "Hello {name}", "only_en": "English only"}, "de": {"hi": "Hallo {name}"}}
)


def shipped() -> I18n:
    return I18n.load([CORE_LOCALES, *(c.locales for c in all_cogs() if c.locales)])


def test_the_member_locale_wins_then_the_community_default_then_english() -> None:
    assert CATALOG.pick_locale("de-DE", "en") == "de"
    assert CATALOG.pick_locale(None, "de") == "de"
    assert CATALOG.pick_locale("fr", "de") == "de"
    assert CATALOG.pick_locale("fr", "es") == "en"


def test_a_missing_translation_falls_back_to_english_not_to_the_key() -> None:
    assert plain_text(CATALOG.t("only_en", "de")) == "English only"
    assert plain_text(CATALOG.t("hi", "de", name="Ben")) == "Hallo Ben"


def test_every_shipped_german_key_exists_in_english() -> None:
    assert shipped().check() == []


def test_every_shipped_english_text_is_translated_to_german() -> None:
    catalogs = shipped()._catalogs
    missing = sorted(set(catalogs["en"]) - set(catalogs["de"]))
    assert missing == [], f"German translations missing for: {missing}"


def test_catalogs_define_each_key_once(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "en.toml").write_text('x = "one"\n', encoding="utf-8")
    (tmp_path / "b" / "en.toml").write_text('x = "two"\n', encoding="utf-8")
    with pytest.raises(ValueError, match="defined twice"):
        I18n.load([tmp_path / "a", tmp_path / "b"])


async def test_replies_follow_the_members_locale(session: LocalSession) -> None:
    c = session.community
    c.add_member("Jonas", locale="de")
    await c.run(c.member("Jonas"), "/help")
    assert "Befehle, die du hier nutzen kannst" in c.last_private(c.member("Jonas"))
    await c.run(c.member("Ben"), "/help")
    assert "Commands you can use here" in c.last_private(c.member("Ben"))


def test_a_count_of_one_picks_the_singular_form_where_there_is_one() -> None:
    catalog = I18n(
        {
            "en": {"new": "{count} new members", "new_one": "{count} new member"},
            "de": {"new": "{count} neue Mitglieder"},
        }
    )
    assert plain_text(catalog.t("new", "en", count=1)) == "1 new member"
    assert plain_text(catalog.t("new", "en", count=2)) == "2 new members"
    assert plain_text(catalog.t("new", "en", count=0)) == "0 new members"
    # German without its own singular keeps German rather than switching to English.
    assert plain_text(catalog.t("new", "de", count=1)) == "1 neue Mitglieder"


async def test_help_names_message_actions_in_the_members_language(session: LocalSession) -> None:
    c = session.community
    c.add_member("Jonas", locale="de")
    await c.run(c.member("Jonas"), "/help")
    assert "Nachricht melden" in c.last_private(c.member("Jonas"))
    await c.run(c.member("Ben"), "/help")
    assert "Report message" in c.last_private(c.member("Ben"))
