"""A seeded synthetic chat corpus and keyword list for the rule-engine benchmark.

Normal messages are built from common chat words with the usual noise (numbers, times,
emoji, mentions, links, contractions). About 2% carry something a rule catches, mostly a
listed keyword. The adversarial corpus is the same messages disguised: look-alike letters,
zero-width characters, combining marks, fullwidth forms and leetspeak. Listed keywords are
made-up syllable words, so a hit is always one the corpus planted.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from itertools import cycle

from cogs.moderation.rules import CheckedMessage

_VOCABULARY = (
    "the a an and or but so to of in on at for with from by about as is are was were be "
    "been it this that these those i you he she we they me him her us them my your our "
    "their what which who when where why how all any some no not yes ok okay thanks thank "
    "please hi hello hey welcome good great nice cool awesome bad sad happy sorry love like "
    "know think want need have has had do does did get got make made go going went come see "
    "look help work working play game games server channel bot update release version bug "
    "fix fixed issue problem question answer today tomorrow yesterday now later soon time "
    "day week night morning again still just really very much more most also too here there "
    "new old first last next one two three people friend friends team mod mods admin event "
    "stream music video link post message chat voice role roles rules docs guide install "
    "error crash login account password settings feature features support patch build test"
)
_WORDS = tuple(_VOCABULARY.split())
_CHAT = ("lol", "lmao", "gg", "brb", "afk", "thx", "pls", "imo", "tbh", "idk", "omg", "xD")
_NOISE = ("2024", "3pm", "10:30", "v1.2", "100%", "#1", "😀", "👍", "🎉", "don't", "it's")
_PUNCT = ("", "", "", ".", "!", "?", "...", ",")
_SYLLABLES = [c + v for c in "bdfgklmnprstvz" for v in "aeiou"] + ["qu", "xa", "zy", "wo"]

# Look-alikes, invisible characters and marks used to disguise adversarial messages.
_LOOKALIKE = {"a": "а", "e": "е", "o": "о", "p": "р", "c": "с", "x": "х", "y": "у", "i": "і"}
_LOOKALIKE |= {"s": "ѕ", "k": "κ", "t": "τ", "n": "η", "v": "ν", "u": "υ"}
_INVISIBLE = ("\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad")
_MARKS = tuple(chr(code) for code in range(0x300, 0x315))
_LEET = {"a": "4", "e": "3", "i": "1", "o": "0", "s": "5", "t": "7"}

START = datetime(2025, 1, 1, tzinfo=UTC)
AUTHORS = 3000
CHANNELS = tuple(str(900 + n) for n in range(12))


@dataclass(frozen=True)
class Terms:
    """The 10,000-keyword list, by AutoMod shape."""

    whole: list[str]
    phrases: list[str]
    prefixes: list[str]  # written "x*"
    suffixes: list[str]  # written "*x"
    anywhere: list[str]  # written "*x*"

    @property
    def written(self) -> list[str]:
        return [
            *self.whole,
            *self.phrases,
            *(f"{t}*" for t in self.prefixes),
            *(f"*{t}" for t in self.suffixes),
            *(f"*{t}*" for t in self.anywhere),
        ]

    @property
    def plain(self) -> list[str]:
        """Every keyword without its stars, for the baselines."""
        return [*self.whole, *self.phrases, *self.prefixes, *self.suffixes, *self.anywhere]


def make_terms(count: int, rng: random.Random) -> Terms:
    """Made-up words of 2-4 syllables, none of them a word of the chat vocabulary."""
    taken = set(_WORDS) | set(_CHAT)
    words: list[str] = []
    while len(words) < count:
        word = "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4)))
        if word not in taken:
            taken.add(word)
            words.append(word)
    # Shares as seen in real lists: mostly plain words, a few phrases and wildcards.
    cut = [int(count * share) for share in (0.80, 0.85, 0.92, 0.96)]
    seconds = cycle(rng.sample(_WORDS, 50))
    phrases = [f"{first} {next(seconds)}" for first in words[cut[0] : cut[1]]]
    return Terms(
        words[: cut[0]], phrases, words[cut[1] : cut[2]], words[cut[2] : cut[3]], words[cut[3] :]
    )


def make_messages(count: int, terms: Terms, rng: random.Random) -> list[CheckedMessage]:
    """`count` messages in time order; about 2% of them break a rule."""
    messages: list[CheckedMessage] = []
    at = START
    while len(messages) < count:
        at += timedelta(seconds=rng.expovariate(20.0))  # a busy community: 20 messages/s
        roll = rng.random()
        # Shares chosen so that about 2% of messages break a rule: 1.4% planted, and the
        # later messages of bursts (4 of 12) and cross-posts (2 of 4).
        if roll < 0.0015:
            messages.extend(_burst(rng, at))
            at = messages[-1].at
        elif roll < 0.0025:
            messages.extend(_cross_post(rng, at))
            at = messages[-1].at
        else:
            text = _chat_line(rng)
            if roll < 0.0165:
                text = _planted(rng, text, terms)
            messages.append(_message(rng, text, at))
    return messages[:count]


def disguise(messages: list[CheckedMessage], rng: random.Random) -> list[CheckedMessage]:
    """The same messages written to slip past a naive filter."""
    return [replace(message, text=_disguised(message.text, rng)) for message in messages]


def _chat_line(rng: random.Random) -> str:
    words = [
        rng.choice(_CHAT)
        if rng.random() < 0.06
        else rng.choice(_NOISE)
        if rng.random() < 0.05
        else rng.choice(_WORDS)
        for _ in range(rng.randint(3, 22))
    ]
    if rng.random() < 0.05:
        words.insert(rng.randrange(len(words)), f"<@{rng.randrange(10**17, 10**18)}>")
    if rng.random() < 0.03:
        words.append(f"https://github.com/acme/project/issues/{rng.randrange(1, 5000)}")
    words[0] = words[0].capitalize()
    return " ".join(words) + rng.choice(_PUNCT)


def _planted(rng: random.Random, text: str, terms: Terms) -> str:
    """Something a rule catches, placed in an ordinary line."""
    kind = rng.random()
    if kind < 0.80:
        word = _keyword_hit(rng, terms)
    elif kind < 0.85:
        word = f"discord.gg/{rng.choice(['free', 'join', 'raid'])}{rng.randrange(100)}"
    elif kind < 0.88:
        word = "xoxb-" + "".join(rng.choice("0123456789abcdef") for _ in range(24))
    elif kind < 0.91:
        word = "@everyone"
    elif kind < 0.94:
        word = f"https://scam{rng.randrange(20)}.example/gift"
    elif kind < 0.97:
        return text.upper() + " RIGHT NOW"
    else:
        word = "free nitro"
    parts = text.split(" ")
    parts.insert(rng.randrange(len(parts) + 1), word)
    return " ".join(parts)


def _keyword_hit(rng: random.Random, terms: Terms) -> str:
    shape = rng.random()
    if shape < 0.80:
        return rng.choice(terms.whole)
    if shape < 0.85:
        return rng.choice(terms.phrases)
    if shape < 0.92:
        return rng.choice(terms.prefixes) + rng.choice(("s", "ing", "er"))
    if shape < 0.96:
        return rng.choice(("un", "re", "over")) + rng.choice(terms.suffixes)
    return "x" + rng.choice(terms.anywhere) + "y"


def _burst(rng: random.Random, at: datetime) -> list[CheckedMessage]:
    author = str(rng.randrange(AUTHORS))
    channel = rng.choice(CHANNELS)
    return [
        CheckedMessage("bench:1", channel, author, rng.choice(_CHAT), at + timedelta(seconds=i))
        for i in range(12)
    ]


def _cross_post(rng: random.Random, at: datetime) -> list[CheckedMessage]:
    author = str(rng.randrange(AUTHORS))
    text = "Check out my new server, it has the best giveaways every week"
    return [
        CheckedMessage("bench:1", channel, author, text, at + timedelta(seconds=2 * i))
        for i, channel in enumerate(rng.sample(CHANNELS, 4))
    ]


def _message(rng: random.Random, text: str, at: datetime) -> CheckedMessage:
    young = rng.random() < 0.02
    created = at - timedelta(hours=2 if young else rng.uniform(200, 20000))
    attachments = ("screenshot.png",) if rng.random() < 0.02 else ()
    return CheckedMessage(
        community_key="bench:1",
        channel_id=rng.choice(CHANNELS),
        channel_name="general",
        author_id=str(rng.randrange(AUTHORS)),
        text=text,
        at=at,
        author_roles=frozenset({"member"}),
        account_created_at=created,
        attachments=attachments,
        mention_count=text.count("<@"),
    )


def _disguised(text: str, rng: random.Random) -> str:
    out = []
    for word in text.split(" "):
        trick = rng.random()
        if trick < 0.35:
            word = "".join(_LOOKALIKE.get(c, c) if rng.random() < 0.5 else c for c in word)
        elif trick < 0.55:
            word = rng.choice(_INVISIBLE).join([word[: len(word) // 2], word[len(word) // 2 :]])
        elif trick < 0.70:
            word = "".join(c + rng.choice(_MARKS) if c.isalpha() else c for c in word)
        elif trick < 0.80:
            word = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in word)
        elif trick < 0.85 and word.isalpha() and len(word) > 3:
            word = word[0] + "".join(_LEET.get(c, c) for c in word[1:-1]) + word[-1]
        out.append(word)
    return " ".join(out)
