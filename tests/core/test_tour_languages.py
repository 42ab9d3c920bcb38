"""The guided tour in each shipped language: the community's default language and every
member's is the language under test, and the transcript holds no text of another language's
catalogs, and no raw key.

The tour's script is the golden tour (docs/examples/tour.script) with its German newcomer
made a speaker of the language under test, and the rules button pressed by its label in that
language. What members type stays as the tour has it, and so do the names the admin gave
the rules in the configuration ("mass mentions"): members' and admins' words are theirs; the
test is about every word the bot says.
"""

from __future__ import annotations

import io
import re
from functools import cache
from pathlib import Path

import pytest

from bot.app.runner import run_script
from bot.app.web.language import WEB_LOCALES
from bot.i18n import CORE_LOCALES, FALLBACK_LOCALE, SHIPPED_LOCALES, I18n
from bot.settings import Settings
from cogs import all_cogs

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"
ADAPTERS = Path(__file__).resolve().parents[2] / "adapters"
# A fragment this long is a phrase; shorter ones ("Status", "#{number} ·") may be shared.
PHRASE = 12
_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{[a-z_][a-z0-9_]*\}")
_MARKUP = re.compile(r"\*\*|__|`|\n")


@cache
def catalogs() -> I18n:
    folders = [CORE_LOCALES, *(c.locales for c in all_cogs() if c.locales), WEB_LOCALES]
    return I18n.load([*folders, ADAPTERS / "discord" / "locales", ADAPTERS / "slack" / "locales"])


def phrases(text: str) -> list[str]:
    """The fixed parts of a catalog text, between its placeholders and markup."""
    parts = _MARKUP.split(" ".join(_PLACEHOLDER.split(text)))
    return [p.strip(" .,:;!?…–—()") for p in parts if len(p.strip(" .,:;!?…–—()")) >= PHRASE]


def foreign_phrases(locale: str) -> dict[str, str]:
    """Phrases of other languages' texts that the language's own catalog never uses."""
    texts = catalogs()
    own = texts.entries(locale)
    own_words = "\n".join(own.values())
    found: dict[str, str] = {}
    for other in SHIPPED_LOCALES:
        if other == locale:
            continue
        for key, text in texts.entries(other).items():
            if own.get(key) == text:
                continue
            for phrase in phrases(text):
                if phrase not in own_words:
                    found.setdefault(phrase, f"{other}: {key}")
    return found


def tour_in(locale: str, folder: Path) -> tuple[Path, Path]:
    """The tour's script and configuration, spoken in `locale`."""
    button = catalogs().text("welcome.rules.button", locale)
    script = (EXAMPLES / "tour.script").read_text(encoding="utf-8")
    script = script.replace("join Jonas locale=de", f"join Jonas locale={locale}")
    script = script.replace("press 1 Ich akzeptiere die Regeln", f"press 1 {button}")
    config = (EXAMPLES / "botschafter.toml").read_text(encoding="utf-8")
    config = config.replace(
        '[community]\nname = "Botschafter Demo"\nlocale = "en"',
        (f'[community]\nname = "Botschafter Demo"\nlocale = "{locale}"'),
    )
    (folder / "tour.script").write_text(script, encoding="utf-8")
    (folder / "botschafter.toml").write_text(config, encoding="utf-8")
    return folder / "tour.script", folder / "botschafter.toml"


async def transcript_in(locale: str, settings: Settings, folder: Path) -> str:
    script, config = tour_in(locale, folder)
    settings.config_file = config
    out = io.StringIO()
    assert await run_script(script, settings, out) == 0
    return out.getvalue()


def raw_keys(transcript: str) -> list[str]:
    """Catalog keys shown as they are (a text the catalogs lacked)."""
    keys = {key for locale in SHIPPED_LOCALES for key in catalogs().entries(locale)}
    return sorted(key for key in keys if key.count(".") >= 2 and key in transcript)


@pytest.mark.parametrize("locale", SHIPPED_LOCALES)
async def test_the_tour_speaks_only_the_communitys_language(
    locale: str, settings: Settings, tmp_path: Path
) -> None:
    transcript = await transcript_in(locale, settings, tmp_path)
    admins_words = (EXAMPLES / "botschafter.toml").read_text(encoding="utf-8")
    leaked = {
        phrase: source
        for phrase, source in foreign_phrases(locale).items()
        if phrase in transcript and phrase not in admins_words
    }
    assert leaked == {}, f"the {locale} tour shows other languages' texts"
    assert raw_keys(transcript) == []


def test_the_check_finds_a_planted_english_text_in_a_french_transcript() -> None:
    english = catalogs().text("help.title", FALLBACK_LOCALE)
    french_foreign = foreign_phrases("fr")
    planted = f"[#general] Zoé ran /help\n  {english}\n"
    assert any(phrase in planted for phrase in french_foreign)
    assert raw_keys("  tickets.status.open\n") == ["tickets.status.open"]
