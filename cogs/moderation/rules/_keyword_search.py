"""Thousands of keywords, of every rule, matched in one pass over a message.

Plain single words go in a dict, so 10,000 of them cost one set test per reading.
Wildcard words and phrases are literal "needles" with spaces marking word edges
(`` cat`` is ``cat*``, ``cat `` is ``*cat``), all in one alternation inside an RE2 set
searched once over the joined readings, next to two gates: one for stretched letters,
one for spaced-out letters. A third gate, neighbouring words that are the two halves of
a keyword split at a fragment (`_splits`), is a set test. A message that hits nothing
costs a few `bytes` operations and one RE2 call. Only a hit pays for finding out which
keyword it was and where: a slice of each word looked up in dicts of wildcard words,
phrases looked up by a word they must contain whole, and positions from `_tokens.spans`.
"""

from __future__ import annotations

from functools import cached_property
from itertools import pairwise, product
from typing import Generic, NamedTuple, TypeVar

import re2

from cogs.moderation.rules._splits import halves
from cogs.moderation.rules._tokens import (
    MASK,
    STRETCH_LETTERS,
    Reading,
    has_letter,
    readings,
    reads_as_word,
    spaced_runs,
    spans,
    trimmed,
    unstretched,
)
from cogs.moderation.rules.keywords import Keyword

Owner = TypeVar("Owner")

# Memory RE2 may use for the combined keyword set. The default (8 MiB) fits about 5,000
# wildcard keywords; 256 MiB leaves room for any list a community will write, and RE2
# only takes what the automaton it builds actually needs.
_SET_MAX_MEM = 256 << 20


class KeywordHit(NamedTuple, Generic[Owner]):
    """A keyword found in a message: the span is in the folded text."""

    owner: Owner
    keyword: Keyword
    start: int
    end: int
    words: str  # the whole words the keyword was found in, for allow lists


_Entry = tuple[Keyword, Owner]
# The RE2 set's patterns after the alternation of all needles: letters stretched in any
# reading, and three one-character words in a row.
_STRETCHED = f"(?:{'|'.join(letter * 3 for letter in STRETCH_LETTERS)})"
_SPACED = " [^ \\n] [^ \\n] [^ \\n] "
# Stands in for the alternation when there are no needles: the joined readings never
# hold two line breaks in a row.
_NOTHING = "\\n\\n"
_NEEDLES, _STRETCH_GATE, _SPACED_GATE, _SPLIT_GATE = range(4)
ALL_GATES = frozenset(range(4))
# A masked word is filled in when it has at most this many masks, and at least as many
# other characters as masks and this many ("f*ck", "f**k", "a*s").
_MOST_MASKS, _FEWEST_KNOWN = 2, 2
# Masked words filled in per message: bounds the work a message of masks can cause.
_MOST_MASKED_WORDS = 16
_LETTERS = range(ord("a"), ord("z") + 1)


class _Phrase(Generic[Owner]):
    """A keyword of several words, indexed by one word that must appear whole."""

    def __init__(self, keyword: Keyword) -> None:
        self.words = [word.encode() for word in keyword.text.split(" ")]
        self.prefix, self.suffix = keyword.prefix, keyword.suffix
        self.entries: list[_Entry[Owner]] = []

    @property
    def key(self) -> tuple[bytes | None, int]:
        """A word of the phrase that is never cut by a wildcard, and where it stands.

        Only "*a b*" has none; such phrases are tried at every position.
        """
        if not self.suffix:
            return self.words[0], 0
        if len(self.words) > 2 or not self.prefix:
            return self.words[1], 1
        return None, 0

    def fits(self, window: list[bytes]) -> bool:
        """Whether `window` (as many words as the phrase) reads as this phrase."""
        words = self.words
        if len(window) != len(words) or window[1:-1] != words[1:-1]:
            return False
        first = window[0].endswith(words[0]) if self.suffix else window[0] == words[0]
        last = window[-1].startswith(words[-1]) if self.prefix else window[-1] == words[-1]
        return first and last


class KeywordMatcher(Generic[Owner]):
    """All keywords of all rules; each keyword carries an owner (its rule).

    Plain words are a dict; wildcard words are dicts by shape (prefix, suffix, both),
    looked up by slicing the words they may hide in; phrases are indexed by a word.
    """

    def __init__(self, entries: list[tuple[Keyword, Owner]]) -> None:
        self._whole: dict[bytes, list[_Entry[Owner]]] = {}
        self._affixes: dict[tuple[bool, bool], dict[bytes, list[_Entry[Owner]]]] = {}
        self._phrases: dict[bytes | None, list[tuple[_Phrase[Owner], int]]] = {}
        phrases: dict[Keyword, _Phrase[Owner]] = {}
        for keyword, owner in entries:
            if " " in keyword.text:
                if keyword not in phrases:
                    phrases[keyword] = _Phrase(keyword)
                phrases[keyword].entries.append((keyword, owner))
            elif keyword.prefix or keyword.suffix:
                shape = self._affixes.setdefault((keyword.prefix, keyword.suffix), {})
                shape.setdefault(keyword.text.encode(), []).append((keyword, owner))
            else:
                self._whole.setdefault(keyword.text.encode(), []).append((keyword, owner))
        self._split_keywords = [
            *self._whole,
            *(t for table in self._affixes.values() for t in table),
        ]
        for phrase in phrases.values():
            key, offset = phrase.key
            self._phrases.setdefault(key, []).append((phrase, offset))
        self._lengths = {
            shape: sorted(set(map(len, table))) for shape, table in self._affixes.items()
        }
        needles = [k.needle for k in phrases] + [
            f"{'' if suffix else ' '}{text.decode()}{'' if prefix else ' '}"
            for (prefix, suffix), table in self._affixes.items()
            for text in table
        ]
        self._set = _compile_set(["|".join(needles) or _NOTHING, _STRETCHED, _SPACED])

    def find(self, folded: str, folded_bytes: bytes, plain: list[bytes]) -> list[KeywordHit[Owner]]:
        """Every keyword in the message, at most one hit per owner and span."""
        found = readings(folded, folded_bytes, plain)
        gate_words = self._gate_words
        if len(found) == 1:  # written plainly, as most messages are
            near = not gate_words.isdisjoint(plain)
            joined = b" " + b" ".join(plain) + b" "
        else:
            near = any(not gate_words.isdisjoint(words) for _, words in found)
            joined = b" " + b" \n ".join(b" ".join(words) for _, words in found) + b" "
        whole = self._whole.keys()
        touched = near and any(not whole.isdisjoint(words) for _, words in found)
        matched = self._set.Match(joined)
        gates = set(matched) if matched else set()
        if near and self._split_in(found):
            gates.add(_SPLIT_GATE)
        if not touched and not gates and found[-1][0] is not Reading.MASKED:
            return []
        return _Search(self, folded, found, gates).hits

    @cached_property
    def halves(self) -> dict[bytes, frozenset[bytes]]:
        """Keywords split at a fragment, first half -> second halves (built on first use:
        it is a few milliseconds for a long list, and a rebuild should not wait for it)."""
        return halves(self._split_keywords)

    @cached_property
    def _gate_words(self) -> frozenset[bytes]:
        """Words one of which a reading must hold for a plain keyword or the first half of
        a split keyword to be in it: one set test rules both out for most messages."""
        return frozenset(self._whole).union(self.halves)

    def _split_in(self, found: list[tuple[Reading, list[bytes]]]) -> bool:
        """Whether two neighbouring words of a reading are the halves of a split keyword."""
        firsts = self.halves
        for _, words in found:
            if firsts.keys().isdisjoint(words):
                continue
            for first, second in pairwise(words):
                if second in firsts.get(first, ()):
                    return True
        return False


class _Search(Generic[Owner]):
    """The slow part of a match, for the few messages the fast part lets through.

    Each reading searched is (kind, words, ranges): `ranges` maps each word of a derived
    reading (spaced-out letters joined) to the first and last word it was made of.
    """

    def __init__(
        self,
        matcher: KeywordMatcher[Owner],
        folded: str,
        found: list[tuple[Reading, list[bytes]]],
        gates: set[int],
    ) -> None:
        self._matcher = matcher
        self._folded = folded
        self._spans: dict[Reading, list[tuple[int, int]]] = {}
        self._found: dict[tuple[int, int, int], KeywordHit[Owner]] = {}
        self._affix_cache: dict[bytes, list[_Entry[Owner]]] = {}
        searched: list[tuple[Reading, list[bytes], list[tuple[int, int]] | None]]
        searched = [
            (kind, self._unmasked(words) if kind is Reading.MASKED else words, None)
            for kind, words in found
        ]
        if _SPLIT_GATE in gates:
            firsts = matcher.halves
            for kind, words in found:
                for index, (first, second) in enumerate(pairwise(words)):
                    if second in firsts.get(first, ()):
                        searched.append((kind, [first + second], [(index, index + 1)]))
        if _SPACED_GATE in gates:
            squeezed = [(kind, words) for kind, words in found if kind is not Reading.PLAIN]
            for kind, words in squeezed or found:  # plain when no squeezed reading differs
                for first, last in spaced_runs(words):
                    run = [b"".join(words[first : last + 1])]
                    searched.append((kind, run, [(first, last)]))
        for kind, words, ranges in list(searched):
            if _STRETCH_GATE in gates or ranges is not None:
                searched.extend((kind, cut, ranges) for cut in _unstretched(words))
        for kind, words, ranges in searched:
            self._whole_words(kind, words, ranges)
            self._needles(kind, words, ranges)
        self.hits = sorted(self._found.values(), key=lambda hit: hit.start)

    def _unmasked(self, words: list[bytes]) -> list[bytes]:
        """`words` with masked letters filled in where that makes a listed word.

        "f*ck" becomes "fuck" only when some keyword reads "fuck" (or starts or ends with
        the filled-in word, as wildcards allow); otherwise the word stays as it was and
        matches nothing.
        """
        matcher = self._matcher
        filled = list(words)
        masked = [index for index, word in enumerate(words) if MASK in word]
        for index in masked[:_MOST_MASKED_WORDS]:
            word = words[index]
            masks = word.count(MASK)
            if masks > _MOST_MASKS or len(word) - masks < max(masks, _FEWEST_KNOWN):
                continue
            template = word.replace(b"%", b"%%").replace(MASK, b"%c")
            candidates = [template % letters for letters in product(_LETTERS, repeat=masks)]
            listed = [c for c in candidates if c in matcher._whole]
            if not listed and _NEEDLES in (
                matcher._set.Match(b" " + b" ".join(candidates) + b" ") or ()
            ):
                listed = [c for c in candidates if self._affixes_in(c)]
            if listed:
                filled[index] = listed[0]
        return filled

    def _whole_words(
        self, kind: Reading, words: list[bytes], ranges: list[tuple[int, int]] | None
    ) -> None:
        whole = self._matcher._whole
        if whole.keys().isdisjoint(words):
            return
        for index, word in enumerate(words):
            for keyword, owner in whole.get(word, ()):
                self._add(owner, keyword, kind, (index, index), ranges, word)

    def _needles(
        self, kind: Reading, words: list[bytes], ranges: list[tuple[int, int]] | None
    ) -> None:
        """Wildcard words and phrases, if the set finds any in this reading."""
        matcher = self._matcher
        if _NEEDLES not in (matcher._set.Match(b" " + b" ".join(words) + b" ") or ()):
            return
        for index, word in enumerate(words):
            for keyword, owner in self._affixes_in(word):
                self._add(owner, keyword, kind, (index, index), ranges, word)
        self._phrases(kind, words, ranges)

    def _phrases(
        self, kind: Reading, words: list[bytes], ranges: list[tuple[int, int]] | None
    ) -> None:
        index = self._matcher._phrases
        if not index:
            return
        tries = [
            (phrase, position - offset)
            for position, word in enumerate(words)
            if word in index
            for phrase, offset in index[word]
        ]
        for phrase, _ in index.get(None, ()):
            tries += [(phrase, start) for start in range(len(words))]
        for phrase, start in tries:
            window = words[start : start + len(phrase.words)] if start >= 0 else []
            if phrase.fits(window):
                found = (start, start + len(window) - 1)
                for keyword, owner in phrase.entries:
                    self._add(owner, keyword, kind, found, ranges, b" ".join(window))

    def _affixes_in(self, word: bytes) -> list[_Entry[Owner]]:
        """Wildcard keywords in `word`; readings repeat most words, so each is done once."""
        if word in self._affix_cache:
            return self._affix_cache[word]
        found: list[_Entry[Owner]] = []
        self._affix_cache[word] = found
        if _NEEDLES not in (self._matcher._set.Match(b" " + word + b" ") or ()):
            return found
        for shape, table in self._matcher._affixes.items():
            for length in self._matcher._lengths[shape]:
                if length > len(word):
                    break
                if shape == (True, False):
                    pieces = [word[:length]]
                elif shape == (False, True):
                    pieces = [word[-length:]]
                else:
                    pieces = [word[i : i + length] for i in range(len(word) - length + 1)]
                for piece in pieces:
                    found += table.get(piece, ())
        return found

    def _add(
        self,
        owner: Owner,
        keyword: Keyword,
        kind: Reading,
        found: tuple[int, int],
        ranges: list[tuple[int, int]] | None,
        words: bytes,
    ) -> None:
        """Record a hit on words `found` of a reading, if those words count."""
        first, last = (ranges[found[0]][0], ranges[found[1]][1]) if ranges else found
        if kind not in self._spans:
            self._spans[kind] = spans(self._folded, kind)
        located = self._spans[kind][first : last + 1]
        if kind is Reading.PLAIN and not ranges:
            counts = True
        elif ranges:  # spaced-out or split letters count if any of them is a letter
            counts = any(has_letter(self._folded[start:end]) for start, end in located)
        else:  # squeezed words count if each comes from a chunk that may be leetspeak
            counts = all(reads_as_word(self._folded[start:end]) for start, end in located)
        if counts:
            start, end = trimmed(self._folded, located[0][0], located[-1][1])
            hit = KeywordHit(owner, keyword, start, end, words.decode())
            self._found.setdefault((id(owner), start, end), hit)


def _unstretched(words: list[bytes]) -> list[list[bytes]]:
    """`words` with stretched letters cut to one, and to two; nothing if none is stretched."""
    cuts = [unstretched(word) for word in words]
    if not any(cuts):
        return []
    return [
        [cut[length] if cut else word for cut, word in zip(cuts, words, strict=True)]
        for length in (0, 1)
    ]


def _compile_set(patterns: list[str]) -> re2.Set:
    options = re2.Options()
    options.max_mem = _SET_MAX_MEM
    matcher = re2.Set.SearchSet(options)
    for pattern in patterns:
        matcher.Add(pattern)
    matcher.Compile()
    return matcher
