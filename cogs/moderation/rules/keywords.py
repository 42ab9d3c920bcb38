"""Keywords in Discord AutoMod's syntax.

``cat`` matches the whole word or phrase, ``cat*`` words that start with it, ``*cat``
words that end with it, ``*cat*`` anywhere; case never matters. A keyword is folded and
read the way a message is (see `_tokens`), so ``a$$`` means "ass" and ``f.u.c.k`` means
"fuck". `_keyword_search` matches thousands of them at once.
"""

from __future__ import annotations

from typing import NamedTuple

from cogs.moderation.rules._tokens import keyword_words
from cogs.moderation.rules.normalise import fold


class Keyword(NamedTuple):
    """One keyword as written and as matched (a tuple: lists hold thousands of them)."""

    written: str
    text: str  # folded words joined by single spaces
    prefix: bool  # written "cat*": the last word may go on
    suffix: bool  # written "*cat": the first word may start earlier

    @classmethod
    def parse(cls, written: str) -> Keyword:
        """Read AutoMod syntax; a ValueError says what is wrong with the keyword."""
        if written.isascii() and written.isalpha():  # most of a list: skip the general path
            return cls(written, written.lower(), False, False)
        stripped = written.strip()
        core = stripped.strip("*")
        if "*" in core:
            raise ValueError(f"keyword {written!r}: '*' may only stand at the start or end")
        text = " ".join(keyword_words(fold(core)))
        if not text:
            raise ValueError(f"keyword {written!r} has no letters or digits, so never matches")
        return cls(written, text, stripped.endswith("*"), stripped.startswith("*"))

    @property
    def needle(self) -> str | None:
        """What to search for in joined readings; None for a plain word (a dict lookup)."""
        if not (self.prefix or self.suffix or " " in self.text):
            return None
        return f"{'' if self.suffix else ' '}{self.text}{'' if self.prefix else ' '}"

    def matches(self, words: str) -> bool:
        """Whether `words` (folded, single-spaced) is matched whole by this keyword."""
        if self.prefix and self.suffix:
            return self.text in words
        if self.prefix:
            return words.startswith(self.text)
        if self.suffix:
            return words.endswith(self.text)
        return words == self.text
