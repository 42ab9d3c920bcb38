"""Folding: what the rules match on, and the way back to what was typed."""

from __future__ import annotations

import random

import pytest

from cogs.moderation.rules.normalise import Folded, fold


@pytest.mark.parametrize(
    ("typed", "folded"),
    [
        ("HELLO", "hello"),
        ("Straße", "strasse"),
        ("ｆｕｌｌｗｉｄｔｈ", "fullwidth"),
        ("𝐛𝐨𝐥𝐝 𝓈𝒸𝓇𝒾𝓅𝓉", "bold script"),
        ("ⓒⓘⓡⓒⓛⓔⓓ", "circled"),
        ("fu\u200bck\u200d", "fuck"),
        ("z\u0336a\u0337l\u0338g\u0335o", "zalgo"),
        ("Ѕсunthоrре", "scunthorpe"),  # Cyrillic Ѕ с о р е
        ("ΑΒΕΚΜΟΡΤΧ", "abekmoptx"),  # Greek capitals
        ("ᴄʟᴀꜱꜱɪᴄ", "classic"),  # small capitals
        ("🇫🇺🇨🇰", "fuck"),  # regional indicators
        ("café", "cafe"),
        ("hi😀there", "hi there"),
        ("\u00adsoft\u00adhyphen", "softhyphen"),
        ("ƒuck ɗarn ɓaƙa ʂɦit ƭɽɑʂɦ ȥɱ", "fuck darn baka shit trash zm"),  # hooked letters
        ("Ꭰarn", "darn"),  # Cherokee A, drawn like D
    ],
)
def test_fold_reads_disguised_text_as_plain_latin(typed: str, folded: str) -> None:
    assert fold(typed) == folded


def test_fold_of_a_text_is_the_fold_of_its_characters() -> None:
    """The property the offset map relies on, over a mix of tricky characters."""
    alphabet = "aZ09 .!\u200b\u0301\u0336Ѕсρ𝐟ｆß🇫😀ǅ\u0130İﬁ"
    rng = random.Random(3)
    for _ in range(500):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 20)))
        assert Folded.of(text).text == fold(text)


def test_original_span_covers_what_was_typed() -> None:
    typed = "so f\u0336u\u200bc\u0336k\u0336 it"
    folded = Folded.of(typed)
    start = folded.text.index("fuck")
    first, last = folded.original_span(start, start + 4)
    assert typed[first:last] == "f\u0336u\u200bc\u0336k\u0336"


def test_original_span_of_ascii_text_is_the_same_span() -> None:
    assert Folded.of("Hello World").original_span(6, 11) == (6, 11)


def test_original_span_covers_a_character_that_folded_to_two() -> None:
    typed = "große Worte"
    folded = Folded.of(typed)
    assert folded.text == "grosse worte"
    first, last = folded.original_span(0, 6)
    assert typed[first:last] == "große"


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("say \u202etihs\u202c now", "say shit now"),
        ("\u202eab\u202dcd\u202cef", "fecdba"),  # a left-to-right run inside keeps its order
        ("\u202eab\ncd", "ba\ncd"),  # an override ends with its line
        ("\u202cstray end", "stray end"),
    ],
)
def test_reversed_text_is_folded_as_it_is_shown(typed: str, shown: str) -> None:
    assert fold(typed) == shown
    assert Folded.of(typed).text == shown


def test_a_span_in_reversed_text_maps_to_the_characters_typed() -> None:
    typed = "say \u202etihs\u202c now"
    folded = Folded.of(typed)
    start = folded.text.index("shit")
    first, last = folded.original_span(start, start + 4)
    assert typed[first:last] == "tihs"
