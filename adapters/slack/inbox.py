"""Slack payloads in, neutral events out: the adapter's side of the dispatcher.

Every method runs after Slack has been acknowledged (see `adapters.slack.listeners`), so it
may take its time: look members up, check the database, run the cogs. Events API
deliveries are claimed by ``event_id`` in the database first; a retry (Slack resends when
an ack is late, with ``X-Slack-Retry-Num``) or a replay after a reconnect finds the claim
and is dropped, so no retry ever opens a second ticket, flag or vote.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from adapters.slack.emoji import from_slack
from adapters.slack.ids import channel_for, channel_from_id, shortcut_callback_id
from adapters.slack.incoming_text import command_text, readable_text
from adapters.slack.outsiders import outside_member
from adapters.slack.responder import SlackResponder
from adapters.slack.shapes import (
    authored,
    edited,
    form_channel,
    joined_user,
    kind_of,
    reaction_target,
)
from adapters.slack.trigger import Trigger
from bot.events import (
    ButtonPressed,
    CommandInvoked,
    Event,
    FormSubmitted,
    MemberJoined,
    MessageCommandInvoked,
    MessageEdited,
    MessagePosted,
    ReactionAdded,
    ReactionRemoved,
)
from bot.model import ChannelRef, Member, MessageRef, PostedMessage
from storage.platform_events import PlatformEventRepository

if TYPE_CHECKING:
    from adapters.slack.platform import SlackPlatform
    from bot.host import Host

log = logging.getLogger(__name__)

# Slack retries a delivery three times within about an hour; a day of event ids is ample
# and still a small table.
EVENT_RETENTION = timedelta(days=1)
# team_join and member_joined_channel (the welcome channel) both mean "joined"; one
# welcome per member and month, however many of those arrive.
JOIN_RETENTION = timedelta(days=30)
# Expired claims are pruned at most this often, on the next delivery.
PRUNE_INTERVAL = timedelta(hours=1)


class Inbox:
    def __init__(self, platform: SlackPlatform, host: Host) -> None:
        self._platform = platform
        self._host = host
        self._claims = PlatformEventRepository(host.services.db)
        self._pruned_at: datetime | None = None

    # -- interactive payloads -----------------------------------------------------------------

    async def command(self, body: dict[str, Any]) -> None:
        line = f"{body['command'].lstrip('/')} {body.get('text') or ''}"
        async with self._trigger(body, self._host.declarations.command_opens_form(line)) as trigger:
            member = await self._member(body["user_id"], body.get("user_name", ""))
            channel = await self._channel(body.get("channel_id", ""), body.get("channel_name", ""))
            responder = self._responder(member, channel, body, trigger)
            path = body["command"].lstrip("/").casefold()
            text = command_text(body.get("text") or "")
            await self._dispatch(CommandInvoked(member, channel, path, text, responder))

    async def shortcut(self, body: dict[str, Any]) -> None:
        if body.get("type") != "message_action":
            return
        names = {shortcut_callback_id(n): n for n in self._host.declarations.message_commands}
        name = names.get(body["callback_id"], body["callback_id"])
        form = self._host.declarations.message_command_opens_form(name)
        async with self._trigger(body, form) as trigger:
            member = await self._member(body["user"]["id"], body["user"].get("name", ""))
            raw = body["message"]
            channel = await self._channel(body["channel"]["id"], body["channel"].get("name", ""))
            where = channel_for(
                channel.community, channel.id, channel.name, raw.get("thread_ts"), raw["ts"]
            )
            posted = await self._platform.posted(where, raw)
            responder = self._responder(member, channel, body, trigger)
            await self._dispatch(MessageCommandInvoked(member, name, posted, responder))

    async def action(self, body: dict[str, Any]) -> None:
        container = body.get("container") or {}
        if container.get("type") != "message" or not body.get("actions"):
            return
        action_id = body["actions"][0]["action_id"]
        form = self._host.declarations.button_opens_form(action_id)
        async with self._trigger(body, form) as trigger:
            member = await self._member(body["user"]["id"], body["user"].get("name", ""))
            channel = await self._channel(container["channel_id"])
            message_ts = container["message_ts"]
            thread_ts = container.get("thread_ts") or (body.get("message") or {}).get("thread_ts")
            where = channel_for(channel.community, channel.id, channel.name, thread_ts, message_ts)
            responder = self._responder(member, where, body, trigger)
            await self._dispatch(
                ButtonPressed(member, MessageRef(where, message_ts), action_id, responder)
            )

    async def view_submission(self, body: dict[str, Any]) -> None:
        view = body["view"]
        member = await self._member(body["user"]["id"], body["user"].get("name", ""))
        channel_id = form_channel(view.get("private_metadata") or "")
        if channel_id:
            channel = channel_from_id(self._platform.community, channel_id)
        else:
            channel = await self._direct_channel(member)
        values = {
            block_id: str(elements.get(block_id, {}).get("value") or "")
            for block_id, elements in view.get("state", {}).get("values", {}).items()
        }
        responder = SlackResponder(self._platform, member, channel)
        await self._dispatch(FormSubmitted(member, channel, view["callback_id"], values, responder))

    # -- Events API ---------------------------------------------------------------------------

    async def event(self, body: dict[str, Any]) -> None:
        """One Events API delivery, processed once however often Slack sends it."""
        event = body.get("event") or {}
        event_id = body.get("event_id")
        if event_id and not await self._claim(f"event:{event_id}", EVENT_RETENTION):
            log.info("ignoring a repeated Slack delivery of %s (%s)", event_id, event.get("type"))
            return
        match event.get("type"):
            case "message":
                await self._message(event)
            case "reaction_added" | "reaction_removed":
                await self._reaction(event)
            case "team_join":
                await self._joined(joined_user(event))
            case "member_joined_channel":
                await self._joined_channel(event)
            case "user_change":  # a deactivation, a reactivation, a new name: no news to cogs
                self._platform.directory.changed(joined_user(event))

    async def _message(self, event: dict[str, Any]) -> None:
        if event.get("subtype") == "message_changed":
            await self._edited(event)
            return
        message = authored(event)
        if message is None:
            log.debug(
                "ignoring a Slack %s event: not a member's message", kind_of({"event": event})
            )
            return
        if self._by_a_bot(message):
            return
        posted = await self._posted(message["channel"], message)
        if posted is not None:
            await self._dispatch(MessagePosted(posted))

    async def _edited(self, event: dict[str, Any]) -> None:
        new, old = edited(event)
        if self._by_a_bot(new) or new.get("text") == old.get("text"):
            return  # an unfurl, a pin or a bot's update: nothing a member rewrote
        posted = await self._posted(new["channel"], new)
        if posted is not None:
            before = readable_text(old.get("text") or "", self._platform.directory.name_of)
            await self._dispatch(MessageEdited(posted, before))

    async def _posted(self, channel_id: str, raw: dict[str, Any]) -> PostedMessage | None:
        channel = await self._channel(channel_id)
        where = channel_for(
            channel.community, channel.id, channel.name, raw.get("thread_ts"), raw["ts"]
        )
        posted = await self._platform.posted(where, raw)
        return None if posted.author.is_bot else posted

    async def _reaction(self, event: dict[str, Any]) -> None:
        target = reaction_target(event)
        if target is None:
            log.debug("ignoring a Slack %s: not on a message", event.get("type"))
            return
        user_id, channel_id, ts = target
        member = await self._member(user_id, "")
        if member.is_bot or member.id == self._platform.identity.bot_user_id:
            return
        channel = await self._channel(channel_id)
        message = MessageRef(channel, ts)
        emoji = from_slack(event["reaction"])
        if event["type"] == "reaction_added":
            await self._dispatch(ReactionAdded(message, member, emoji))
        else:
            await self._dispatch(ReactionRemoved(message, member, emoji))

    async def _joined(self, user: dict[str, Any]) -> None:
        member = await self._platform.directory.member_from(user)
        await self._welcome(member)

    async def _joined_channel(self, event: dict[str, Any]) -> None:
        """Joining the welcome channel counts as joining, for communities that live in a
        few channels of a larger workspace; other channel joins are not news."""
        platform = self._platform
        config = await self._host.services.config.get(platform.community)
        welcome = await platform.find_channel(platform.community, config.community.channels.welcome)
        if welcome is None or welcome.id != event.get("channel") or not event.get("user"):
            return
        member = await platform.directory.member(event["user"])
        if member is not None:
            await self._welcome(member)

    async def _welcome(self, member: Member) -> None:
        if member.is_bot or member.id == self._platform.identity.bot_user_id:
            return
        if not await self._claim(f"join:{member.id}", JOIN_RETENTION):
            return
        now = self._host.services.clock.now()
        await self._dispatch(MemberJoined(replace(member, joined_at=now), now))

    # -- helpers ------------------------------------------------------------------------------

    async def _claim(self, key: str, keep_for: timedelta) -> bool:
        now = self._host.services.clock.now()
        community = self._platform.community.key
        if self._pruned_at is None or now - self._pruned_at >= PRUNE_INTERVAL:
            self._pruned_at = now
            await self._claims.prune(now)
        return await self._claims.claim(community, key, now, keep_for)

    def _by_a_bot(self, raw: dict[str, Any]) -> bool:
        identity = self._platform.identity
        return (
            bool(raw.get("bot_id"))
            or raw.get("subtype") == "bot_message"
            or raw.get("user") == identity.bot_user_id
        )

    async def _member(self, user_id: str, name: str) -> Member:
        member = await self._platform.directory.member(user_id)
        return member or outside_member(self._platform.community, user_id, {"name": name})

    async def _channel(self, channel_id: str, name: str = "") -> ChannelRef:
        shown = "" if name in ("directmessage", "privategroup") else name
        return await self._platform.directory.channel(channel_id, shown)

    async def _direct_channel(self, member: Member) -> ChannelRef:
        opened = await self._platform.client.conversations_open(users=member.id)
        return ChannelRef(self._platform.community, opened["channel"]["id"])

    @asynccontextmanager
    async def _trigger(
        self, body: dict[str, Any], may_open_form: bool
    ) -> AsyncIterator[Trigger | None]:
        """The interaction's trigger: its three seconds started when Slack sent the payload,
        before any lookup or database work of ours. Where the handler may open a form
        (declared `opens_form`) it is watched, and a slow handler spends it on a "one
        moment" modal that the form replaces; any other interaction is answered the usual
        way, with no modal the member did not ask for."""
        trigger_id = body.get("trigger_id")
        if not trigger_id:
            yield None
            return
        trigger = Trigger(self._platform.client, str(trigger_id))
        if may_open_form:
            trigger.watch()
        try:
            yield trigger
        finally:
            await trigger.close()

    def _responder(
        self, member: Member, channel: ChannelRef, body: dict[str, Any], trigger: Trigger | None
    ) -> SlackResponder:
        if trigger is not None:
            trigger.locale = member.locale
        return SlackResponder(self._platform, member, channel, body.get("response_url"), trigger)

    async def _dispatch(self, event: Event) -> None:
        await self._host.deliver(event)
