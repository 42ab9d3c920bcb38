"""The Slack adapter's own few words to members (English and German): the modal shown
while a slow handler works, and the polite answer when a form's trigger ran out."""

from __future__ import annotations

import functools
from pathlib import Path

from bot.i18n import FALLBACK_LOCALE, I18n

LOCALES = Path(__file__).parent / "locales"


@functools.cache
def _catalog() -> I18n:
    return I18n.load([LOCALES])


def text(key: str, locale: str | None) -> str:
    """A text in the member's language, English when Slack gave none we ship."""
    catalog = _catalog()
    return catalog.text(f"slack.{key}", catalog.pick_locale(locale, FALLBACK_LOCALE))


def missing_in_english() -> list[str]:
    return _catalog().check()
