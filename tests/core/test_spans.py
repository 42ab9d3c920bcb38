"""Windows written out for running text: "in the last 90 days", "in den letzten 24 Stunden"."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.i18n import CORE_LOCALES, I18n
from bot.spans import last_span, last_span_of


@pytest.fixture
def i18n() -> I18n:
    return I18n.load([CORE_LOCALES])


@pytest.mark.parametrize(
    ("duration", "english", "german"),
    [
        (timedelta(days=90), "90 days", "90 Tagen"),
        (timedelta(days=14), "2 weeks", "2 Wochen"),
        (timedelta(days=7), "7 days", "7 Tagen"),
        (timedelta(days=1), "24 hours", "24 Stunden"),
        (timedelta(hours=36), "36 hours", "36 Stunden"),
        (timedelta(hours=1), "60 minutes", "60 Minuten"),
        (timedelta(minutes=90), "90 minutes", "90 Minuten"),
    ],
)
def test_a_window_reads_as_words_never_as_one_of_a_unit(
    i18n: I18n, duration: timedelta, english: str, german: str
) -> None:
    assert last_span(i18n, duration, "en") == english
    assert last_span(i18n, duration, "de") == german


def test_a_stored_window_is_read_back_and_an_unreadable_one_kept(i18n: I18n) -> None:
    assert last_span_of(i18n, "1d", "de") == "24 Stunden"
    assert last_span_of(i18n, "soon", "de") == "soon"
