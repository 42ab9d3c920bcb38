"""Fold a message to the text the rules match on, and map spans back to what was typed.

Folding is NFKD, marks removed, invisible and format characters removed, look-alike
letters mapped to Latin, case folded, and every other non-letter non-digit outside ASCII
turned into a space. Each step works one character at a time, so the fold of a text is
the concatenation of the folds of its characters. That is what makes the offset map
cheap and exact: it is only built for the few messages a rule matches.

Text reversed with bidirectional override characters (U+202E ... U+202C) is folded in
the order it is *displayed*, because that is what readers see: `displayed_order` gives
the source index of each displayed character, and `Folded` maps spans back through it.

Leetspeak, stretched letters and separators are *not* handled here: they depend on the
word around them and live in `_tokens`.
"""

from __future__ import annotations

import unicodedata
from bisect import bisect_right
from dataclasses import dataclass
from functools import cache, lru_cache
from itertools import accumulate

from cogs.moderation.rules._lookalikes import INVISIBLE, LOOKALIKES

# Blocks scanned to build the fold table. The CJK ideograph and Hangul syllable blocks
# are left out: they hold only caseless letters that fold to themselves (Hangul decomposes
# to jamo under NFKD before the table is consulted), and skipping them keeps the one-off
# build near 15 ms instead of 50.
_TABLE_RANGES: tuple[range, ...] = (
    range(0x80, 0x3400),
    range(0x4DC0, 0x4E00),
    range(0xA000, 0xAC00),
    range(0xD7B0, 0xD800),
    range(0xE000, 0x10000),
    range(0x1D173, 0x1D17B),  # invisible musical formatting characters
    range(0x1F000, 0x1FB00),  # emoji, enclosed alphanumerics, regional indicators
    range(0xE0000, 0xE01F0),  # tag characters and variation selectors
)


# Right-to-left override, and what ends it: pop directional formatting, or a new line.
_RLO, _LRO, _PDF = "\u202e", "\u202d", "\u202c"
_CONTROLS = (_RLO, _LRO, _PDF)
# Overrides nested deeper than this are ignored, as the bidirectional algorithm does
# (its limit is 125); it also keeps a message of thousands of overrides linear.
_MOST_NESTED = 125


def fold(text: str) -> str:
    """The text rules match on: lower-case, Latin where it looks Latin, nothing invisible."""
    if text.isascii():
        return text.lower()
    if _RLO in text:
        text = "".join(text[index] for index in displayed_order(text))
    return unicodedata.normalize("NFKD", text).translate(_fold_table())


def displayed_order(text: str) -> list[int]:
    """Indices of `text` in the order they are shown: runs after U+202E reversed.

    A right-to-left override shows the characters after it, up to its U+202C or the end
    of the line, right to left, so "\u202ekcuf\u202c" reads "fuck" on screen. Overrides
    nest (an inner left-to-right override U+202D keeps its run's order inside the
    reversed one), as the Unicode bidirectional algorithm does for Latin letters.
    """
    # Each open run: is it right-to-left, and its pieces in typed order. A piece is one
    # character, or a whole nested run already in the order it is shown.
    stack: list[tuple[bool, list[list[int]]]] = [(False, [])]

    def close() -> None:
        rtl, pieces = stack.pop()
        shown = reversed(pieces) if rtl else pieces
        stack[-1][1].append([index for piece in shown for index in piece])

    for index, char in enumerate(text):
        if char in _CONTROLS[:2] and len(stack) <= _MOST_NESTED:
            stack[-1][1].append([index])
            stack.append((char == _RLO, []))
        elif char == _PDF and len(stack) > 1:
            close()
            stack[-1][1].append([index])
        elif char == "\n":
            while len(stack) > 1:
                close()
            stack[-1][1].append([index])
        else:
            stack[-1][1].append([index])
    while len(stack) > 1:
        close()
    return [index for piece in stack[0][1] for index in piece]


@dataclass(frozen=True, slots=True)
class Folded:
    """A folded text with the way back: `original_span` maps a span of `text` to `source`."""

    source: str
    text: str
    _ends: list[int] | None  # where the fold of each shown character ends; None: identity
    _order: list[int] | None = None  # source index of each shown character; None: as typed

    @classmethod
    def of(cls, source: str) -> Folded:
        if source.isascii():
            return cls(source, source.lower(), None)
        order = displayed_order(source) if _RLO in source else None
        shown = source if order is None else [source[index] for index in order]
        pieces = list(map(_fold_char, shown))
        return cls(source, "".join(pieces), list(accumulate(map(len, pieces))), order)

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """The span of `source` that folded to `text[start:end]`, marks after it included.

        In reversed text the span covers every typed character of the shown ones.
        """
        if self._ends is None:
            return start, end
        first = bisect_right(self._ends, start)
        last = bisect_right(self._ends, end - 1) + 1
        while last < len(self.source) and self._ends[last] == end:  # folded to nothing
            last += 1
        if self._order is None:
            return first, last
        typed = [i for i in self._order[first:last] if self.source[i] not in _CONTROLS]
        return (min(typed), max(typed) + 1) if typed else (first, first)


# Distinct characters whose folds are remembered: more than any real chat uses, few
# enough (a few hundred kilobytes) that a message of every code point cannot bloat it.
_REMEMBERED_CHARACTERS = 4096


@lru_cache(maxsize=_REMEMBERED_CHARACTERS)
def _fold_char(char: str) -> str:
    return fold(char)


@cache
def _fold_table() -> dict[int, str | None]:
    """Code point -> folded text, for ASCII and every character whose fold is not itself.

    Built on first use rather than at import, so importing the rules costs nothing for a
    process that never sees a non-ASCII message.
    """
    # Every ASCII character is in the table, unchanged or lowered: a missing key costs a
    # raised and caught KeyError inside `str.translate`, several times a hit.
    table: dict[int, str | None] = {code: chr(code).lower() for code in range(128)}
    for block in _TABLE_RANGES:
        for code in block:
            folded = _fold_decomposed(chr(code))
            if folded != chr(code):
                table[code] = folded or None
    return table


def _fold_decomposed(char: str) -> str:
    """Fold one character that has already been through NFKD, as the table will see it."""
    if char in LOOKALIKES:
        return LOOKALIKES[char]
    if char in INVISIBLE:
        return ""
    category = unicodedata.category(char)
    if category[0] == "M" or category == "Cf":
        return ""
    if category[0] not in "LN":
        return char if char.isascii() else " "
    pieces = []
    for part in unicodedata.normalize("NFKD", char.casefold()):
        if part != char and (part in LOOKALIKES or not part.isascii()):
            part = _fold_decomposed(part)
        pieces.append(part)
    return "".join(pieces)
