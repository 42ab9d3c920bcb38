"""discord.py objects as neutral references, so nothing beyond adapters/ sees discord.py.

Conversions read only what the gateway already delivered (the message author's roles
arrive with the message), so mapping an event never costs a REST call.

Every message converts its server, channel and author again, and they are nearly always
what they were for the message before: so each converted server, channel, role and
member is kept and handed out again while what it was made from reads the same (one
object per member, not one per message, which also lets the core skip what it has seen).
The keeps are bounded: a cache past `_KEEP` entries starts afresh.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
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

# Entries a conversion cache holds at most: far more than the members who talk in any
# one stretch of time, and a few megabytes at worst.
_KEEP = 20_000

_communities: dict[int, Community] = {}
_roles: dict[int, Role] = {}
_channels: dict[int, ChannelRef] = {}
# (server id, user id) -> what the member was made from (see `_made_of`), and the member.
_members: dict[tuple[int, int], tuple[tuple[Any, ...], Member]] = {}


def community_of(guild: discord.abc.Snowflake | int) -> Community:
    guild_id = guild if isinstance(guild, int) else guild.id
    found = _communities.get(guild_id)
    if found is None:
        found = _kept(_communities, guild_id, Community(PLATFORM, str(guild_id)))
    return found


def member_of(
    user: discord.Member | discord.User | discord.abc.User,
    community: Community,
    *,
    locale: str | None = None,
) -> Member:
    """A neutral member; a bare user (a webhook, someone who left) has no roles."""
    if not isinstance(user, discord.Member):
        return Member(
            community=community,
            id=str(user.id),
            name=user.name,
            display_name=user.display_name,
            locale=locale,
            is_bot=user.bot,
            created_at=user.created_at,
        )
    all_roles = user.roles  # @everyone (`is_default`) first, by position
    roles = tuple([_role(r) for r in all_roles if not r.is_default()])
    made_of = _made_of(user, roles, all_roles, locale)
    key = (user.guild.id, user.id)
    kept = _members.get(key)
    if kept is not None and kept[0] == made_of and kept[1].community is community:
        return kept[1]
    name, display_name, _, is_admin, is_bot, joined_at, _ = made_of
    member = Member(
        community=community,
        id=str(user.id),
        name=name,
        display_name=display_name,
        roles=roles,
        locale=locale,
        is_bot=is_bot,
        is_platform_admin=is_admin,
        created_at=user.created_at,
        joined_at=joined_at,
    )
    _kept(_members, key, (made_of, member))
    return member


def _made_of(
    user: discord.Member, roles: tuple[Role, ...], all_roles: list[discord.Role], locale: str | None
) -> tuple[str, str, tuple[Role, ...], bool, bool, datetime | None, str | None]:
    """Everything a converted member depends on besides its id (its creation time is its
    id's). Administrators as `discord.Member.guild_permissions` has them: the owner, or
    any of their roles (@everyone too) grants Administrator."""
    is_admin = user.guild.owner_id == user.id or any(r.permissions.administrator for r in all_roles)
    return (user.name, user.display_name, roles, is_admin, user.bot, user.joined_at, locale)


def _role(role: discord.Role) -> Role:
    kept = _roles.get(role.id)
    if kept is None or kept.name != role.name:
        kept = _kept(_roles, role.id, Role(str(role.id), role.name))
    return kept


def _kept(cache: dict[Any, Any], key: Any, value: Any) -> Any:
    """Store `value` under `key`, starting afresh once `cache` holds `_KEEP` entries."""
    if len(cache) >= _KEEP:
        cache.clear()
    cache[key] = value
    return value


def channel_ref(channel: Any, community: Community) -> ChannelRef:
    """A channel or thread reference (any discord.py channel object, even a partial one);
    a thread names its parent channel."""
    name = getattr(channel, "name", None) or ""
    parent = channel.parent_id if isinstance(channel, discord.Thread) else None
    parent_id = str(parent) if parent is not None else None
    kept = _channels.get(channel.id)
    if (
        kept is not None
        and kept.name == name
        and kept.parent_id == parent_id
        and kept.community is community
    ):
        return kept
    return _kept(_channels, channel.id, ChannelRef(community, str(channel.id), name, parent_id))


def message_ref(message: discord.Message, community: Community) -> MessageRef:
    return MessageRef(channel_ref(message.channel, community), str(message.id))


def posted_message(message: discord.Message, community: Community) -> PostedMessage:
    files = message.attachments
    text = message.content
    # Mention markup starts "<@"; without it discord.py's regex search finds nothing.
    mentions = message.raw_mentions if "<@" in text else ()
    return PostedMessage(
        ref=message_ref(message, community),
        author=member_of(message.author, community),
        text=text,
        attachments=tuple(Attachment(a.filename, a.size, a.url) for a in files) if files else (),
        mentioned_user_ids=tuple(str(user_id) for user_id in mentions) if mentions else (),
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
