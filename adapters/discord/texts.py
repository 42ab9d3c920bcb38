"""The adapter's own few words to members (in English and German), e.g. "Done."."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from bot.i18n import FALLBACK_LOCALE, I18n

LOCALES = Path(__file__).parent / "locales"


class AdapterTexts:
    def __init__(self) -> None:
        self._i18n = I18n.load([LOCALES])

    def for_locale(self, locale: str | None) -> Callable[[str], str]:
        """A lookup in the member's language, English when Discord gave none we ship."""
        chosen = self._i18n.pick_locale(locale, FALLBACK_LOCALE)
        return lambda key: self._i18n.text(key, chosen)

    def missing_in_english(self) -> list[str]:
        return self._i18n.check()
