"""Escaping shared by the renderers: user text must never format, link or ping."""

from __future__ import annotations

import re

ZERO_WIDTH_SPACE = "\u200b"

# No word boundary: "@everyone0" or "@here_" must not be left whole for a client that reads
# the prefix as a ping; defusing "@hereford" too costs one invisible character.
_MASS_MENTION = re.compile(r"@(everyone|here|channel)", re.IGNORECASE)
_DISCORD_MARKDOWN = re.compile(r"([\\*_~`|>\[\]()#\-])")
_DISCORD_MENTION = re.compile(r"<(@[!&]?|#)(\d+)>")


def defuse_mass_mentions(text: str) -> str:
    """Break ``@everyone``/``@here``/``@channel`` so no platform treats them as pings."""
    return _MASS_MENTION.sub(lambda m: f"@{ZERO_WIDTH_SPACE}{m.group(1)}", text)


def escape_discord(text: str) -> str:
    """Escape Discord markdown and raw mention syntax in untrusted text."""
    text = _DISCORD_MENTION.sub(lambda m: f"<{m.group(1)}{ZERO_WIDTH_SPACE}{m.group(2)}>", text)
    return defuse_mass_mentions(_DISCORD_MARKDOWN.sub(r"\\\1", text))


def escape_slack(text: str) -> str:
    """Escape Slack's control characters; ``<!everyone>`` cannot form without ``<``."""
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return defuse_mass_mentions(escaped)


def excerpt(text: str, limit: int) -> str:
    """Shorten text to at most `limit` characters, marking the cut."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: max(limit - 1, 0)] + "…"
