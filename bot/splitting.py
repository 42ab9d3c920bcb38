"""Splitting long rendered text into parts a platform accepts, never cutting anything off.

Platforms cap a message (Discord 2,000 characters, an embed description 4,096, a Slack
section 3,000). Text longer than the cap is split into several parts, in order:

- between lines where possible (the line break itself is where one part ends and the next
  begins, so it is not repeated);
- a single line longer than a part is split after a space, and a word longer than a part
  is split hard, but never inside a fence marker nor before a character that belongs to
  the symbol before it (a combining mark, a variation selector, a zero-width joiner, a
  skin tone);
- a code block open at the end of a part is closed there with a fence line and opened
  again, with the same language, at the start of the next, so every part renders as code
  where the whole did.

A fence marker is any run of three backticks, as Discord and Slack read them; the
language is the word right after an opening marker when nothing else follows it on that
line. Platforms trim the line break a split leaves at the end of a part.
"""

from __future__ import annotations

import re
import unicodedata

FENCE = "```"
# Closing a block at the end of a part costs a line break and the marker.
_CLOSE = "\n" + FENCE
# A language tag longer than this is not one (and could not be repeated in every part).
_LANGUAGE = re.compile(r"[A-Za-z0-9_+#.-]{1,20}")
# The most a part spends on fences: a reopening marker with the longest language tag, a
# line break, and the closing marker. Below this no limit leaves room for the text.
_OVERHEAD = len(FENCE) + 20 + 1 + len(_CLOSE)
MIN_LIMIT = _OVERHEAD + 16
# Characters that join the one before them into one symbol: a hard split never falls
# right before one of them.
_JOINERS = frozenset("\u200d\ufe0e\ufe0f\u20e3") | frozenset(map(chr, range(0x1F3FB, 0x1F400)))


def split_text(text: str, limit: int) -> list[str]:
    """`text` as parts of at most `limit` characters each; ``[]`` for empty text."""
    if limit < MIN_LIMIT:
        raise ValueError(f"a part must hold at least {MIN_LIMIT} characters, not {limit}")
    if len(text) <= limit:
        return [text] if text else []
    return _Splitter(limit).run(text)


class _Splitter:
    """Fills parts line by line, tracking whether a code block is open and in which language."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._parts: list[str] = []
        self._current = ""
        # Whether the current part holds any of the text yet (beyond a reopening marker).
        self._holds_text = False
        # None outside a code block, else the block's language ("" for none).
        self._language: str | None = None

    def run(self, text: str) -> list[str]:
        for index, line in enumerate(text.split("\n")):
            self._add_line(line, first=index == 0)
        self._parts.append(self._current)
        return self._parts

    def _add_line(self, line: str, *, first: bool) -> None:
        joined = line if first else "\n" + line
        if self._fits(self._current + joined, self._after(joined)):
            self._take(joined)
            return
        fresh = not self._holds_text
        if not first and not fresh and self._fits(self._opening() + line, self._after(line)):
            self._break()
            self._take(line)
            return
        # The line is too long for any part: fill parts with pieces of it.
        if not first and not fresh:
            if self._fits(self._current + "\n", self._language):
                self._take("\n")
            else:
                self._break()
        for piece in _words(line):
            self._add_piece(piece)

    def _add_piece(self, piece: str) -> None:
        while piece:
            if self._fits(self._current + piece, self._after(piece)):
                self._take(piece)
                return
            if self._holds_text and not piece.isspace():
                self._break()  # a word starts a fresh part rather than being torn
                continue
            # Room for any block state the cut may leave open, so the part can close it.
            room = self._limit - len(self._current) - len(_CLOSE)
            if room <= 0:
                self._break()
                continue
            cut = _cut_at(piece, room)
            self._take(piece[:cut])
            piece = piece[cut:]

    def _take(self, text: str) -> None:
        self._language = self._after(text)
        self._current += text
        self._holds_text = True

    def _break(self) -> None:
        if self._language is not None:
            self._current += _CLOSE
        self._parts.append(self._current)
        self._current = self._opening()
        self._holds_text = False

    def _opening(self) -> str:
        return "" if self._language is None else f"{FENCE}{self._language}\n"

    def _fits(self, candidate: str, language_after: str | None) -> bool:
        closing = len(_CLOSE) if language_after is not None else 0
        return len(candidate) + closing <= self._limit

    def _after(self, text: str) -> str | None:
        """The block state after `text`, starting from the current state."""
        language = self._language
        pieces = text.split(FENCE)
        for following in pieces[1:]:
            if language is None:
                word = following.split("\n", 1)[0]
                language = word if _LANGUAGE.fullmatch(word) else ""
            else:
                language = None
        return language


def _words(line: str) -> list[str]:
    """A line as words, each with the spaces after it, so joining them gives the line."""
    return re.findall(r"\S+\s*|\s+", line)


def _cut_at(piece: str, room: int) -> int:
    """Where to split a piece longer than `room`: as late as possible, never before a
    character that belongs to the symbol before it."""
    cut = room
    while cut > 1 and (_joins(piece[cut]) or piece[cut - 1 : cut + 1] == "``"):
        cut -= 1
    return cut


def _joins(char: str) -> bool:
    return char in _JOINERS or unicodedata.combining(char) != 0
