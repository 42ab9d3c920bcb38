"""The readings of a folded message: the word sequences a listed word can hide in.

- plain: runs of letters and digits ("f.u.c.k" reads f u c k);
- squeezed: whitespace-separated chunks with punctuation dropped and leetspeak read as
  letters ("f.u.c.k" -> fuck, "sh1t" -> shit, "@ss" -> ass); a second squeezed reading
  takes 1 and | for l instead of i, when the message has either. Trailing "!" is
  punctuation, not an i: "ass!!" is "ass";
- spaced: three or more one-character chunks in a row, joined ("f u c k" -> fuck);
- separated: a chunk of single characters between one repeated leetspeak symbol, read
  without it ("f|u|c|k" -> fuck; other punctuation is dropped by squeezing anyway);
- masked: a chunk with "*" or "#" between letters, each standing for one letter
  ("f*ck", "sh#t"); `_keyword_search` fills them in, and only with a listed word;
- stretched: every reading's words with runs of three or more equal letters cut to one
  and to two ("fuuuuck" -> fuck, "asssss" -> ass, "sh111t" -> shiiit -> shit). Doubled
  letters are ordinary spelling and stay: "good" never reads "god".

A squeezed word counts only when its chunk has a letter or is more leetspeak symbol than
digit ("@$$" is ass, "$100" is money), and spaced-out characters only when one of them is
a letter: "1337" is a number, not leetspeak. Likewise three or more digits that touch no
letter are a number wherever they stand, and squeezing leaves them out: "issues/3907" is
"issues", never "issuesegot", while "sh111t" and "a55" still read as words, and so does a
pair behind a separator ("a.55", "a-55": doubled letters, the usual evasion).

Readings are lists of `bytes` words made with `bytes.translate` and `split`, because
that is what keeps the common case, a message that matches nothing, cheap. Where each
word came from is worked out afterwards, by `spans`, only for messages that matched.
"""

from __future__ import annotations

import re
import string
from enum import IntEnum

# Leetspeak digits and symbols, read as the letter they stand for. "2" is missing on
# purpose: in chat it means "to" far more often than "z".
_LEET = {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "6": "g", "7": "t", "8": "b"}
_LEET |= {"9": "g", "@": "a", "$": "s", "!": "i", "|": "i", "+": "t"}
_LEET_AS_L = _LEET | {"1": "l", "|": "l"}
# Punctuation squeezing drops. The apostrophe stays: it is spelling, and dropping it
# read "As's" (arsenic's) as "ass".
_DROPPED = "".join(c for c in string.punctuation if c not in _LEET and c != "'")

_WHITESPACE = " \t\n\r\x0b\x0c"  # what `bytes.split()` splits on
_WORD = re.compile(r"[0-9A-Za-z\u0080-\U0010ffff]+")
_CHUNK = re.compile(f"[^{_WHITESPACE}]+")
# A chunk that squeezes to something: it has a character punctuation-dropping keeps. Tried
# only where a chunk starts, and each chunk scanned once: trying every position of a long
# run of punctuation was quadratic in its length.
_SQUEEZABLE_CHUNK = re.compile(
    f"(?<![^{_WHITESPACE}])(?=[^{_WHITESPACE}]*?[^{_WHITESPACE}{re.escape(_DROPPED)}])"
    f"[^{_WHITESPACE}]++"
)
# A run of "!" that ends a word; matched whole from where it starts, for the same reason.
_TRAILING_BANGS = re.compile(f"(?<!!)!++(?=[{_WHITESPACE}]|\\Z)")
_TRAILING_BANGS_BYTES = re.compile(f"(?<!!)!++(?=[{_WHITESPACE}]|\\Z)".encode())
_LETTER = re.compile(r"[^\W\d_]")
_LEET_SYMBOLS = frozenset("@$!|+")
# A chunk of three or more single characters with the same leetspeak symbol between each.
_SEPARATED = re.compile(rb"(?<!\S)[^\s|!+]([|!+])[^\s|!+](?:\1[^\s|!+])+(?!\S)")
MASK = b"*"
# Three or more digits with no letter or leetspeak symbol on either side: a number. Any
# non-ASCII character counts as a letter, in text and in its UTF-8 bytes alike, so both
# find the same numbers.
_NUMBER_BYTES = re.compile(rb"(?<![0-9a-z@$!|+\x80-\xff])[0-9]{3,}(?![0-9a-z@$!|+\x80-\xff])")
_NUMBER = re.compile(
    "(?<![0-9a-z@$!|+\u0080-\U0010ffff])[0-9]{3,}(?![0-9a-z@$!|+\u0080-\U0010ffff])"
)
_STRETCH = re.compile(rb"([a-z])\1{2,}")
_DIGITS = string.digits.encode()

# Letters whose runs of three mark a stretched word; digits are left out ("1000").
STRETCH_LETTERS = string.ascii_lowercase


class Reading(IntEnum):
    """How a reading was made; its words' positions are found the same way."""

    PLAIN = 0
    SQUEEZED = 1
    SQUEEZED_AS_L = 2
    SEPARATED = 3
    MASKED = 4


def _bytes_table(mapping: dict[str, str], others: str | None) -> bytes:
    """A `bytes.translate` table: `mapping`, ASCII non-alphanumerics to `others`, lower case."""
    table = bytearray(range(256))
    for code in range(128):
        char = chr(code)
        if char in mapping:
            char = mapping[char]
        elif others is not None and not char.isalnum():
            char = others
        table[code] = ord(char.lower())
    return bytes(table)


_PLAIN = _bytes_table({}, " ")
_SQUEEZE = _bytes_table(_LEET, None)
_SQUEEZE_AS_L = _bytes_table(_LEET_AS_L, None)
_DROP = _DROPPED.encode()
_MASKED = _bytes_table(_LEET | {"#": "*"}, None)
_DROP_BUT_MASKS = _DROP.replace(b"*", b"").replace(b"#", b"")
_SQUEEZE_STR = str.maketrans(_LEET) | str.maketrans("", "", _DROPPED)  # for keywords


def plain_words(folded: bytes) -> list[bytes]:
    """The plain reading: runs of letters and digits."""
    return folded.translate(_PLAIN).split()


def readings(
    folded: str, folded_bytes: bytes, plain: list[bytes]
) -> list[tuple[Reading, list[bytes]]]:
    """The plain reading, then each squeezed reading that says something else.

    `folded` is only asked which characters it has: `in` on a `str` is several times
    cheaper than on `bytes`.
    """
    found = [(Reading.PLAIN, plain)]
    if "!" in folded:
        folded_bytes = _TRAILING_BANGS_BYTES.sub(b" ", folded_bytes)
    if len(folded_bytes) - len(folded_bytes.translate(None, _DIGITS)) >= 3:
        # Fewer than three digits cannot make a number; most messages have none, and
        # counting them costs a fifth of the search with its look-arounds.
        folded_bytes = _NUMBER_BYTES.sub(_blank_bytes, folded_bytes)
    words = folded_bytes.translate(_SQUEEZE, _DROP).split()
    if words != plain:
        found.append((Reading.SQUEEZED, words))
    if "1" in folded or "|" in folded:
        found.append((Reading.SQUEEZED_AS_L, folded_bytes.translate(_SQUEEZE_AS_L, _DROP).split()))
    # A "!" that only ended words is gone from the bytes searched by now: no search then.
    if ("|" in folded or "+" in folded or ("!" in folded and b"!" in folded_bytes)) and (
        _SEPARATED.search(folded_bytes)
    ):
        joined = _SEPARATED.sub(lambda run: run[0].replace(run[1], b""), folded_bytes)
        found.append((Reading.SEPARATED, joined.translate(_SQUEEZE, _DROP).split()))
    if "*" in folded or "#" in folded:
        masked = folded_bytes.translate(_MASKED, _DROP_BUT_MASKS).split()
        masked = [kept for word in masked if (kept := word.strip(MASK))]
        if any(MASK in word for word in masked):
            found.append((Reading.MASKED, masked))
    return found


def spans(folded: str, kind: Reading) -> list[tuple[int, int]]:
    """The span in `folded` of each word of one of its readings."""
    if kind is Reading.PLAIN:
        return [match.span() for match in _WORD.finditer(folded)]
    if "!" in folded:
        # One space per "!", so the spans still point into the folded text.
        folded = _TRAILING_BANGS.sub(_blank, folded)
    folded = _NUMBER.sub(_blank, folded)
    return [match.span() for match in _SQUEEZABLE_CHUNK.finditer(folded)]


def _blank(run: re.Match[str]) -> str:
    """As many spaces as `run` has characters, so positions stay where they were."""
    return " " * len(run[0])


def _blank_bytes(run: re.Match[bytes]) -> bytes:
    return b" " * len(run[0])


def trimmed(folded: str, start: int, end: int) -> tuple[int, int]:
    """A chunk's span without the punctuation around it: "fuck," is shown as "fuck", the
    same span the plain reading finds, so one word is one hit."""
    while end > start and folded[end - 1] in _DROPPED:
        end -= 1
    while start < end and folded[start] in _DROPPED:
        start += 1
    return start, end


def read_leet(folded: bytes) -> bytes:
    """Folded UTF-8 with leetspeak read as letters, byte for byte ("fr3e" -> "free")."""
    return folded.translate(_SQUEEZE)


def has_letter(text: str) -> bool:
    """Whether `text` has a letter of any script (not a digit, not a symbol)."""
    return _LETTER.search(text) is not None


def reads_as_word(chunk: str) -> bool:
    """Whether a chunk may be leetspeak: it has a letter, or more symbols than digits.

    "@$$" is written to be read as a word; "$100", "+49" and "1337" are numbers.
    """
    if _LETTER.search(chunk) is not None:
        return True
    symbols = sum(char in _LEET_SYMBOLS for char in chunk)
    return symbols > sum(char.isdigit() for char in chunk)


def spaced_runs(words: list[bytes]) -> list[tuple[int, int]]:
    """Index ranges (first, last) of three or more one-character words in a row."""
    runs = []
    first = None
    for index, word in enumerate([*words, b"--"]):
        if len(word.decode()) == 1:
            first = index if first is None else first
            continue
        if first is not None and index - first >= 3:
            runs.append((first, index - 1))
        first = None
    return runs


def unstretched(word: bytes) -> tuple[bytes, ...]:
    """`word` with runs of three or more equal letters cut to one, and to two."""
    if _STRETCH.search(word) is None:
        return ()
    return _STRETCH.sub(rb"\1", word), _STRETCH.sub(rb"\1\1", word)


def keyword_words(folded: str) -> list[str]:
    """A keyword's words as the readings see them: "a$$" is "ass", "f.u.c.k" is "fuck"."""
    words: list[str] = []
    for chunk in _CHUNK.findall(_TRAILING_BANGS.sub(" ", folded)):
        if _LETTER.search(chunk) and not chunk.isalpha():
            words.append(chunk.translate(_SQUEEZE_STR))
        else:
            words.extend(_WORD.findall(chunk))
    return words
