"""Render neutral messages as terminal text; mentions become ``@name``."""

from __future__ import annotations

from bot.outgoing import (
    ChannelMention,
    Link,
    Markup,
    Mention,
    OutgoingMessage,
    Plain,
    Rich,
    RoleMention,
)
from bot.text import defuse_mass_mentions


def render_rich(text: Rich, names: dict[str, str]) -> tuple[str, tuple[str, ...]]:
    """Return the text and who it pings; user text never pings anyone."""
    out: list[str] = []
    pinged: list[str] = []
    for segment in text:
        match segment:
            case Plain(value):
                out.append(defuse_mass_mentions(value))
            case Markup(value):
                out.append(value)
            case Mention(user_id, fallback):
                out.append(f"@{names.get(user_id, fallback or user_id)}")
                pinged.append(user_id)
            case RoleMention(role_id, fallback):
                out.append(f"@{fallback or role_id}")
                pinged.append(role_id)
            case ChannelMention(channel_id, fallback):
                out.append(f"#{fallback or channel_id}")
            case Link(url, label):
                out.append(f"{label} <{url}>" if label else url)
    return "".join(out), tuple(pinged)


def render_message(message: OutgoingMessage, names: dict[str, str]) -> tuple[str, tuple[str, ...]]:
    parts: list[str] = []
    pinged: list[str] = []
    for rich in (message.title, message.text):
        if rich:
            text, who = render_rich(rich, names)
            parts.append(text)
            pinged.extend(who)
    for field in message.fields:
        name, _ = render_rich(field.name, names)
        value, who = render_rich(field.value, names)
        # A field of several lines (the rules a message broke, a burst's messages) stays
        # one block under its name, so the next field's name still stands out.
        parts.append(f"  {name}: " + value.replace("\n", "\n    "))
        pinged.extend(who)
    if message.buttons:
        parts.append("  " + " ".join(f"[{b.label}]" for b in message.buttons))
    return "\n".join(parts), tuple(pinged)
