"""Listed words split in two ("fu ck"), told apart from two innocent words ("pen is").

Joining every pair of neighbouring words would turn "pen is", "bad word" and "re fund"
into listed words. A split made to dodge a filter cuts a word where no word ends, so one
half is a fragment no language writes on its own: here, a piece without a vowel ("ck",
"nt", "sl") that is not one of the few real words or chat abbreviations without one
("sh", "hmm", "mr", "st"). Only such splits are indexed: `halves` maps the first half
to the second halves that complete a keyword, and a message's neighbouring words are
joined only when they are one of those pairs.

The tests measure it against the system's English and German word lists: no listed
word of the default or example lists splits into two words of those lists this way.
"""

from __future__ import annotations

from collections.abc import Iterable

_VOWELS = b"aeiouy"

# Words and chat abbreviations without a vowel, English and German: a half that is one
# of these may be a word of its own, so a split at it is not joined.
_REAL_WITHOUT_VOWEL = (
    "sh shh hm hmm mm mmm hmpf brr grr pst psst tsk pfft pht zzz nth cwm crwth "
    "mr mrs ms dr st nr jr sr pc tv dj hr km cm kg mg ml lb lbs ft pm gb mb kb tb "
    "pr bc ff vs ps pts rd nd th ppl pls plz thx thnx btw wtf lmk jk np nvm ngl "
    "smh tbh brb bbl gg gl hf rn ttyl irl dm hq cd dvd mp pdf rss css html "
    "nt str bzw hbf kfz pkw lkw bhf ggf vgl mfg zb dh nrw brd ddr tdl nch"
)
REAL_WITHOUT_VOWEL = frozenset(word.encode() for word in _REAL_WITHOUT_VOWEL.split())


def is_fragment(piece: bytes) -> bool:
    """Whether `piece` cannot be a word by itself: no vowel, and not a known exception."""
    return (
        piece.isalpha()
        and piece.translate(None, _VOWELS) == piece
        and piece not in REAL_WITHOUT_VOWEL
    )


def halves(keywords: Iterable[bytes]) -> dict[bytes, frozenset[bytes]]:
    """First half -> second halves, for every split of a keyword into two pieces of two or
    more characters where one piece is a fragment."""
    found: dict[bytes, set[bytes]] = {}
    for keyword in keywords:
        for cut in range(2, len(keyword) - 1):
            first, second = keyword[:cut], keyword[cut:]
            if is_fragment(first) or is_fragment(second):
                found.setdefault(first, set()).add(second)
    return {first: frozenset(seconds) for first, seconds in found.items()}
