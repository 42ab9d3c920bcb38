"""Slack's text as members typed and read it, for cogs that inspect what was written.

Slack delivers ``<@U0123>``, ``<#C0123|general>``, ``<https://x.io|x.io>``, ``<!here>``
and escapes the member's own ``&``, ``<`` and ``>`` as ``&amp;``, ``&lt;`` and ``&gt;``,
in messages and in slash-command text alike. Moderation rules and excerpts want the text a
person saw: names for mentions, the address behind a link (rules look for links, and the
label can hide the real target), ``@here`` for special mentions, and every entity decoded
once. Command text keeps its tokens for option parsing (`command_text`). Form answers
(``plain_text_input`` values) arrive as typed and are not decoded at all.
"""

from __future__ import annotations

import re
from collections.abc import Callable

# Slack's markup tokens, or one of the three entities it escapes the member's own &, < and >
# to: one pass over both, so every entity is decoded exactly once and a decoded "<" can
# never be taken for markup (nor "&amp;lt;", which a member typed as "&lt;", become "<").
_TOKEN_OR_ENTITY = re.compile(r"<([^<>]+)>|&(amp|lt|gt);")
_ENTITIES = {"amp": "&", "lt": "<", "gt": ">"}
_ENTITY = re.compile(r"&(amp|lt|gt);")
_SPECIAL = {"here": "@here", "channel": "@channel", "everyone": "@everyone"}
# A label ends at the next "<" too: with `[^>]*`, every unclosed "<!here|" rescanned the
# rest of the text, quadratic in its length.
_MASS = re.compile(r"<!(here|channel|everyone)(?:\|[^<>]*)?>")
_USER = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^<>]*)?>")

NameOf = Callable[[str], str | None]


def readable_text(text: str, name_of: NameOf) -> str:
    """Slack's wire format → plain text with ``@name``, ``#channel`` and bare URLs."""

    def replace(match: re.Match[str]) -> str:
        if match.group(2):
            return _ENTITIES[match.group(2)]
        target, _, label = unescape(match.group(1)).partition("|")
        if target.startswith("@"):
            return f"@{name_of(target[1:]) or label or target[1:]}"
        if target.startswith("#"):
            return f"#{label or target[1:]}"
        if target.startswith("!subteam^"):
            return f"@{label.removeprefix('@') or target.removeprefix('!subteam^')}"
        if target.startswith("!"):
            keyword = target[1:].split("^", 1)[0]
            return _SPECIAL.get(keyword, label or keyword)
        if label and label not in target:
            return f"{label} ({target})"
        return target.removeprefix("mailto:")

    return _TOKEN_OR_ENTITY.sub(replace, text)


def command_text(text: str) -> str:
    """A slash command's text as the member typed it, with Slack's markup kept.

    The manifest asks Slack to escape command text (``should_escape``), so mentions,
    channels and links arrive as ``<@U0123|ben>``-style tokens, which option parsing
    resolves to members, channels and messages, while the member's own ``&``, ``<`` and
    ``>`` arrive as entities. Those are decoded here, once: "R&D <team>" is stored as typed.
    """

    def replace(match: re.Match[str]) -> str:
        if match.group(2):
            return _ENTITIES[match.group(2)]
        return f"<{unescape(match.group(1))}>"

    return _TOKEN_OR_ENTITY.sub(replace, text)


def unescape(text: str) -> str:
    """Decode Slack's three entities in one pass."""
    return _ENTITY.sub(lambda m: _ENTITIES[m.group(1)], text)


def mentioned_user_ids(text: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(_USER.findall(text)))


def mentions_everyone(text: str) -> bool:
    return _MASS.search(text) is not None
