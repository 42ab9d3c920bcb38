"""What moderators can do with a flag, and what each action needs from the platform.

One place binds actions to capabilities, so the bot offers (pre-reacts with) only what the
platform can perform and tells moderators honestly what it cannot.
"""

from __future__ import annotations

from enum import StrEnum

from bot.platform import Capability, Platform


class ModAction(StrEnum):
    DISMISS = "dismiss"
    DELETE = "delete"
    WARN = "warn"
    TIMEOUT = "timeout"
    KICK = "kick"
    BAN = "ban"


# Mildest first: the order reactions are added in and listed on a flag.
ACTIONS: tuple[ModAction, ...] = tuple(ModAction)

# Actions that put an infraction on the member's record.
INFRACTIONS: frozenset[ModAction] = frozenset(
    {ModAction.WARN, ModAction.TIMEOUT, ModAction.KICK, ModAction.BAN}
)

# Warning needs nothing special: a closed DM falls back to a mention in a channel.
_NEEDS: dict[ModAction, Capability] = {
    ModAction.DELETE: Capability.DELETE_OTHERS,
    ModAction.TIMEOUT: Capability.TIMEOUT,
    ModAction.KICK: Capability.KICK,
    ModAction.BAN: Capability.BAN,
}


def required_capability(action: ModAction) -> Capability | None:
    return _NEEDS.get(action)


def can_perform(platform: Platform, action: ModAction) -> bool:
    needed = _NEEDS.get(action)
    return needed is None or needed in platform.capabilities


def offered(platform: Platform, *, messages: bool = True) -> list[ModAction]:
    """The actions this platform can carry out, mildest first; a flag without `messages`
    (the escalation ladder's, about a member) has nothing to delete."""
    return [
        action
        for action in ACTIONS
        if can_perform(platform, action) and (messages or action is not ModAction.DELETE)
    ]


def missing(platform: Platform) -> list[ModAction]:
    return [action for action in ACTIONS if not can_perform(platform, action)]


# Recorded as the moderator when the escalation ladder applies a step by itself.
LADDER = "escalation-ladder"

# How severe an action is, for picking the strongest escalation step that applies.
SEVERITY: dict[ModAction, int] = {action: rank for rank, action in enumerate(ACTIONS)}


def capability_matrix(platforms: dict[str, frozenset[Capability]]) -> str:
    """A Markdown table of which actions each platform offers, for docs/moderation.md."""
    header = "| Action | " + " | ".join(platforms) + " |"
    rule = "|---|" + "---|" * len(platforms)
    rows = [
        f"| {action.value} | "
        + " | ".join(
            "yes" if _NEEDS.get(action) is None or _NEEDS[action] in capabilities else "no"
            for capabilities in platforms.values()
        )
        + " |"
        for action in ACTIONS
    ]
    return "\n".join([header, rule, *rows])
