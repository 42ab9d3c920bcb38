"""Slack message text as members read it, for cogs that inspect what was written.

Slack delivers ``<@U0123>``, ``<#C0123|general>``, ``<https://x.io|x.io>``, ``<!here>``
and ``&amp;``. Moderation rules and excerpts want the text a person saw: names for
mentions, the address behind a link (rules look for links, and the label can hide the
real target), ``@here`` for special mentions, and unescaped entities.
"""

from __future__ import annotations

import re
from collections.abc import Callable

_CONTROL = re.compile(r"<([^<>]+)>")
_SPECIAL = {"here": "@here", "channel": "@channel", "everyone": "@everyone"}
# A label ends at the next "<" too: with `[^>]*`, every unclosed "<!here|" rescanned the
# rest of the text, quadratic in its length.
_MASS = re.compile(r"<!(here|channel|everyone)(?:\|[^<>]*)?>")
_USER = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^<>]*)?>")

NameOf = Callable[[str], str | None]


def readable_text(text: str, name_of: NameOf) -> str:
    """Slack's wire format → plain text with ``@name``, ``#channel`` and bare URLs."""

    def replace(match: re.Match[str]) -> str:
        inner = match.group(1)
        target, _, label = inner.partition("|")
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

    plain = _CONTROL.sub(replace, text)
    return plain.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def mentioned_user_ids(text: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(_USER.findall(text)))


def mentions_everyone(text: str) -> bool:
    return _MASS.search(text) is not None
