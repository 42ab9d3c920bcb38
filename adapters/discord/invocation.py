"""Reading interaction payloads: which command, which typed values, what a form holds.

Discord already checked the types it knows (integers, users, channels, yes/no, choices);
text-borne types (message links, durations) are parsed here with the core's own
converter, so a bad value gets the same polite `UserError` as on any other platform.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import discord

from adapters.discord.convert import forwarded_from_payload
from bot.commands import CommandSpec, OptionType, convert_option
from bot.model import (
    Attachment,
    ChannelRef,
    Community,
    Member,
    MessageRef,
    PostedMessage,
    UserRef,
)
from bot.platform import Platform

_SUB_COMMAND_TYPES = (1, 2)
# Thread channel types: announcement thread, public thread, private thread.
_THREAD_TYPES = (10, 11, 12)


def invoked_path(data: Mapping[str, Any]) -> tuple[str, list[Mapping[str, Any]]]:
    """``("ticket open", leaf options)`` from a slash command's nested options."""
    words = [str(data["name"])]
    options: list[Mapping[str, Any]] = list(data.get("options") or [])
    while options and options[0].get("type") in _SUB_COMMAND_TYPES:
        words.append(str(options[0]["name"]))
        options = list(options[0].get("options") or [])
    return " ".join(words), options


def typed_arguments(
    spec: CommandSpec,
    options: Iterable[Mapping[str, Any]],
    resolved: Mapping[str, Any],
    platform: Platform,
    community: Community,
) -> dict[str, object]:
    """Neutral values for the declared options; unknown (stale) options are ignored."""
    declared = {option.name: option for option in spec.options}
    values: dict[str, object] = {}
    for given in options:
        option = declared.get(str(given.get("name")))
        if option is None:
            continue
        raw = given.get("value")
        match option.type:
            case OptionType.INTEGER:
                values[option.name] = int(raw)  # type: ignore[arg-type]
            case OptionType.BOOLEAN:
                values[option.name] = bool(raw)
            case OptionType.USER:
                values[option.name] = UserRef(community, str(raw))
            case OptionType.CHANNEL:
                values[option.name] = _resolved_channel(str(raw), resolved, community)
            case _:
                values[option.name] = convert_option(option, str(raw), platform, community)
    return values


def form_values(components: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """Text input values by custom id, from action rows or labelled components."""
    values: dict[str, str] = {}
    for component in components:
        if "value" in component and "custom_id" in component:
            values[str(component["custom_id"])] = str(component["value"])
        nested = list(component.get("components") or [])
        if "component" in component:
            nested.append(component["component"])
        values.update(form_values(nested))
    return values


def posted_from_payload(
    data: Mapping[str, Any], channel: ChannelRef, author: Member
) -> PostedMessage:
    """A message delivered inside an interaction (the target of "Report message")."""
    message_id = int(data["id"])
    return PostedMessage(
        ref=MessageRef(channel, str(message_id)),
        author=author,
        text=str(data.get("content") or ""),
        attachments=tuple(
            Attachment(str(a.get("filename", "")), int(a.get("size", 0)), str(a.get("url", "")))
            for a in data.get("attachments") or []
        ),
        mentioned_user_ids=tuple(str(user["id"]) for user in data.get("mentions") or []),
        mentions_everyone=bool(data.get("mention_everyone")),
        created_at=discord.utils.snowflake_time(message_id),
        forwarded=forwarded_from_payload(data, channel.community),
    )


def author_from_payload(user: Mapping[str, Any], community: Community) -> Member:
    """A member known only from a user payload (no roles: they may have left)."""
    user_id = int(user["id"])
    name = str(user.get("username", user_id))
    return Member(
        community=community,
        id=str(user_id),
        name=name,
        display_name=str(user.get("global_name") or name),
        is_bot=bool(user.get("bot")),
        created_at=discord.utils.snowflake_time(user_id),
    )


def _resolved_channel(
    channel_id: str, resolved: Mapping[str, Any], community: Community
) -> ChannelRef:
    channel = (resolved.get("channels") or {}).get(channel_id) or {}
    parent = channel.get("parent_id") if channel.get("type") in _THREAD_TYPES else None
    return ChannelRef(
        community, channel_id, str(channel.get("name") or ""), str(parent) if parent else None
    )
