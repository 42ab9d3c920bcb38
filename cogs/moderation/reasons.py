"""Why a rule matched, in words: a reason's catalog key and values in a reader's language.

The rule engine says why as data (`rules.Reason`: a key of the ``[reason]`` table and plain
values), and storage keeps the same data (`HitReason`), so each reader gets their own
language: a flag the community's, a notice its recipient's, ``python -m bot rules test``
English. Numbers are written the reader's way (``1.5`` s reads ``1,5`` s in German).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from pathlib import Path
from typing import Protocol

from bot.i18n import FALLBACK_LOCALE, I18n
from bot.templates import Value
from cogs.moderation.rules import ReasonValue

LOCALES = Path(__file__).parent / "locales"


class Worded(Protocol):
    """A reason as the engine gives it and as storage returns it."""

    @property
    def key(self) -> str: ...

    @property
    def values(self) -> tuple[tuple[str, ReasonValue], ...]: ...


def reason_text(i18n: I18n, locale: str, reason: Worded) -> str:
    """`reason` in `locale`, or "" for a key no catalog has (stored by a newer release)."""
    separator = i18n.text("reason_format.decimal_separator", locale)
    values = {name: _value(value, separator) for name, value in reason.values}
    try:
        return i18n.text(f"reason.{reason.key}", locale, **values)
    except KeyError:
        return ""


def reason_texts(i18n: I18n, locale: str, reasons: Iterable[Worded]) -> list[str]:
    """Each distinct worded reason once, in order."""
    worded = (reason_text(i18n, locale, reason) for reason in reasons)
    return [text for text in dict.fromkeys(worded) if text]


def in_english(reason: Worded) -> str:
    """`reason` for admins at the command line, who read English."""
    return reason_text(_catalog(), FALLBACK_LOCALE, reason)


@functools.cache
def _catalog() -> I18n:
    return I18n.load([LOCALES])


def _value(value: ReasonValue, decimal_separator: str) -> Value:
    """Whole numbers as they are; others with up to six significant digits (``1.5``)."""
    if isinstance(value, float):
        return f"{value:g}".replace(".", decimal_separator)
    return value
