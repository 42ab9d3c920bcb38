"""Slack identifiers inside neutral references, and the text forms members paste.

A Slack thread is not a channel: it is the replies under one message, addressed by the
channel and the parent's ``ts``. Neutral code wants a `ChannelRef` it can post into, so a
thread's id carries both, ``C0123/1700000000.000100``, and names its channel as
``parent_id``. The encoding is self-contained: a cog that stored only the id can post into
the thread again after a restart.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

from bot.model import ChannelRef, Community, MessageRef

THREAD_SEPARATOR = "/"

_USER_MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
_CHANNEL_MENTION = re.compile(r"^<#([CGD][A-Z0-9]+)(?:\|([^>]*))?>$")
_CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{2,}$")
_ARCHIVE_PATH = re.compile(r"^/archives/([CGD][A-Z0-9]+)/p(\d{10})(\d{6})$")


def split_channel(channel: ChannelRef) -> tuple[str, str | None]:
    """The Slack channel id and, for a thread, the parent message's ``ts``."""
    base, separator, thread_ts = channel.id.partition(THREAD_SEPARATOR)
    return base, (thread_ts if separator else None)


def thread_ref(parent: ChannelRef, thread_ts: str, name: str = "") -> ChannelRef:
    """The thread under the message `thread_ts` in the channel `parent`."""
    base, _ = split_channel(parent)
    return ChannelRef(
        parent.community, f"{base}{THREAD_SEPARATOR}{thread_ts}", name or parent.name, base
    )


def channel_for(
    community: Community, channel_id: str, name: str, thread_ts: str | None, ts: str
) -> ChannelRef:
    """Where a message lives: its channel, or the thread it replies in."""
    channel = ChannelRef(community, channel_id, name)
    if thread_ts and thread_ts != ts:
        return thread_ref(channel, thread_ts)
    return channel


def user_id_in(text: str) -> str | None:
    """``<@U0123>``, ``<@U0123|name>`` or a bare ``U0123``; None for anything else."""
    text = text.strip()
    match = _USER_MENTION.match(text)
    if match:
        return match.group(1)
    return text if _USER_ID.match(text) else None


def channel_in(text: str) -> tuple[str, str] | None:
    """``<#C0123|name>``, ``<#C0123>`` or a bare ``C0123`` as (id, name or "")."""
    text = text.strip()
    match = _CHANNEL_MENTION.match(text)
    if match:
        return match.group(1), match.group(2) or ""
    return (text, "") if _CHANNEL_ID.match(text) else None


def parse_permalink(community: Community, link: str, team_host: str | None) -> MessageRef | None:
    """A message from a permalink such as
    ``https://team.slack.com/archives/C0123/p1700000000000100?thread_ts=...``.

    Links into another workspace (a different host than ours, once known) are refused, so a
    member cannot point the bot at a message it would look up in the wrong place.
    """
    text = link.strip().removeprefix("<").removesuffix(">").split("|", 1)[0]
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    if team_host and parts.hostname.lower() != team_host.lower():
        return None
    match = _ARCHIVE_PATH.match(parts.path)
    if match is None:
        return None
    channel_id, seconds, micros = match.groups()
    ts = f"{seconds}.{micros}"
    thread_ts = parse_qs(parts.query).get("thread_ts", [None])[0]
    return MessageRef(channel_for(community, channel_id, "", thread_ts, ts), ts)


def shortcut_callback_id(name: str) -> str:
    """A stable callback id for a message action: ``Report message`` → ``report_message``."""
    slug = re.sub(r"[^a-z0-9]+", "_", name.casefold()).strip("_")
    return slug or "action"


def channel_from_id(community: Community, channel_id: str, name: str = "") -> ChannelRef:
    """Rebuild a reference from an id this module produced (a channel or a thread)."""
    base, separator, _ = channel_id.partition(THREAD_SEPARATOR)
    return ChannelRef(community, channel_id, name, base if separator else None)
