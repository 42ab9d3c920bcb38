"""Neutral outgoing messages, rendered by each adapter into its own markup.

Text is a sequence of segments. `Plain` is text from users (or any untrusted source): every
renderer escapes it and defuses mass mentions. `Markup` is text the bot or the community's
admins wrote (catalog strings, templates); it may use ``**bold**``, ``*italic*`` and
```code``` in Discord-flavoured markdown, which Slack's renderer translates. A bare ``str``
passed to `rich` becomes `Plain`, so forgetting to mark something trusted is safe.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum


@dataclass(frozen=True, slots=True)
class Plain:
    text: str


@dataclass(frozen=True, slots=True)
class Markup:
    text: str


@dataclass(frozen=True, slots=True)
class Mention:
    """A user mention that is allowed to notify that user."""

    user_id: str
    fallback_name: str = ""


@dataclass(frozen=True, slots=True)
class ChannelMention:
    channel_id: str
    fallback_name: str = ""


@dataclass(frozen=True, slots=True)
class RoleMention:
    """A role mention the bot itself decides to ping (e.g. the ambassadors role)."""

    role_id: str
    fallback_name: str = ""


@dataclass(frozen=True, slots=True)
class Link:
    url: str
    label: str = ""


Segment = Plain | Markup | Mention | ChannelMention | RoleMention | Link
Rich = tuple[Segment, ...]


def rich(*parts: Segment | str | Iterable[Segment]) -> Rich:
    """Flatten parts into one rich text; bare strings are untrusted `Plain` text."""
    segments: list[Segment] = []
    for part in parts:
        if isinstance(part, str):
            segments.append(Plain(part))
        elif isinstance(part, Segment):
            segments.append(part)
        else:
            segments.extend(part)
    return tuple(segments)


def join(parts: Iterable[Rich | Segment], separator: str | Segment = "\n") -> Rich:
    """Join rich texts (or single segments), by default one per line; a str separator is
    bot-written markup."""
    between = Markup(separator) if isinstance(separator, str) else separator
    out: list[Segment] = []
    for index, part in enumerate(parts):
        if index:
            out.append(between)
        if isinstance(part, tuple):
            out.extend(part)
        else:
            out.append(part)
    return tuple(out)


def plain_text(text: Rich) -> str:
    """A markup-free reading of rich text, for logs, exports and the terminal."""
    out: list[str] = []
    for segment in text:
        match segment:
            case Plain(value) | Markup(value):
                out.append(value)
            case Mention(user_id, name):
                out.append(f"@{name or user_id}")
            case ChannelMention(channel_id, name):
                out.append(f"#{name or channel_id}")
            case RoleMention(role_id, name):
                out.append(f"@{name or role_id}")
            case Link(url, label):
                out.append(f"{label} <{url}>" if label else url)
    return "".join(out)


class ButtonStyle(StrEnum):
    PRIMARY = "primary"
    SECONDARY = "secondary"
    SUCCESS = "success"
    DANGER = "danger"


@dataclass(frozen=True, slots=True)
class Button:
    """A button; `action_id` routes presses to the cog handler registered for its prefix."""

    action_id: str
    label: str
    style: ButtonStyle = ButtonStyle.PRIMARY


@dataclass(frozen=True, slots=True)
class Field:
    name: Rich
    value: Rich
    inline: bool = False


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    text: Rich = ()
    title: Rich = ()
    fields: tuple[Field, ...] = ()
    buttons: tuple[Button, ...] = ()
    extra: dict[str, str] = field(default_factory=dict, compare=False, hash=False)

    @classmethod
    def of(cls, *parts: Segment | str | Iterable[Segment]) -> OutgoingMessage:
        return cls(text=rich(*parts))


@dataclass(frozen=True, slots=True)
class FormField:
    field_id: str
    label: str
    long: bool = False
    required: bool = True
    max_length: int = 1000
    default: str = ""


@dataclass(frozen=True, slots=True)
class Form:
    """A modal form; its submission arrives as `FormSubmitted` with the same `form_id`."""

    form_id: str
    title: str
    fields: tuple[FormField, ...]
