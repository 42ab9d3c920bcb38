"""What a Discord server holds and what the bot may do there, from the gateway's cache.

Channel permissions are the bot's effective ones (`permissions_for`: roles and channel
overrides); a role can be granted only with Manage Roles and only below the bot's highest
role, Discord's role hierarchy.
"""

from __future__ import annotations

import discord

from bot.inventory import ChannelFacts, CommunityFacts, RoleFacts, Use
from bot.model import Community

# The permissions each use needs, as Server Settings names them.
NEEDS: dict[Use, tuple[tuple[str, str], ...]] = {
    Use.POST: (
        ("view_channel", "View Channel"),
        ("send_messages", "Send Messages"),
        ("embed_links", "Embed Links"),
    ),
    Use.REACT: (
        ("add_reactions", "Add Reactions"),
        ("read_message_history", "Read Message History"),
    ),
    Use.THREADS: (
        ("create_public_threads", "Create Public Threads"),
        ("send_messages_in_threads", "Send Messages in Threads"),
        ("manage_threads", "Manage Threads"),
    ),
}


def community_facts(guild: discord.Guild) -> CommunityFacts:
    me = guild.me
    channels = tuple(_channel(channel, me) for channel in guild.text_channels)
    roles = tuple(_role(role, me) for role in guild.roles if not role.is_default())
    return CommunityFacts(Community("discord", str(guild.id)), guild.name, channels, roles)


def _channel(channel: discord.TextChannel, me: discord.Member) -> ChannelFacts:
    allowed = channel.permissions_for(me)
    may: set[Use] = set()
    advice: dict[Use, str] = {}
    for use, needed in NEEDS.items():
        lacking = [label for flag, label in needed if not getattr(allowed, flag)]
        if not lacking:
            may.add(use)
        else:
            advice[use] = (
                f"Allow the bot's role {', '.join(lacking)} in #{channel.name} "
                "(Edit Channel → Permissions)."
            )
    return ChannelFacts(str(channel.id), channel.name, frozenset(may), advice)


def _role(role: discord.Role, me: discord.Member) -> RoleFacts:
    if role.managed:
        advice = "It belongs to an integration; Discord lets nobody grant it."
    elif not me.guild_permissions.manage_roles:
        advice = "Give the bot's role the Manage Roles permission (Server Settings → Roles)."
    elif role >= me.top_role:
        advice = (
            f"It is not below the bot's highest role “{me.top_role.name}”: drag the bot's "
            "role above it in Server Settings → Roles."
        )
    else:
        return RoleFacts(str(role.id), role.name, grantable=True)
    return RoleFacts(str(role.id), role.name, grantable=False, advice=advice)
