"""discord.py objects as neutral references, so nothing beyond adapters/ sees discord.py.

Conversions read only what the gateway already delivered (the message author's roles
arrive with the message), so mapping an event never costs a REST call.
"""

from __future__ import annotations

from typing import Any

import discord

from bot.model import (
    Attachment,
    ChannelRef,
    Community,
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
    )
