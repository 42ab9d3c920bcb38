"""Language: the member's locale, else the community default; English as last resort."""

from __future__ import annotations

from pathlib import Path

from bot.app.application import CORE_LOCALES
from bot.app.local_session import LocalSession
from bot.i18n import I18n
from cogs.welcome import WelcomeCog

LOCALES = Path(WelcomeCog.locales or "")


async def test_member_locale_picks_german(session: LocalSession, cog: WelcomeCog, configure):
    await configure({"welcome.rules.enabled": True})
    c = session.community
    await c.join("Zoe", locale="de-DE")
    welcome = c.read("#welcome")[0]
    assert any(word in welcome.text for word in ("Willkommen", "Hallo", "willkommen"))
    assert [b.label for b in welcome.buttons] == ["Ich akzeptiere die Regeln"]


async def test_without_a_member_locale_the_community_default_applies(
    session: LocalSession, cog: WelcomeCog, configure
):
    await configure({"community.locale": "de", "welcome.rules.enabled": True})
    c = session.community
    await c.join("Zoe")
    assert c.read("#welcome")[0].buttons[0].label == "Ich akzeptiere die Regeln"


async def test_unshipped_member_locale_falls_back_to_the_community_default(
    session: LocalSession, cog: WelcomeCog, configure
):
    await configure({"welcome.rules.enabled": True})
    c = session.community
    await c.join("Zoe", locale="ja")
    assert c.read("#welcome")[0].buttons[0].label == "I accept the rules"


async def test_admin_template_in_the_members_own_language_wins(
    session: LocalSession, cog: WelcomeCog, configure
):
    await configure(
        {"welcome.templates.fr": ["Bienvenue {member} !"], "welcome.templates.en": ["Hi {member}"]}
    )
    c = session.community
    await c.join("Zoe", locale="fr")
    assert c.read("#welcome")[0].text == "Bienvenue @Zoe !"


async def test_shipped_german_beats_an_english_only_admin_template_for_german_members(
    session: LocalSession, cog: WelcomeCog, configure
):
    await configure({"welcome.templates.en": ["Hi {member}"]})
    c = session.community
    await c.join("Zoe", locale="de")
    text = c.read("#welcome")[0].text
    assert text != "Hi @Zoe"
    assert "Zoe" in text


async def test_missing_german_text_falls_back_to_english_never_a_raw_key(
    session: LocalSession, cog: WelcomeCog, configure, tmp_path: Path
):
    partial = tmp_path / "partial"
    partial.mkdir()
    english = (LOCALES / "en.toml").read_text(encoding="utf-8")
    (partial / "en.toml").write_text(english, encoding="utf-8")
    (partial / "de.toml").write_text('[welcome.rules]\nbutton = "Regeln annehmen"\n', "utf-8")
    session.app.services.i18n = I18n.load([CORE_LOCALES, partial])
    await configure({"welcome.rules.enabled": True})
    c = session.community
    await c.join("Zoe", locale="de")
    welcome = c.read("#welcome")[0]
    assert welcome.buttons[0].label == "Regeln annehmen"
    english_openings = ("👋 Welcome to", "Hello @Zoe", "@Zoe just arrived")
    assert welcome.text.startswith(english_openings)
    assert "welcome.greeting" not in welcome.text
