"""discord.py objects as neutral references, so nothing beyond adapters/ sees discord.py.

Conversions read only what the gateway already delivered (the message author's roles
arrive with the message), so mapping an event never costs a REST call.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import discord

from bot.model import (
    Attachment,
    ChannelRef,
    Community,
    Forwarded,
    Member,
    MessageRef,
    PostedMessage,
    Role,
)

PLATFORM = "discord"


def community_of(guild: discord.abc.Snowflake | int) -> Community:
    return Community(PLATFORM, str(guild if isinstance(guild, int) else guild.id))


def member_of(
    user: discord.Member | discord.User | discord.abc.User,
    community: Community,
    *,
    locale: str | None = None,
) -> Member:
    """A neutral member; a bare user (a webhook, someone who left) has no roles."""
    roles: tuple[Role, ...] = ()
    joined_at = None
    is_admin = False
    if isinstance(user, discord.Member):
        roles = tuple(Role(str(r.id), r.name) for r in user.roles if not r.is_default())
        joined_at = user.joined_at
        is_admin = user.guild_permissions.administrator
    return Member(
        community=community,
        id=str(user.id),
        name=user.name,
        display_name=user.display_name,
        roles=roles,
        locale=locale,
        is_bot=user.bot,
        is_platform_admin=is_admin,
        created_at=user.created_at,
        joined_at=joined_at,
    )


def channel_ref(channel: Any, community: Community) -> ChannelRef:
    """A channel or thread reference (any discord.py channel object, even a partial one);
    a thread names its parent channel."""
    name = getattr(channel, "name", None) or ""
    parent_id = channel.parent_id if isinstance(channel, discord.Thread) else None
    return ChannelRef(
        community, str(channel.id), name, str(parent_id) if parent_id is not None else None
    )


def message_ref(message: discord.Message, community: Community) -> MessageRef:
    return MessageRef(channel_ref(message.channel, community), str(message.id))


def posted_message(message: discord.Message, community: Community) -> PostedMessage:
    return PostedMessage(
        ref=message_ref(message, community),
        author=member_of(message.author, community),
        text=message.content,
        attachments=tuple(Attachment(a.filename, a.size, a.url) for a in message.attachments),
        mentioned_user_ids=tuple(str(user_id) for user_id in message.raw_mentions),
        mentions_everyone=message.mention_everyone,
        created_at=message.created_at,
        forwarded=forwarded_of(message),
    )


def forwarded_of(message: discord.Message) -> Forwarded | None:
    """What a forward carries: the snapshot of the original message (its ``content`` is
    empty), and the original's server and channel from the forward's reference.

    Discord sends one snapshot today; should it send several, their texts are read together.
    """
    reference = message.reference
    if reference is None or reference.type is not discord.MessageReferenceType.forward:
        return None
    snapshots = message.message_snapshots
    return Forwarded(
        text="\n".join(s.content for s in snapshots if s.content),
        attachments=tuple(
            Attachment(a.filename, a.size, a.url) for s in snapshots for a in s.attachments
        ),
        origin=_origin(message, reference.guild_id, reference.channel_id),
    )


def forwarded_from_payload(data: Mapping[str, Any], community: Community) -> Forwarded | None:
    """`forwarded_of` for a raw message payload (the target of a message action)."""
    reference = data.get("message_reference") or {}
    if reference.get("type") != discord.MessageReferenceType.forward.value:
        return None
    snapshots = [s.get("message") or {} for s in data.get("message_snapshots") or []]
    guild_id = reference.get("guild_id")
    channel_id = reference.get("channel_id")
    origin = None
    if channel_id is not None:
        where = community_of(int(guild_id)) if guild_id is not None else community
        origin = ChannelRef(where, str(channel_id))
    return Forwarded(
        text="\n".join(str(s.get("content") or "") for s in snapshots if s.get("content")),
        attachments=tuple(
            Attachment(str(a.get("filename", "")), int(a.get("size", 0)), str(a.get("url", "")))
            for s in snapshots
            for a in s.get("attachments") or []
        ),
        origin=origin,
    )


def _origin(
    message: discord.Message, guild_id: int | None, channel_id: int | None
) -> ChannelRef | None:
    """The forwarded message's channel; named when it is in the forward's own server (a
    forward within one server may leave out the server's id)."""
    if channel_id is None:
        return None
    here = message.guild
    if guild_id is None or (here is not None and guild_id == here.id):
        if here is None:
            return None
        channel = here.get_channel_or_thread(channel_id)
        name = channel.name if channel is not None else ""
        return ChannelRef(community_of(here), str(channel_id), name)
    return ChannelRef(community_of(guild_id), str(channel_id))
