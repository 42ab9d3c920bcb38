"""Who may do what: permission levels from the community's configured roles.

Checked by the dispatcher before every command and by cogs before every reaction-driven
action, never trusted from the platform's client-side command visibility alone.
"""

from __future__ import annotations

from collections.abc import Iterable

from bot.commands import CommandSpec, MessageCommandSpec, Permission
from bot.config import Roles
from bot.model import Member
from bot.platform import Platform


def holds_role(member: Member, configured: Iterable[str]) -> bool:
    """Whether the member has one of these roles, named by ID or name in any case."""
    wanted = {value.casefold() for value in configured if value}
    return any(
        role.id.casefold() in wanted or role.name.casefold() in wanted for role in member.roles
    )


def is_admin(member: Member, roles: Roles) -> bool:
    return member.is_platform_admin or holds_role(member, roles.admins)


def has_permission(member: Member, level: Permission, roles: Roles) -> bool:
    """Admins hold every level; moderators and ambassadors hold only their own."""
    if member.is_bot:
        return False
    if level is Permission.MEMBER:
        return True
    if is_admin(member, roles):
        return True
    if level is Permission.MODERATOR:
        return holds_role(member, roles.moderators)
    if level is Permission.AMBASSADOR:
        return holds_role(member, roles.ambassadors)
    return False


def may_use(
    member: Member, spec: CommandSpec | MessageCommandSpec, roles: Roles, platform: Platform
) -> bool:
    """Whether the member may run the command here: their level, and what the platform can."""
    return has_permission(member, spec.permission, roles) and all(
        capability in platform.capabilities for capability in spec.requires
    )
