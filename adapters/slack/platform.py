"""The platform protocol on the Slack Web API: what cogs may ask of a Slack workspace.

Capabilities are what the granted scopes allow, read from auth.test at start-up, so a
scope left out at install time shows up as a missing capability (and `/help` stops
offering what cannot work) rather than as a failure in front of a member. Slack has no
ban and no timeout; deleting other people's messages needs a workspace admin's user token
(``SLACK_ADMIN_USER_TOKEN``); "kick" removes the member from every channel the bot shares
with them, since a bot can never remove someone from the workspace itself.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import emoji
from adapters.slack.directory import Directory
from adapters.slack.errors import ALREADY_DONE, call, code_of, translate
from adapters.slack.ids import (
    channel_in,
    parse_permalink,
    split_channel,
    thread_ref,
    user_id_in,
)
from adapters.slack.incoming_text import mentioned_user_ids, mentions_everyone, readable_text
from adapters.slack.inventory import community_facts
from adapters.slack.outsiders import outside_member
from adapters.slack.rate_limits import waiting_out_rate_limits
from adapters.slack.reactions import reactions_on
from adapters.slack.render import QUIET, SlackMessage, render_message
from bot.errors import MissingPermission, NotFound, PlatformUnavailable, Unsupported
from bot.inventory import CommunityFacts
from bot.model import (
    Attachment,
    ChannelRef,
    Community,
    Member,
    MessageRef,
    PostedMessage,
    UserRef,
)
from bot.outgoing import OutgoingMessage
from bot.platform import Capability, ReactionUsers

# Message metadata that carries an outbox key, so a post retried after a crash finds itself.
NONCE_EVENT = "botschafter_post"
# How many recent messages a recovering post looks through: a crash-restart takes seconds
# to minutes, and the channel rarely has more than this many newer messages by then.
RECOVERY_LOOKBACK = 100

log = logging.getLogger(__name__)

PLATFORM = "slack"

# Which bot scopes each capability needs; buttons and forms need only interactivity.
SCOPES_FOR: dict[Capability, frozenset[str]] = {
    Capability.EDIT: frozenset({"chat:write"}),
    Capability.DELETE_OWN: frozenset({"chat:write"}),
    Capability.REACT: frozenset({"reactions:write"}),
    Capability.THREADS: frozenset({"chat:write"}),
    Capability.DIRECT_MESSAGES: frozenset({"chat:write", "im:write"}),
    Capability.KICK: frozenset({"channels:manage", "channels:read"}),
    Capability.ROLES: frozenset({"usergroups:read", "usergroups:write"}),
    Capability.BUTTONS: frozenset(),
    Capability.FORMS: frozenset({"commands"}),
    Capability.MESSAGE_COMMANDS: frozenset({"commands"}),
}
# Never on Slack: no ban, no timeout, no removing other people's reactions, threads
# cannot be archived or locked, channels have no slow mode, invites cannot be paused.
NEVER = frozenset(
    {
        Capability.BAN,
        Capability.TIMEOUT,
        Capability.REMOVE_REACTIONS,
        Capability.ARCHIVE_THREADS,
        Capability.SLOW_MODE,
        Capability.PAUSE_INVITES,
    }
)
# How many channels `kick` pages through: users.conversations returns at most this many
# per call, and a member in more channels than the bot can see is rare.
KICK_PAGE = 200


@dataclass(frozen=True, slots=True)
class Identity:
    """Who the bot is, from auth.test."""

    community: Community
    team_name: str
    team_host: str | None
    bot_user_id: str
    bot_id: str
    scopes: frozenset[str] | None
    bot_name: str = "Botschafter"  # what members type after /invite @


def capabilities_for(scopes: frozenset[str] | None, *, admin_token: bool) -> frozenset[Capability]:
    """What the bot can do with these scopes; unknown scopes (None) means all it asks for."""
    granted = {
        capability
        for capability, needed in SCOPES_FOR.items()
        if scopes is None or needed <= scopes
    }
    if admin_token:
        granted.add(Capability.DELETE_OTHERS)
    return frozenset(granted)


class SlackPlatform:
    """Actions on one Slack workspace; `connect` must run before the first action."""

    name = PLATFORM

    def __init__(self, client: AsyncWebClient, admin_client: AsyncWebClient | None = None):
        self.client = client
        self.admin_client = admin_client
        self.capabilities: frozenset[Capability] = capabilities_for(
            None, admin_token=admin_client is not None
        )
        self._identity: Identity | None = None
        self._directory: Directory | None = None
        # What this workspace does not allow beyond the scopes, one line each (for
        # `slack check` and the start-up log).
        self.notes: list[str] = []
        # Public channels a start would join, found by `config check --platform` (which
        # joins nothing): its survey counts them as the bot's, as they will be.
        self.would_join: set[str] = set()

    async def connect(self) -> Identity:
        """Ask Slack who we are (auth.test), read the granted scopes, and learn the
        workspace: its user groups (a free plan has none) and channels now, its member
        count in the background. A rate limit meanwhile is waited out."""
        with waiting_out_rate_limits():
            identity = await self._who_we_are()
            await self._learn_workspace()
        self.directory.start_counting()
        return identity

    async def _who_we_are(self) -> Identity:
        response = await self.client.auth_test()
        scopes = granted_scopes(response)
        url = response.get("url") or ""
        identity = Identity(
            community=Community(PLATFORM, response["team_id"]),
            team_name=response.get("team") or response["team_id"],
            team_host=urlsplit(url).hostname if url else None,
            bot_user_id=response["user_id"],
            bot_id=response.get("bot_id") or "",
            scopes=scopes,
            bot_name=response.get("user") or "Botschafter",
        )
        self._identity = identity
        self._directory = Directory(self.client, identity.community, on_groups_off=self._groups_off)
        self.capabilities = capabilities_for(scopes, admin_token=self.admin_client is not None)
        return identity

    async def _learn_workspace(self) -> None:
        scopes = self.identity.scopes
        if scopes is None or "usergroups:read" in scopes:
            try:
                await self.directory.probe_groups()
            except PlatformUnavailable as error:
                log.warning("user groups not read at start-up, asking again later: %s", error)
        await self.directory.load_channels()

    def _groups_off(self, code: str) -> None:
        """No user groups for the bot (Slack's free plan has none): no role can be granted,
        and role checks count workspace owners and admins only."""
        self.capabilities = self.capabilities - {Capability.ROLES}
        why = "not on this workspace's plan" if code == "plan_upgrade_required" else code
        self.notes.append(
            f"User groups: {why} ({code}); only workspace owners and admins hold a role, "
            "and granting roles is off (see docs/capabilities.md)."
        )

    @property
    def identity(self) -> Identity:
        if self._identity is None:
            raise RuntimeError("the Slack adapter is not connected yet")
        return self._identity

    @property
    def directory(self) -> Directory:
        if self._directory is None:
            raise RuntimeError("the Slack adapter is not connected yet")
        return self._directory

    @property
    def community(self) -> Community:
        return self.identity.community

    # -- messages -----------------------------------------------------------------------------

    async def send(
        self,
        channel: ChannelRef,
        message: OutgoingMessage,
        *,
        allow_pings: bool = True,
        nonce: str | None = None,
        recovering: bool = False,
    ) -> MessageRef:
        base, thread_ts = split_channel(channel)
        if recovering and nonce is not None:
            already = await self._posted_with(base, thread_ts, nonce)
            if already is not None:
                return MessageRef(channel, already)
        rendered = self.render(message, allow_pings=allow_pings)
        metadata = (
            None if nonce is None else {"event_type": NONCE_EVENT, "event_payload": {"key": nonce}}
        )
        response = await call(
            f"post in {channel.name or base}",
            self.client.chat_postMessage(
                channel=base,
                thread_ts=thread_ts,
                metadata=metadata,
                **rendered.as_kwargs(),
                **QUIET,
            ),
        )
        return MessageRef(channel, str(response["ts"]))

    async def _posted_with(self, base: str, thread_ts: str | None, nonce: str) -> str | None:
        """The ts of a recent message the bot posted with this key, if a post cut off by a
        crash did reach Slack (Slack has no nonce; the key rides in the message metadata)."""
        if thread_ts is None:
            request = self.client.conversations_history(
                channel=base, limit=RECOVERY_LOOKBACK, include_all_metadata=True
            )
        else:
            request = self.client.conversations_replies(
                channel=base, ts=thread_ts, limit=RECOVERY_LOOKBACK, include_all_metadata=True
            )
        try:
            response = await call("look for a message cut off by a restart", request)
        except MissingPermission as refused:
            # Without the history scope (im:history for a direct message) the check
            # cannot be made: a post that may show twice beats one that is lost.
            log.warning("posting without checking for an earlier copy: %s", refused)
            return None
        for raw in response.get("messages", ()):
            metadata = raw.get("metadata") or {}
            if (
                metadata.get("event_type") == NONCE_EVENT
                and (metadata.get("event_payload") or {}).get("key") == nonce
            ):
                return str(raw["ts"])
        return None

    async def edit(self, message: MessageRef, new: OutgoingMessage) -> None:
        base, _ = split_channel(message.channel)
        rendered = self.render(new)
        await call(
            "edit a message",
            self.client.chat_update(
                channel=base,
                ts=message.id,
                text=rendered.text,
                blocks=rendered.blocks if rendered.blocks is not None else [],
            ),
        )

    async def delete(self, message: MessageRef) -> None:
        """Delete with the bot token; someone else's message needs the admin user token."""
        base, _ = split_channel(message.channel)
        try:
            await self.client.chat_delete(channel=base, ts=message.id)
            return
        except SlackApiError as error:
            if code_of(error) != "cant_delete_message":
                raise translate(error, "delete a message") from None
        if self.admin_client is None:
            raise Unsupported(PLATFORM, Capability.DELETE_OTHERS)
        try:
            await self.admin_client.chat_delete(channel=base, ts=message.id, as_user=True)
        except SlackApiError as error:
            if code_of(error) == "channel_not_found":
                # The bot sees the channel, so it exists: the admin user is not in it (a
                # private channel). Never "not found", which would count the message as
                # removed while everyone can still read it.
                raise MissingPermission(
                    "Slack refused to delete the message with the admin token: "
                    "channel_not_found (the admin user is not in that channel; add them)"
                ) from None
            raise translate(error, "delete a message with the admin token") from None

    def disable_admin_deletes(self, reason: str) -> None:
        """Stop using the admin user token (it cannot delete others' messages): deleting
        other people's messages is no capability any more, so cogs stop offering it."""
        log.warning("deleting other people's messages is off: %s", reason)
        self.admin_client = None
        self.capabilities = self.capabilities - {Capability.DELETE_OTHERS}

    async def add_reaction(self, message: MessageRef, emoji_text: str) -> None:
        base, _ = split_channel(message.channel)
        try:
            await self.client.reactions_add(
                channel=base, timestamp=message.id, name=emoji.to_slack(emoji_text)
            )
        except SlackApiError as error:
            if code_of(error) not in ALREADY_DONE:
                raise translate(error, "add a reaction") from None

    async def remove_reaction(self, message: MessageRef, emoji_text: str, user: UserRef) -> None:
        """Slack lets the bot remove only its own reactions."""
        if user.id != self.identity.bot_user_id:
            raise Unsupported(PLATFORM, Capability.REMOVE_REACTIONS)
        base, _ = split_channel(message.channel)
        try:
            await self.client.reactions_remove(
                channel=base, timestamp=message.id, name=emoji.to_slack(emoji_text)
            )
        except SlackApiError as error:
            if code_of(error) not in ALREADY_DONE:
                raise translate(error, "remove a reaction") from None

    async def open_thread(self, message: MessageRef, name: str) -> ChannelRef:
        """A Slack thread exists as soon as someone replies; nothing to create."""
        return thread_ref(message.channel, message.id, name)

    async def archive_thread(self, thread: ChannelRef, *, lock: bool) -> None:
        raise Unsupported(PLATFORM, Capability.ARCHIVE_THREADS)

    async def unarchive_thread(self, thread: ChannelRef) -> None:
        raise Unsupported(PLATFORM, Capability.ARCHIVE_THREADS)

    async def rename_thread(self, thread: ChannelRef, name: str) -> None:
        """A Slack thread is a message's replies and has no name: nothing to rename."""

    async def send_direct(
        self,
        user: UserRef,
        message: OutgoingMessage,
        *,
        nonce: str | None = None,
        recovering: bool = False,
    ) -> MessageRef:
        opened = await call("open a direct message", self.client.conversations_open(users=user.id))
        channel = ChannelRef(self.community, opened["channel"]["id"], "")
        return await self.send(channel, message, nonce=nonce, recovering=recovering)

    async def permalink(self, message: MessageRef) -> str:
        base, _ = split_channel(message.channel)
        response = await call(
            "link a message", self.client.chat_getPermalink(channel=base, message_ts=message.id)
        )
        return str(response["permalink"])

    async def fetch_message(self, message: MessageRef) -> PostedMessage | None:
        base, thread_ts = split_channel(message.channel)
        window = {"latest": message.id, "oldest": message.id, "inclusive": True, "limit": 1}
        try:
            if thread_ts and thread_ts != message.id:
                response = await self.client.conversations_replies(
                    channel=base, ts=thread_ts, **window
                )
            else:
                response = await self.client.conversations_history(channel=base, **window)
        except SlackApiError as error:
            failure = translate(error, "read a message")
            if isinstance(failure, NotFound):
                return None
            raise failure from None
        found = next((m for m in response.get("messages", []) if m.get("ts") == message.id), None)
        if found is None or found.get("subtype") == "tombstone":
            return None
        return await self.posted(message.channel, found)

    async def posted(self, channel: ChannelRef, raw: dict[str, Any]) -> PostedMessage:
        """A neutral message from a Slack message object."""
        text = raw.get("text") or ""
        directory = self.directory
        mentioned = mentioned_user_ids(text)
        for user_id in mentioned:
            if directory.name_of(user_id) is None:
                await directory.member(user_id)
        author = await self.author_of(raw)
        files = tuple(
            Attachment(
                f.get("name") or f.get("title") or "file",
                int(f.get("size") or 0),
                f.get("permalink") or "",
            )
            for f in raw.get("files", ())
        )
        return PostedMessage(
            ref=MessageRef(channel, str(raw["ts"])),
            author=author,
            text=readable_text(text, directory.name_of),
            attachments=files,
            mentioned_user_ids=mentioned,
            mentions_everyone=mentions_everyone(text),
            created_at=None,
            extra={"slack_text": text},
        )

    async def author_of(self, raw: dict[str, Any]) -> Member:
        """Who wrote `raw`. Only a ``bot_id`` or a ``bot_message`` makes an unknown author
        a bot: a user Slack cannot look up (``user_not_found``, e.g. a member of another
        organisation in a Slack Connect channel) is a person, moderated like any other."""
        user_id = raw.get("user")
        if user_id:
            member = await self.directory.member(user_id)
            if member is not None:
                return member
            if not raw.get("bot_id") and raw.get("subtype") != "bot_message":
                return outside_member(self.community, user_id, raw.get("user_profile") or {})
        bot_name = (raw.get("bot_profile") or {}).get("name") or raw.get("username") or "bot"
        return Member(
            self.community, user_id or raw.get("bot_id") or "unknown", bot_name, is_bot=True
        )

    def render(self, message: OutgoingMessage, *, allow_pings: bool = True) -> SlackMessage:
        name_of = self._directory.name_of if self._directory else None
        return render_message(message, allow_pings=allow_pings, name_of=name_of)

    # -- members ------------------------------------------------------------------------------

    async def timeout(
        self, user: UserRef, duration: timedelta, reason: str, *, recovering: bool = False
    ) -> None:
        raise Unsupported(PLATFORM, Capability.TIMEOUT)

    async def ban(self, user: UserRef, reason: str, *, recovering: bool = False) -> None:
        raise Unsupported(PLATFORM, Capability.BAN)

    async def lift_timeout(
        self, user: UserRef, reason: str, *, ending_in: timedelta | None = None
    ) -> bool:
        raise Unsupported(PLATFORM, Capability.TIMEOUT)

    async def unban(self, user: UserRef, reason: str) -> None:
        raise Unsupported(PLATFORM, Capability.BAN)

    # -- raid measures: Slack has neither ----------------------------------------------------
    # A Slack channel has no slow mode, and a workspace's invitations can only be restricted
    # by its admins in the admin pages (the admin.* API is Enterprise Grid only, and not for
    # bots). Reading says "none / not paused", the truth as far as the bot can act on it.

    async def slow_mode(self, channel: ChannelRef) -> int:
        return 0

    async def set_slow_mode(self, channel: ChannelRef, seconds: int, reason: str) -> None:
        raise Unsupported(PLATFORM, Capability.SLOW_MODE)

    async def invites_paused(self, community: Community) -> bool:
        return False

    async def pause_invites(self, community: Community, paused: bool, reason: str) -> None:
        raise Unsupported(PLATFORM, Capability.PAUSE_INVITES)

    async def kick(self, user: UserRef, reason: str, *, recovering: bool = False) -> None:
        """Remove the member from every channel the bot shares with them.

        Slack never lets a bot remove someone from the workspace, nor from its #general;
        the member can rejoin public channels. Fails with `MissingPermission` when the
        member could not be removed from a single channel, unless `recovering`: then the
        attempt a crash cut off had removed them everywhere already.
        """
        if Capability.KICK not in self.capabilities:
            raise Unsupported(PLATFORM, Capability.KICK)
        removed, refused = 0, []
        for channel_id in await self._shared_channels(user.id):
            try:
                await self.client.conversations_kick(channel=channel_id, user=user.id)
                removed += 1
            except SlackApiError as error:
                failure = translate(error, "remove the member from a channel")
                if isinstance(failure, PlatformUnavailable):
                    raise failure from None  # a retry lists only the channels left
                if code_of(error) != "not_in_channel":  # left meanwhile: nothing to do
                    refused.append(code_of(error))
        log.info("removed %s from %d channel(s) (%s)", user.id, removed, reason)
        if not removed and not (recovering and not refused):
            raise MissingPermission(
                f"Slack refused to remove the member: {refused[0]}"
                if refused
                else "the member is in no channel the bot can remove them from"
            )

    async def _shared_channels(self, user_id: str) -> list[str]:
        channels: list[str] = []
        cursor = None
        while True:
            response = await call(
                "list the member's channels",
                self.client.users_conversations(
                    user=user_id,
                    types="public_channel,private_channel",
                    exclude_archived=True,
                    limit=KICK_PAGE,
                    cursor=cursor,
                ),
            )
            channels.extend(
                c["id"] for c in response.get("channels", []) if not c.get("is_general")
            )
            cursor = response.get("response_metadata", {}).get("next_cursor")
            if not cursor:
                return channels

    async def grant_role(self, user: UserRef, role_id: str, reason: str) -> None:
        """Add the member to a user group (named by id, name or handle)."""
        if Capability.ROLES not in self.capabilities:
            raise Unsupported(PLATFORM, Capability.ROLES)
        group = await self.directory.group_id(role_id)
        if group is None:
            raise NotFound(f"there is no user group {role_id!r}")
        current = await call(
            "read a user group", self.client.usergroups_users_list(usergroup=group)
        )
        users = list(current.get("users", []))
        if user.id in users:
            return
        await call(
            "add a member to a user group",
            self.client.usergroups_users_update(usergroup=group, users=[*users, user.id]),
        )
        self.directory.forget_groups()

    async def reactions(self, message: MessageRef) -> list[ReactionUsers]:
        return await reactions_on(self.client, message, self.identity.bot_user_id)

    async def fetch_member(self, user: UserRef) -> Member | None:
        """None for someone who is gone (unknown, or their account deactivated); an outage
        raises `PlatformUnavailable` instead, so it is never mistaken for "gone"."""
        member = await self.directory.member(user.id)
        if member is None or self.directory.deactivated(user.id):
            return None
        return member

    async def member_count(self, community: Community) -> int:
        return await self.directory.member_count()

    async def community_name(self, community: Community) -> str:
        return self.identity.team_name

    async def inspect_communities(self) -> list[CommunityFacts]:
        """The one workspace: its channels, user groups and the bot's membership."""
        identity = self.identity
        facts = await community_facts(self.client, identity, self.would_join)
        return [facts]

    # -- lookups ------------------------------------------------------------------------------

    async def find_channel(self, community: Community, name_or_id: str) -> ChannelRef | None:
        if community != self.community:
            return None
        parsed = channel_in(name_or_id)
        if parsed is not None:
            return await self.directory.channel(*parsed)
        return await self.directory.find_channel(name_or_id)

    def parse_message_link(self, community: Community, link: str) -> MessageRef | None:
        if community != self.community:
            return None
        return parse_permalink(community, link, self.identity.team_host)

    def parse_user(self, community: Community, text: str) -> UserRef | None:
        if community != self.community:
            return None
        user_id = user_id_in(text) or self.directory.user_named(text.strip())
        return UserRef(community, user_id) if user_id else None

    def parse_channel(self, community: Community, text: str) -> ChannelRef | None:
        if community != self.community:
            return None
        parsed = channel_in(text)
        if parsed is not None:
            return ChannelRef(community, parsed[0], parsed[1])
        return self.directory.channel_named(text)


def granted_scopes(response: Any) -> frozenset[str] | None:
    """The scopes a token was granted, from an auth.test answer; None if Slack did not say."""
    scopes_header = _header(response.headers, "x-oauth-scopes")
    if scopes_header is None:
        return None
    return frozenset(s.strip() for s in scopes_header.split(",") if s.strip())


def _header(headers: Any, name: str) -> str | None:
    if not headers:
        return None
    for key, value in dict(headers).items():
        if key.lower() == name:
            if isinstance(value, Iterable) and not isinstance(value, str):
                return ",".join(value)
            return str(value)
    return None
