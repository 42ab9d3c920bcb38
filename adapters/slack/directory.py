"""What the bot knows about a workspace's people, channels and user groups.

Every event needs the acting member with their roles, and Slack sends only an id. Asking
Slack each time would cost two calls per reaction, so answers are cached briefly: long
enough to absorb a busy channel, short enough that a member added to the moderators'
user group can act within minutes.

Roles on Slack are user groups (``@moderators``): the community TOML names them by name,
handle or id like Discord roles. Workspace owners and admins count as platform admins.
User groups need a paid plan; on a free workspace (``plan_upgrade_required``) only owners
and admins hold a role, and the platform is told once (`on_groups_off`). A refresh that
fails (a rate limit, an outage) keeps the last good answer: a busy minute must not strip
moderators of their roles.

Nothing here pages through a whole list while an event waits: the member count is kept
as a running count, seeded once by one pass over users.list started at connect and kept
by every user object the adapter sees (team_join, lookups); a channel id the bot has not
seen is one conversations.info call, not a pass over every channel.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.errors import call, code_of, translate
from adapters.slack.rate_limits import waiting_out_rate_limits
from bot.errors import NotFound, PlatformError, PlatformUnavailable
from bot.model import ChannelRef, Community, Member, Role

log = logging.getLogger(__name__)

# A role change (added to @moderators) takes effect within this many seconds.
MEMBER_TTL = 300.0
GROUPS_TTL = 300.0
# After a failed user-group refresh the last good answer is used this long (seconds)
# before the next attempt, so an outage costs one call per half minute, not one per event.
GROUPS_RETRY = 30.0
# Answers of usergroups.list that mean "this workspace has no user groups for the bot":
# a free plan, or a token without the scope. Roles are then owners and admins only.
GROUPS_OFF = frozenset(
    {"plan_upgrade_required", "paid_teams_only", "missing_scope", "not_allowed_token_type"}
)
# An unknown channel name triggers one fresh channel listing, at most this often (seconds),
# so a misconfigured name cannot turn every event into a conversations.list pass (tier 2).
CHANNEL_RELOAD_THROTTLE = 30.0
# A welcome waits at most this long (seconds) for the first count of a large workspace;
# handlers have 30 s.
COUNT_WAIT = 15.0
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
        on_groups_off: Callable[[str], None] | None = None,
    ) -> None:
        self._client = client
        self.community = community
        self._clock = clock
        self._on_groups_off = on_groups_off
        self._members: dict[str, _Cached] = {}
        self._deactivated: set[str] = set()
        self._names: dict[str, str] = {}
        self._channels: dict[str, str] = {}
        self._channels_at: float | None = None
        self._groups: _Cached | None = None
        self._groups_good: list[dict[str, Any]] | None = None
        self.groups_off: str | None = None
        # The workspace's people (for the count): None until the first pass has finished;
        # while it runs, users seen meanwhile are noted in `_seen_while_counting`.
        self._people: set[str] | None = None
        self._seen_while_counting: dict[str, bool] = {}
        self._counting: asyncio.Task[None] | None = None

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

    def changed(self, user: dict[str, Any]) -> None:
        """A user_change: keep the running count (a deactivated account, or one turned into
        a bot, leaves it; a reactivated one comes back) and the member's names and admin
        status, without waiting for the next lookup."""
        self._remember(user)

    def name_of(self, user_id: str) -> str | None:
        return self._names.get(user_id)

    def user_named(self, name: str) -> str | None:
        wanted = name.removeprefix("@").casefold()
        for user_id, shown in self._names.items():
            if shown.casefold() == wanted:
                return user_id
        return None

    async def member_count(self) -> int:
        """The running count of the workspace's people (no bots, no deactivated accounts,
        no guests from other organisations). Before the first count has finished this
        waits for it, at most `COUNT_WAIT` seconds, then is `PlatformUnavailable`."""
        if self._people is None:
            counting = self.start_counting()
            try:
                await asyncio.wait_for(asyncio.shield(counting), COUNT_WAIT)
            except TimeoutError:
                raise PlatformUnavailable("still counting the workspace's members") from None
            assert self._people is not None
        return len(self._people)

    def start_counting(self) -> asyncio.Task[None]:
        """Start the one pass over users.list that seeds the count (again, if the last
        attempt failed); from then on join and leave events keep it."""
        if self._counting is None or (self._counting.done() and self._people is None):
            self._counting = asyncio.ensure_future(self._count_people())
            self._counting.add_done_callback(_log_failure)
        return self._counting

    async def _count_people(self) -> None:
        self._seen_while_counting = {}
        found: set[str] = set()
        cursor = None
        with waiting_out_rate_limits():
            while True:
                response = await call(
                    "list members", self._client.users_list(limit=PAGE_SIZE, cursor=cursor)
                )
                for user in response.get("members", []):
                    self._note(user)
                    if self._counts(user):
                        found.add(user["id"])
                cursor = response.get("response_metadata", {}).get("next_cursor")
                if not cursor:
                    break
        for user_id, counts in self._seen_while_counting.items():
            if counts:
                found.add(user_id)
            else:
                found.discard(user_id)
        self._people = found

    def _counts(self, user: dict[str, Any]) -> bool:
        """Whether a Slack user is one of the workspace's people, for the count."""
        team = user.get("team_id")
        return not (
            user.get("deleted")
            or user.get("is_bot")
            or user["id"] == SLACKBOT
            or (team is not None and team != self.community.id)
        )

    def _remember(self, user: dict[str, Any]) -> Member:
        name, display = _names(user)
        member = Member(
            community=self.community,
            id=user["id"],
            name=name,
            display_name=display,
            locale=user.get("locale"),
            is_bot=bool(user.get("is_bot")) or user["id"] == SLACKBOT,
            is_platform_admin=bool(user.get("is_admin") or user.get("is_owner")),
            created_at=None,
            joined_at=None,
        )
        self._members[member.id] = _Cached(member, self._clock())
        counts = self._counts(user)
        if self._people is not None:
            (self._people.add if counts else self._people.discard)(member.id)
        elif self._counting is not None:
            self._seen_while_counting[member.id] = counts
        self._note(user)
        return member

    def _note(self, user: dict[str, Any]) -> None:
        """Remember a user's name and whether the account is deactivated (everyone in the
        workspace, from the first count; members' details and roles are looked up when an
        event needs them)."""
        if user.get("deleted"):
            self._deactivated.add(user["id"])
        else:
            self._deactivated.discard(user["id"])
        self._names[user["id"]] = _names(user)[1]

    async def _with_roles(self, member: Member) -> Member:
        groups = await self._user_groups()
        roles = tuple(
            Role(group["id"], group.get("name") or group.get("handle") or group["id"])
            for group in groups
            if member.id in group.get("users", ())
        )
        return replace(member, roles=roles)

    # -- user groups (roles) ------------------------------------------------------------------

    async def probe_groups(self) -> None:
        """Ask once (at connect) whether the workspace has user groups for the bot, so a
        free plan shows up at start-up; the groups themselves are read when first needed."""
        try:
            await self._client.usergroups_list(include_users=False)
        except SlackApiError as error:
            if code_of(error) in GROUPS_OFF:
                self._switch_groups_off(code_of(error))
            else:
                raise translate(error, "list the user groups") from None

    async def _user_groups(self) -> list[dict[str, Any]]:
        if self.groups_off is not None:
            return []
        if self._groups is not None and self._fresh(self._groups.at, GROUPS_TTL):
            return list(self._groups.value)
        try:
            response = await self._client.usergroups_list(include_users=True)
        except SlackApiError as error:
            return self._groups_failed(error)
        groups = list(response.get("usergroups", []))
        self._groups = _Cached(groups, self._clock())
        self._groups_good = groups
        return list(groups)

    def _groups_failed(self, error: SlackApiError) -> list[dict[str, Any]]:
        """The last good answer after a failed refresh; none if the workspace has no user
        groups for the bot; an outage before any good answer is raised, never "no roles"."""
        code = code_of(error)
        if code in GROUPS_OFF:
            self._switch_groups_off(code)
            return []
        failure = translate(error, "list the user groups")
        if self._groups_good is None:
            raise failure from None
        log.warning("keeping the last known Slack user groups: %s", failure)
        retry_at = self._clock() - GROUPS_TTL + GROUPS_RETRY
        self._groups = _Cached(self._groups_good, retry_at)
        return list(self._groups_good)

    def _switch_groups_off(self, code: str) -> None:
        self.groups_off = code
        self._groups = self._groups_good = None
        log.warning(
            "Slack user groups are unavailable (%s): only workspace owners and admins hold "
            "a role; see docs/capabilities.md",
            code,
        )
        if self._on_groups_off is not None:
            self._on_groups_off(code)

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
        """A channel reference with its name where the bot can see it (one
        conversations.info call for a channel not seen before; "" if Slack will not say)."""
        if name:
            self._channels[channel_id] = name
        if channel_id not in self._channels and channel_id[:1] in ("C", "G"):
            self._channels[channel_id] = await self._channel_name(channel_id)
        return ChannelRef(self.community, channel_id, self._channels.get(channel_id, ""))

    async def _channel_name(self, channel_id: str) -> str:
        try:
            response = await call(
                "look up a channel", self._client.conversations_info(channel=channel_id)
            )
        except PlatformUnavailable:
            raise
        except PlatformError as refused:  # not visible to the bot: a reference without a name
            log.info("channel %s has no name for the bot: %s", channel_id, refused)
            return ""
        return str((response.get("channel") or {}).get("name") or "")

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


def _names(user: dict[str, Any]) -> tuple[str, str]:
    """A Slack user's handle and the name members see."""
    profile = user.get("profile") or {}
    name = user.get("name") or profile.get("display_name") or user["id"]
    display = profile.get("display_name") or profile.get("real_name") or user.get("real_name")
    return name, display or name


def _log_failure(task: asyncio.Task[None]) -> None:
    """A failed count is tried again by the next welcome that needs it; say why once."""
    if not task.cancelled() and task.exception() is not None:
        log.warning("could not count the Slack workspace's members: %s", task.exception())
