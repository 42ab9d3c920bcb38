"""The shapes Slack really sends, read into the few the inbox acts on.

Slack's documented payloads vary more than its reference suggests: ``message_changed``
may carry the edited message without its ``ts`` (only ``previous_message`` has it), an
older ``thread_broadcast`` arrives nested inside a ``message`` field, some subtype
examples have no ``channel``, and a modal's ``private_metadata`` may be text the bot never
wrote. Each function here turns one such family into the shape the inbox expects, or says
why it cannot (`Unusable`), so nothing downstream meets a missing key.
"""

from __future__ import annotations

import json
import re
from typing import Any

# Message subtypes that are something a member wrote (or shared, or broadcast from a
# thread): moderated like any message. Joins, topic and purpose changes, bot posts,
# deletions and the hidden thread bookkeeping (message_replied) are not.
AUTHORED_SUBTYPES = frozenset({None, "file_share", "thread_broadcast", "me_message"})
# Slack conversation ids: public (C), private (G) and direct (D) conversations.
_CHANNEL_ID = re.compile(r"[CGD][A-Z0-9]{2,}")


class Unusable(Exception):
    """A payload the bot cannot act on: logged once at DEBUG, never a traceback."""


def kind_of(body: dict[str, Any]) -> str:
    """What a payload is, for a log line: ``message/channel_join``, ``view_submission``."""
    event = body.get("event")
    if isinstance(event, dict):
        subtype = event.get("subtype")
        return f"{event.get('type')}/{subtype}" if subtype else str(event.get("type"))
    if "command" in body:
        return f"slash command {body['command']}"
    return str(body.get("type"))


def authored(event: dict[str, Any]) -> dict[str, Any] | None:
    """The message a member wrote, with its channel and ts; None for any other subtype.

    The older nested ``thread_broadcast`` (the reply inside ``message``, no top-level
    ``ts``) is unwrapped; hidden events (Slack's own bookkeeping, e.g. a
    ``message_replied`` delivered without its subtype) are not messages anyone wrote.
    """
    nested = event.get("message")
    if "ts" not in event and isinstance(nested, dict):
        event = {**nested, "channel": event.get("channel") or nested.get("channel")}
    if event.get("subtype") not in AUTHORED_SUBTYPES or event.get("hidden"):
        return None
    return _located(event)


def edited(event: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """``message_changed`` → (the message as it is now, located; as it was before).

    Slack documents ``message.ts`` as the key of the edited message, but real deliveries
    sometimes leave it (and the author) out: ``previous_message`` then supplies both.
    """
    new, old = event.get("message"), event.get("previous_message") or {}
    if not isinstance(new, dict) or not isinstance(old, dict):
        raise Unusable("the edit carries no message")
    now = {"user": old.get("user"), **new, "ts": new.get("ts") or old.get("ts")}
    return _located({**now, "channel": event.get("channel")}), old


def reaction_target(event: dict[str, Any]) -> tuple[str, str, str] | None:
    """(user, channel, message ts) of a reaction on a message; None for files and the like."""
    item = event.get("item")
    if not isinstance(item, dict) or item.get("type") != "message":
        return None
    user, channel, ts = event.get("user"), item.get("channel"), item.get("ts")
    if not (user and channel and ts and event.get("reaction")):
        raise Unusable("the reaction names no user, message or emoji")
    return str(user), str(channel), str(ts)


def joined_user(event: dict[str, Any]) -> dict[str, Any]:
    """team_join's or user_change's user object; the documentation's team_join example
    elides it (``{…}``)."""
    user = event.get("user")
    if not isinstance(user, dict) or not user.get("id"):
        raise Unusable(f"{event.get('type')} without a user id")
    return user


def form_channel(private_metadata: str) -> str | None:
    """The channel the bot stored in a modal it opened; None when the metadata names none
    or is not the bot's (free text, another app's JSON): the answer then goes by DM."""
    try:
        written = json.loads(private_metadata or "{}")
    except ValueError:
        return None
    channel = written.get("channel") if isinstance(written, dict) else None
    return channel if isinstance(channel, str) and _CHANNEL_ID.fullmatch(channel) else None


def _located(message: dict[str, Any]) -> dict[str, Any]:
    if not message.get("channel"):
        raise Unusable("the message names no channel")
    if not message.get("ts"):
        raise Unusable("the message has no ts")
    return message
