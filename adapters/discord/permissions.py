"""The Discord permissions the bot asks for, and who sees which command by default.

The invite asks for exactly what the features use, each for a reason below; nothing like
Administrator. Command visibility (``default_member_permissions``) only hides commands in
the picker; the dispatcher checks the configured roles on every use regardless.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

import discord

from bot.commands import Permission


@dataclass(frozen=True, slots=True)
class Needed:
    """One permission the invite asks for: discord.py's flag, the settings label, why."""

    flag: str
    label: str
    reason: str


NEEDED = (
    Needed("view_channel", "View Channels", "see where to welcome, flag and track tickets"),
    Needed("send_messages", "Send Messages", "welcomes, flags, ticket trackers, follow-ups"),
    Needed("send_messages_in_threads", "Send Messages in Threads", "updates in ticket threads"),
    Needed("embed_links", "Embed Links", "ticket and flag cards are embeds"),
    Needed("read_message_history", "Read Message History", "react to and read older messages"),
    Needed("add_reactions", "Add Reactions", "the moderators' choices on a flag"),
    Needed("manage_messages", "Manage Messages", "delete breaches; remove stray reactions"),
    Needed("create_public_threads", "Create Public Threads", "one public thread per ticket"),
    Needed("manage_threads", "Manage Threads", "lock a resolved ticket's thread"),
    Needed("moderate_members", "Timeout Members", "time members out"),
    Needed("kick_members", "Kick Members", "kick on a moderator's decision"),
    Needed("ban_members", "Ban Members", "ban on a moderator's decision"),
    Needed("manage_roles", "Manage Roles", "give the member role after the welcome"),
)

INVITE_PERMISSIONS = discord.Permissions(**{needed.flag: True for needed in NEEDED})

SCOPES = ("bot", "applications.commands")

# Who sees a command in the picker before an admin changes it in Server Settings →
# Integrations. Discord has no "ambassador" permission, so ambassador commands stay visible
# and the role check happens when they are used; moderators usually manage messages and
# admins manage the server.
_VISIBLE_WITH = {
    Permission.MEMBER: None,
    Permission.AMBASSADOR: None,
    Permission.MODERATOR: discord.Permissions(manage_messages=True),
    Permission.ADMIN: discord.Permissions(manage_guild=True),
}


def default_member_permissions(level: Permission) -> str | None:
    """The ``default_member_permissions`` value for a command of this level."""
    permissions = _VISIBLE_WITH[level]
    return None if permissions is None else str(permissions.value)


def invite_url(application_id: int, guild_id: int | None = None) -> str:
    """The OAuth2 URL that adds the bot with its commands and exactly its permissions."""
    query: dict[str, str | int] = {
        "client_id": application_id,
        "scope": " ".join(SCOPES),
        "permissions": INVITE_PERMISSIONS.value,
    }
    if guild_id is not None:
        query.update(guild_id=guild_id, disable_guild_select="true")
    return "https://discord.com/oauth2/authorize?" + urlencode(query)
