"""Times, numbers and durations as each language writes them; English as before."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot import formatting
from bot.i18n import I18n
from bot.outgoing import plain_text

MOMENT = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def test_english_keeps_iso_dates_and_command_style_durations() -> None:
    assert formatting.moment(MOMENT, "en") == "2026-01-05 09:00 UTC"
    assert formatting.day(MOMENT.date(), "en") == "2026-01-05"
    assert formatting.duration(timedelta(days=1, hours=12), "en") == "1d12h"
    assert formatting.age(timedelta(days=3, hours=20), "en") == "3d"
    assert formatting.age(timedelta(days=365), "en") == "365d"  # never rounded into "1y"


def test_other_languages_write_dates_their_way_in_utc() -> None:
    assert formatting.moment(MOMENT, "de") == "5.1.2026, 09:00 UTC"
    assert formatting.moment(MOMENT, "fr") == "05/01/2026 09:00 UTC"
    assert formatting.day(date(2026, 1, 5), "pl") == "5.01.2026"


def test_a_moment_in_another_zone_is_shown_in_utc() -> None:
    berlin = datetime(2026, 1, 5, 10, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    assert formatting.moment(berlin, "en") == "2026-01-05 09:00 UTC"
    assert formatting.moment(berlin, "de") == "5.1.2026, 09:00 UTC"


def test_durations_read_as_words_of_the_language() -> None:
    assert formatting.duration(timedelta(days=1, hours=12), "de") == "1 Tg. und 12 Std."
    assert formatting.duration(timedelta(days=2, hours=20, minutes=30), "pl") == (
        "2 dni, 20 godz. i 30 min"
    )
    assert formatting.age(timedelta(hours=5, minutes=59), "pt") == "5 h"
    assert formatting.age(timedelta(seconds=20), "it") == "1 min"


def test_an_unknown_language_is_written_as_english() -> None:
    assert formatting.moment(MOMENT, "xx") == "2026-01-05 09:00 UTC"


def test_polish_counts_pick_one_few_and_many_and_group_digits() -> None:
    catalog = I18n(
        {
            "en": {"new": "{count} new members", "new_one": "{count} new member"},
            "pl": {
                "new": "{count} nowego członka",
                "new_one": "{count} nowy członek",
                "new_few": "{count} nowi członkowie",
                "new_many": "{count} nowych członków",
            },
        },
        shipped=("en", "pl"),
    )
    said = {n: plain_text(catalog.t("new", "pl", count=n)) for n in (1, 3, 5, 22, 12345)}
    assert said == {
        1: "1 nowy członek",
        3: "3 nowi członkowie",
        5: "5 nowych członków",
        22: "22 nowi członkowie",
        12345: "12\xa0345 nowych członków",
    }
    assert plain_text(catalog.t("new", "en", count=12345)) == "12,345 new members"


def test_french_counts_zero_and_one_alike() -> None:
    catalog = I18n(
        {"en": {"n": "{count} things"}, "fr": {"n": "{count} choses", "n_one": "{count} chose"}},
        shipped=("en", "fr"),
    )
    assert plain_text(catalog.t("n", "fr", count=0)) == "0 chose"
    assert plain_text(catalog.t("n", "fr", count=2)) == "2 choses"


def test_a_language_not_yet_shipped_is_never_picked() -> None:
    catalog = I18n({"en": {"n": "x"}, "pl": {"n": "y"}}, shipped=("en",))
    assert catalog.pick_locale("pl", "en") == "en"
