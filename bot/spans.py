"""How long a window lasts, written out for running text ("in the last 90 days").

Durations typed in commands (``90d``) read as code in a sentence, and German needs the
plural dative after "in den letzten" and "innerhalb von": "in den letzten 1d" is neither
German nor English.
"""

from __future__ import annotations

from datetime import timedelta

from bot.commands import parse_duration
from bot.errors import UserError
from bot.i18n import I18n

# Largest first. A unit is used only for a whole count of at least two of it, so one day
# reads "24 hours" ("in den letzten 24 Stunden"), never "in den letzten 1 Tag".
_UNITS = (("weeks", 604800), ("days", 86400), ("hours", 3600), ("minutes", 60))


def last_span(i18n: I18n, duration: timedelta, locale: str) -> str:
    """`duration` in words as it follows "in the last" (``core.last_span.*``)."""
    seconds = max(int(duration.total_seconds()), 0)
    for unit, size in _UNITS:
        count, rest = divmod(seconds, size)
        if count >= 2 and not rest:
            return i18n.text(f"core.last_span.{unit}", locale, count=count)
    return i18n.text("core.last_span.seconds", locale, count=seconds)


def last_span_of(i18n: I18n, stored: str, locale: str) -> str:
    """`last_span` of a duration stored as typed (``30d``); unreadable text as it is."""
    try:
        return last_span(i18n, parse_duration(stored), locale)
    except UserError:
        return stored
