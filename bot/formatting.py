"""Dates, times and durations as members of each language write them (Babel/CLDR).

Every time, date or duration a member reads goes through here, so a French tracker says
``05/01/2026 09:00 UTC`` and ``3 j``. Times are shown in UTC with the zone named: trackers
and flag cards are read across time zones. Counts in texts are grouped by `bot.i18n`
(``12 345`` in Polish), which picks their plural form too.

English keeps two deliberate forms: dates are ISO (``2026-01-05 09:00 UTC``), which every
English-speaking region reads the same way (CLDR's ``en`` would write ``1/5/26``, a different
day in London), and exact durations are written as they are typed in commands (``1d12h``),
so a moderator can copy one back into ``/timeout``. Durations typed in commands are parsed by
`bot.commands.parse_duration`, in every language alike.
"""

from __future__ import annotations

import functools
from datetime import UTC, date, datetime, timedelta

from babel import Locale, UnknownLocaleError
from babel.dates import format_skeleton
from babel.lists import format_list
from babel.numbers import format_decimal
from babel.units import format_unit

from bot.commands import format_duration

ENGLISH = "en"
# Largest first; a coarse age names the largest unit that fits, an exact duration all of them.
_UNITS = (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1))


def moment(value: datetime, locale: str) -> str:
    """A point in time in UTC: ``2026-01-05 09:00 UTC``; ``05.01.2026, 09:00 UTC``."""
    value = value.astimezone(UTC)
    language = _locale(locale)
    if language.language == ENGLISH:
        return f"{value:%Y-%m-%d %H:%M} UTC"
    day_text = format_skeleton("yMd", value, tzinfo=UTC, locale=language)
    time_text = format_skeleton("Hm", value, tzinfo=UTC, locale=language)
    pattern = str(language.datetime_formats["short"])
    return pattern.replace("{1}", day_text).replace("{0}", time_text) + " UTC"


def day(value: date, locale: str) -> str:
    """A calendar day: ``2026-01-05``; ``5.1.2026``; ``05/01/2026``."""
    language = _locale(locale)
    if language.language == ENGLISH:
        return value.isoformat()
    return format_skeleton("yMd", value, locale=language)


def month(value: date, locale: str) -> str:
    """A calendar month: ``2026-01``; ``Januar 2026``; ``styczeń 2026``."""
    language = _locale(locale)
    if language.language == ENGLISH:
        return f"{value:%Y-%m}"
    return format_skeleton("yMMMM", value, locale=language)


def tenths(value: float, locale: str) -> str:
    """A figure with one decimal, written the language's way: ``3.5``; ``3,5``."""
    return format_decimal(value, format="#,##0.0", locale=_locale(locale))


def age(delta: timedelta, locale: str) -> str:
    """A coarse age in the largest whole unit, rounded down (``3d``, ``5h``, ``12m``; German
    ``3 Tg.``): past the largest unit, precision is noise. At least a minute, unless zero."""
    seconds = max(int(delta.total_seconds()), 0)
    for unit, size in _UNITS[:-1]:
        if seconds >= size:
            return _unit(seconds // size * size, unit, locale)
    return _unit(60 if seconds else 0, "minute", locale)


def duration(delta: timedelta, locale: str) -> str:
    """An exact duration in every unit it has: ``1d12h``; ``1 Tg. und 12 Std.``; ``1 j et 12 h``."""
    seconds = max(int(delta.total_seconds()), 0)
    if _locale(locale).language == ENGLISH:
        return format_duration(timedelta(seconds=seconds))
    parts = []
    for unit, size in _UNITS:
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(_unit(count * size, unit, locale))
    if not parts:
        return _unit(0, "second", locale)
    return format_list(parts, locale=_locale(locale))


def _unit(seconds: int, unit: str, locale: str) -> str:
    """`seconds` as a whole count of `unit`, never rounded into a larger one (``365d``, not
    ``1y``). English writes units as commands take them (``3d``); other languages in
    CLDR's short form (``3 Tg.``, ``3 dni``), which reads well in a sentence and, unlike
    CLDR's narrow form, every language has for every unit."""
    language = _locale(locale)
    length = "narrow" if language.language == ENGLISH else "short"
    size = dict(_UNITS)[unit]
    return format_unit(seconds // size, f"duration-{unit}", length=length, locale=language)


@functools.cache
def _locale(locale: str) -> Locale:
    """Babel's data for a language; English for one CLDR does not know."""
    try:
        return Locale.parse(locale.replace("-", "_"))
    except (ValueError, UnknownLocaleError):
        return Locale.parse(ENGLISH)
