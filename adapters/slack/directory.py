"""What the bot knows about a workspace's people, channels and user groups.

Every event needs the acting member with their roles, and Slack sends only an id. Asking
Slack each time would cost two calls per reaction, so answers are cached briefly: long
enough to absorb a busy channel, short enough that a member added to the moderators'
user group can act within minutes.

Roles on Slack are user groups (``@moderators``): the community TOML names them by name,
handle or id like Discord roles. Workspace owners and admins count as platform admins.
User groups need a paid plan; on a free workspace only owners and admins hold a role.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.errors import call, code_of, translate
from bot.errors import NotFound, PlatformUnavailable
from bot.model import ChannelRef, Community, Member, Role

log = logging.getLogger(__name__)

# A role change (added to @moderators) takes effect within this many seconds.
MEMBER_TTL = 300.0
GROUPS_TTL = 300.0
# An unknown channel name triggers one fresh channel listing, at most this often (seconds),
# so a misconfigured name cannot turn every event into a conversations.list pass.
CHANNEL_RELOAD_THROTTLE = 5.0
# Counting members pages through users.list; a welcome message's "member #1234" may lag.
COUNT_TTL = 600.0
# users.list and conversations.list page size; Slack recommends at most 200.
PAGE_SIZE = 200
SLACKBOT = "USLACKBOT"


@dataclass
class _Cached:
    value: Any
    at: float


class Directory:
    def __init__(
        self,
        client: AsyncWebClient,
        community: Community,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self.community = community
        self._clock = clock
        self._members: dict[str, _Cached] = {}
        self._deactivated: set[str] = set()
        self._names: dict[str, str] = {}
        self._channels: dict[str, str] = {}
        self._channels_at: float | None = None
        self._groups: _Cached | None = None
        self._count: _Cached | None = None
        self._groups_unavailable = False

    # -- people -------------------------------------------------------------------------------

    async def member(self, user_id: str) -> Member | None:
        """The member with their roles; None if Slack does not know the user. An outage is
        `PlatformUnavailable`, never None."""
        cached = self._members.get(user_id)
        if cached is not None and self._fresh(cached.at, MEMBER_TTL):
            return await self._with_roles(cached.value)
        try:
            response = await self._client.users_info(user=user_id, include_locale=True)
        except SlackApiError as error:
            failure = translate(error, "look up a member")
            if isinstance(failure, NotFound):
                return None
            raise failure from None
        return await self.member_from(response["user"])

    def deactivated(self, user_id: str) -> bool:
        """Whether the account was deactivated (Slack's "left the workspace") when last
        looked up; their messages stay, so they are still a `member` for authorship."""
        return user_id in self._deactivated

    async def member_from(self, user: dict[str, Any]) -> Member:
        """Build (and remember) a member from a Slack user object, e.g. team_join's."""
        member = self._remember(user)
        return await self._with_roles(member)

    def name_of(self, user_id: str) -> str | None:
        return self._names.get(user_id)

    def user_named(self, name: str) -> str | None:
        wanted = name.removeprefix("@").casefold()
        for user_id, shown in self._names.items():
            if shown.casefold() == wanted:
                return user_id
        return None

    async def member_count(self) -> int:
        if self._count is not None and self._fresh(self._count.at, COUNT_TTL):
            return int(self._count.value)
        count = 0
        cursor = None
        while True:
            response = await call(
                "list members", self._client.users_list(limit=PAGE_SIZE, cursor=cursor)
            )
            for user in response.get("members", []):
                if not (user.get("deleted") or user.get("is_bot") or user["id"] == SLACKBOT):
                    count += 1
            cursor = response.get("response_metadata", {}).get("next_cursor")
            if not cursor:
                break
        self._count = _Cached(count, self._clock())
        return count

    def _remember(self, user: dict[str, Any]) -> Member:
        profile = user.get("profile") or {}
        name = user.get("name") or profile.get("display_name") or user["id"]
        display = profile.get("display_name") or profile.get("real_name") or user.get("real_name")
        member = Member(
            community=self.community,
            id=user["id"],
            name=name,
            display_name=display or name,
            locale=user.get("locale"),
            is_bot=bool(user.get("is_bot")) or user["id"] == SLACKBOT,
            is_platform_admin=bool(user.get("is_admin") or user.get("is_owner")),
            created_at=None,
            joined_at=None,
        )
        self._members[member.id] = _Cached(member, self._clock())
        if user.get("deleted"):
            self._deactivated.add(member.id)
        else:
            self._deactivated.discard(member.id)
        self._names[member.id] = member.shown_name
        return member

    async def _with_roles(self, member: Member) -> Member:
        groups = await self._user_groups()
        roles = tuple(
            Role(group["id"], group.get("name") or group.get("handle") or group["id"])
            for group in groups
            if member.id in group.get("users", ())
        )
        return replace(member, roles=roles)

    # -- user groups (roles) ------------------------------------------------------------------

    async def _user_groups(self) -> list[dict[str, Any]]:
        if self._groups is not None and self._fresh(self._groups.at, GROUPS_TTL):
            return list(self._groups.value)
        groups: list[dict[str, Any]] = []
        try:
            response = await self._client.usergroups_list(include_users=True)
            groups = list(response.get("usergroups", []))
        except SlackApiError as error:
            failure = translate(error, "list the user groups")
            if isinstance(failure, PlatformUnavailable):
                # Not remembered: an outage must not strip moderators of their roles.
                raise failure from None
            if not self._groups_unavailable:
                log.warning(
                    "Slack user groups are unavailable (%s): only workspace owners and "
                    "admins hold a role; see docs/slack.md",
                    code_of(error),
                )
                self._groups_unavailable = True
        self._groups = _Cached(groups, self._clock())
        return groups

    async def group_id(self, role: str) -> str | None:
        """A user group by id, name or handle."""
        wanted = role.removeprefix("@").casefold()
        for group in await self._user_groups():
            names = (group["id"], group.get("name", ""), group.get("handle", ""))
            if wanted in (n.casefold() for n in names):
                return str(group["id"])
        return None

    def forget_groups(self) -> None:
        self._groups = None

    # -- channels -----------------------------------------------------------------------------

    async def channel(self, channel_id: str, name: str = "") -> ChannelRef:
        """A channel reference with its name where the bot can see it."""
        if name:
            self._channels[channel_id] = name
        if channel_id not in self._channels and channel_id[:1] in ("C", "G"):
            await self.load_channels()
        return ChannelRef(self.community, channel_id, self._channels.get(channel_id, ""))

    async def find_channel(self, name_or_id: str) -> ChannelRef | None:
        wanted = name_or_id.strip().removeprefix("#")
        if not wanted:
            return None
        found = self.channel_named(wanted)
        if found is None and not self._fresh(self._channels_at, CHANNEL_RELOAD_THROTTLE):
            await self.load_channels()
            found = self.channel_named(wanted)
        return found

    def channel_named(self, name_or_id: str) -> ChannelRef | None:
        wanted = name_or_id.strip().removeprefix("#")
        if wanted in self._channels:
            return ChannelRef(self.community, wanted, self._channels[wanted])
        for channel_id, name in self._channels.items():
            if name.casefold() == wanted.casefold():
                return ChannelRef(self.community, channel_id, name)
        return None

    async def load_channels(self) -> None:
        """Page through the channels the bot can see (at start-up, and on a miss, throttled
        so that a misconfigured name costs one pass, not one per event)."""
        if self._fresh(self._channels_at, CHANNEL_RELOAD_THROTTLE):
            return
        cursor = None
        seen: dict[str, str] = {}
        while True:
            response = await call(
                "list channels",
                self._client.conversations_list(
                    types="public_channel,private_channel",
                    exclude_archived=True,
                    limit=PAGE_SIZE,
                    cursor=cursor,
                ),
            )
            for channel in response.get("channels", []):
                seen[channel["id"]] = channel.get("name", "")
            cursor = response.get("response_metadata", {}).get("next_cursor")
            if not cursor:
                break
        self._channels.update(seen)
        self._channels_at = self._clock()

    def _fresh(self, at: float | None, ttl: float) -> bool:
        return at is not None and self._clock() - at < ttl
