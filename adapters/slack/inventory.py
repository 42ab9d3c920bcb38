"""What a Slack workspace holds and what the bot may do there, from the Web API.

A bot posts where it is a member, or in any public channel with ``chat:write.public``; but
it hears reactions only where it is a member, so flags and ticket trackers need it inside.
Roles are user groups; granting one needs ``usergroups:write``, and free workspaces have no
user groups at all (``plan_upgrade_required``).
"""

from __future__ import annotations

from collections.abc import Set
from typing import TYPE_CHECKING, Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.errors import call, code_of, translate
from bot.errors import PlatformUnavailable
from bot.inventory import ChannelFacts, CommunityFacts, RoleFacts, Use

if TYPE_CHECKING:
    from adapters.slack.platform import Identity

# conversations.list page size; Slack recommends at most 200.
PAGE_SIZE = 200


async def community_facts(
    client: AsyncWebClient, identity: Identity, would_join: Set[str] = frozenset()
) -> CommunityFacts:
    """The workspace's channels and user groups as the bot may use them; a channel in
    `would_join` (a check found that start-up will join it) counts as one it is in."""
    community, name, scopes = identity.community, identity.team_name, identity.scopes

    def granted(scope: str) -> bool:
        return scopes is None or scope in scopes

    public_posts = granted("chat:write.public")
    channels = tuple(
        _channel(
            {**raw, "is_member": True} if raw.get("id") in would_join else raw,
            identity.bot_name,
            public_posts=public_posts,
        )
        for raw in await _channels(client)
    )
    try:
        response = await client.usergroups_list()
    except SlackApiError as error:
        failure = translate(error, "list the user groups")
        if isinstance(failure, PlatformUnavailable):
            raise failure from None
        reason = f"Slack does not list the user groups ({code_of(error)}); see docs/slack.md."
        return CommunityFacts(community, name, channels, None, reason)
    may_grant = granted("usergroups:write")
    roles = tuple(
        RoleFacts(
            str(group["id"]),
            group.get("name") or group.get("handle") or str(group["id"]),
            grantable=may_grant,
            advice="" if may_grant else "Add the usergroups:write scope and reinstall the app.",
        )
        for group in response.get("usergroups", [])
    )
    return CommunityFacts(community, name, channels, roles)


async def _channels(client: AsyncWebClient) -> list[dict[str, Any]]:
    """Every channel the bot can see (public ones, and private ones it is in)."""
    found: list[dict[str, Any]] = []
    cursor = None
    while True:
        response = await call(
            "list channels",
            client.conversations_list(
                types="public_channel,private_channel",
                exclude_archived=True,
                limit=PAGE_SIZE,
                cursor=cursor,
            ),
        )
        found.extend(response.get("channels", []))
        cursor = response.get("response_metadata", {}).get("next_cursor")
        if not cursor:
            return found


def _channel(raw: dict[str, Any], bot_name: str, *, public_posts: bool) -> ChannelFacts:
    name = raw.get("name", "")
    if raw.get("is_member"):
        return ChannelFacts(raw["id"], name, frozenset(Use))
    # Outside a channel the bot hears no reactions there, even where it may post.
    invite = f"Type /invite @{bot_name} in #{name}."
    may = {Use.POST, Use.THREADS} if public_posts and not raw.get("is_private") else set()
    advice = {use: invite for use in Use if use not in may}
    return ChannelFacts(raw["id"], name, frozenset(may), advice)
