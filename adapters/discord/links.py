"""Message links, user mentions and channel mentions as Discord writes them."""

from __future__ import annotations

import re

from bot.model import MessageRef

_MESSAGE_LINK = re.compile(
    r"^<?https?://(?:(?:ptb|canary)\.)?discord(?:app)?\.com/channels/"
    r"(?P<guild>\d{15,21})/(?P<channel>\d{15,21})/(?P<message>\d{15,21})/?>?$"
)
_USER = re.compile(r"^(?:<@!?(?P<mention>\d{15,21})>|(?P<id>\d{15,21}))$")
_CHANNEL = re.compile(r"^(?:<#(?P<mention>\d{15,21})>|(?P<id>\d{15,21}))$")


def permalink(message: MessageRef) -> str:
    return f"https://discord.com/channels/{message.community.id}/{message.channel.id}/{message.id}"


def split_message_link(link: str) -> tuple[str, str, str] | None:
    """(guild id, channel id, message id) of a message link, or None."""
    match = _MESSAGE_LINK.match(link.strip())
    if match is None:
        return None
    return match["guild"], match["channel"], match["message"]


def user_id_in(text: str) -> str | None:
    """The id in ``<@123>``, ``<@!123>`` or a bare id."""
    match = _USER.match(text.strip())
    return None if match is None else match["mention"] or match["id"]


def channel_id_in(text: str) -> str | None:
    """The id in ``<#123>`` or a bare id."""
    match = _CHANNEL.match(text.strip())
    return None if match is None else match["mention"] or match["id"]
