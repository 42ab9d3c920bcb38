"""The Slack app manifest, generated from the cogs' command declarations.

One Slack slash command per top-level name (``/ticket`` carries ``open``, ``list``, ...; the
dispatcher resolves the sub-command from the text), one message shortcut per message
action, and exactly the scopes and events the adapter uses. Paste the output into
"Create New App → From an app manifest" and the app is set up in one step.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from adapters.slack.ids import shortcut_callback_id
from adapters.slack.listeners import EVENTS
from bot.commands import CommandSpec, MessageCommandSpec
from bot.text import excerpt

# Bot scopes, each for a reason a workspace admin can check.
BOT_SCOPES: dict[str, str] = {
    "commands": "slash commands and the message shortcut",
    "chat:write": "post, edit and delete its own messages; replies in threads",
    "chat:write.public": "post in public channels (e.g. #tickets) without an invitation",
    "channels:join": "join the configured public channels: Slack sends no reactions or "
    "messages from a channel the bot is not in",
    "channels:read": "find channels by name; see who joins the welcome channel",
    "groups:read": "the same for private channels the bot was invited to",
    "channels:history": "read messages in public channels for moderation and tickets",
    "groups:history": "the same in private channels the bot was invited to",
    "reactions:read": "moderators act on flags with reactions",
    "reactions:write": "react to messages (votes, acknowledgements, flag controls)",
    "users:read": "names, locales and admin status of members; welcome on team_join; "
    "keep the member count on user_change (deactivations)",
    "usergroups:read": "user groups are the roles (moderators, ambassadors, admins)",
    "usergroups:write": "grant a role by adding a member to a user group",
    "im:write": "send direct messages (welcome, warnings, ticket updates)",
    "im:history": "after a restart, see whether a direct message was already sent",
    "channels:manage": "remove a member from public channels (kick)",
    "groups:write": "remove a member from private channels (kick)",
}
# Event subscriptions per delivered event type (message needs two: public and private).
BOT_EVENTS = {
    "message": ("message.channels", "message.groups"),
    "reaction_added": ("reaction_added",),
    "reaction_removed": ("reaction_removed",),
    "team_join": ("team_join",),
    "member_joined_channel": ("member_joined_channel",),
    "user_change": ("user_change",),
}
# Slack's manifest limits: slash command description 2000 and usage hint 1000 characters
# (autocomplete shows about 100), shortcut name 24 and description 150.
COMMAND_DESCRIPTION_LIMIT = 100
USAGE_HINT_LIMIT = 1000
SHORTCUT_NAME_LIMIT = 24
SHORTCUT_DESCRIPTION_LIMIT = 150


def slash_commands(commands: Sequence[CommandSpec]) -> list[dict[str, Any]]:
    groups: dict[str, list[CommandSpec]] = {}
    for spec in commands:
        groups.setdefault(spec.path.split(" ", 1)[0], []).append(spec)
    rendered = []
    for name, specs in sorted(groups.items()):
        if len(specs) == 1 and specs[0].group is None:
            spec = specs[0]
            description = spec.description
            hint = spec.usage().removeprefix(f"/{name}").strip()
        else:
            # Members' sub-commands first: they are most of the people reading the list.
            ordered = sorted((s for s in specs if s.group is not None), key=lambda s: s.permission)
            description = _group_description(name, [s.path.split(" ", 1)[1] for s in ordered])
            hint = " | ".join(s.usage().removeprefix(f"/{name} ") for s in ordered)
        entry: dict[str, Any] = {
            "command": f"/{name}",
            "description": excerpt(description, COMMAND_DESCRIPTION_LIMIT),
            "should_escape": True,
        }
        if hint:
            entry["usage_hint"] = excerpt(hint, USAGE_HINT_LIMIT)
        rendered.append(entry)
    return rendered


def _group_description(name: str, subs: list[str]) -> str:
    """As many sub-command names as fit, and how to learn the rest."""
    tail = f" (/{name} alone explains each)"
    shown: list[str] = []
    for sub in subs:
        if len(", ".join([*shown, sub, "…"])) + len(tail) > COMMAND_DESCRIPTION_LIMIT:
            shown.append("…")
            break
        shown.append(sub)
    return ", ".join(shown) + tail


def shortcuts(actions: Sequence[MessageCommandSpec]) -> list[dict[str, Any]]:
    return [
        {
            "name": excerpt(action.name, SHORTCUT_NAME_LIMIT),
            "type": "message",
            "callback_id": shortcut_callback_id(action.name),
            "description": excerpt(action.description or action.name, SHORTCUT_DESCRIPTION_LIMIT),
        }
        for action in actions
    ]


def build_manifest(
    commands: Sequence[CommandSpec],
    actions: Sequence[MessageCommandSpec],
    *,
    name: str = "Botschafter",
    request_url: str | None = None,
    admin_user_scope: bool = False,
) -> dict[str, Any]:
    """The manifest; with `request_url`, for HTTP mode instead of Socket Mode."""
    slash = slash_commands(commands)
    if request_url:
        for entry in slash:
            entry["url"] = request_url
    scopes: dict[str, list[str]] = {"bot": list(BOT_SCOPES)}
    if admin_user_scope:
        scopes["user"] = ["chat:write"]
    settings: dict[str, Any] = {
        "event_subscriptions": {
            "bot_events": sorted({e for event in EVENTS for e in BOT_EVENTS[event]})
        },
        "interactivity": {"is_enabled": True},
        "org_deploy_enabled": False,
        "socket_mode_enabled": request_url is None,
        "token_rotation_enabled": False,
    }
    if request_url:
        settings["event_subscriptions"]["request_url"] = request_url
        settings["interactivity"]["request_url"] = request_url
    features: dict[str, Any] = {
        "app_home": {
            "home_tab_enabled": False,
            "messages_tab_enabled": True,
            "messages_tab_read_only_enabled": True,
        },
        "bot_user": {"display_name": name, "always_online": True},
    }
    if actions:
        features["shortcuts"] = shortcuts(actions)
    if slash:
        features["slash_commands"] = slash
    return {
        "_metadata": {"major_version": 1, "minor_version": 1},
        "display_information": {
            "name": name,
            "description": "Welcomes members, flags rule breaches to moderators, and keeps "
            "ambassador tickets honest.",
            "background_color": "#1d4e89",
        },
        "features": features,
        "oauth_config": {"scopes": scopes},
        "settings": settings,
    }
