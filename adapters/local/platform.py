"""The platform protocol on a local community: every capability, every action recorded."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from adapters.local.community import LocalChannel, LocalCommunity, LocalMessage
from adapters.local.identity import BOT_ID
from adapters.local.render import render_message
from bot.errors import DirectMessagesClosed, NotFound
from bot.inventory import ChannelFacts, CommunityFacts, RoleFacts, Use
from bot.model import ChannelRef, Community, Member, MessageRef, PostedMessage, UserRef
from bot.outgoing import OutgoingMessage
from bot.platform import Capability, ReactionUsers

# At most 12 digits: a longer number is no message here, and `int` refuses very long ones.
# A timeout found in place after a crash counts as the one retried if it ends within this of
# the intended end (the retry computes the remaining time a moment later).
SAME_END = timedelta(minutes=1)
_LINK = re.compile(r"^(?:local:/(?P<channel>[\w-]+)/|#)?(?P<number>\d{1,12})$")


class LocalPlatform:
    name = "local"
    capabilities = frozenset(Capability)

    def __init__(self, community: LocalCommunity) -> None:
        self.community = community

    async def send(
        self,
        channel: ChannelRef,
        message: OutgoingMessage,
        *,
        allow_pings: bool = True,
        nonce: str | None = None,
        recovering: bool = False,
    ) -> MessageRef:
        target = self._channel(channel)
        if (sent := self._sent_with(nonce)) is not None:
            return sent
        text, pinged = render_message(message, self._names())
        recorded = self.community.record(
            target.id, BOT_ID, text, buttons=message.buttons, pinged=pinged if allow_pings else ()
        )
        recorded.nonce = nonce
        self.community.log(f"[#{target.name}] {recorded.number} Botschafter: {text}")
        return self.community.message_ref(recorded)

    async def edit(self, message: MessageRef, new: OutgoingMessage) -> None:
        recorded = self._message(message)
        recorded.text, recorded.pinged = render_message(new, self._names())
        recorded.buttons, recorded.edited = new.buttons, True
        self.community.log(f"(edited {recorded.number}) Botschafter: {recorded.text}")

    async def delete(self, message: MessageRef) -> None:
        recorded = self._message(message)
        recorded.deleted = True
        self.community.log(f"(deleted {recorded.number})")

    async def add_reaction(self, message: MessageRef, emoji: str) -> None:
        recorded = self._message(message)
        users = recorded.reactions.setdefault(emoji, [])
        if BOT_ID not in users:
            users.append(BOT_ID)

    async def remove_reaction(self, message: MessageRef, emoji: str, user: UserRef) -> None:
        recorded = self._message(message)
        users = recorded.reactions.get(emoji, [])
        if user.id in users:
            users.remove(user.id)
            self.community.log(f"(removed {emoji} by {user.id} from {recorded.number})")

    async def open_thread(self, message: MessageRef, name: str) -> ChannelRef:
        recorded = self._message(message)
        if recorded.thread_id is not None:  # one thread per message, as on Discord
            return self.community.ref(self.community.channels[recorded.thread_id])
        thread = self.community.add_channel(name, parent_id=recorded.channel_id)
        recorded.thread_id = thread.id
        self.community.log(f"(thread “{name}” opened on {recorded.number})")
        return self.community.ref(thread)

    async def archive_thread(self, thread: ChannelRef, *, lock: bool) -> None:
        channel = self._channel(thread)
        channel.archived, channel.locked = True, lock
        self.community.log(f"(thread “{channel.name}” archived{' and locked' if lock else ''})")

    async def unarchive_thread(self, thread: ChannelRef) -> None:
        channel = self._channel(thread)
        channel.archived, channel.locked = False, False
        self.community.log(f"(thread “{channel.name}” unarchived and unlocked)")

    async def rename_thread(self, thread: ChannelRef, name: str) -> None:
        channel = self._channel(thread)
        if channel.name != name:
            self.community.log(f"(thread “{channel.name}” renamed “{name}”)")
            channel.name = name

    async def send_direct(
        self,
        user: UserRef,
        message: OutgoingMessage,
        *,
        nonce: str | None = None,
        recovering: bool = False,
    ) -> MessageRef:
        if user.id in self.community.dms_closed or user.id not in self.community.members:
            raise DirectMessagesClosed(user.id)
        if (sent := self._sent_with(nonce)) is not None:
            return sent
        channel_id = f"dm-{user.id}"
        if channel_id not in self.community.channels:
            channel = self.community.add_channel(channel_id)
            channel.dm_of = user.id
        text, pinged = render_message(message, self._names())
        recorded = self.community.record(channel_id, BOT_ID, text, buttons=message.buttons)
        recorded.pinged, recorded.nonce = pinged, nonce
        self.community.log(f"[DM to {user.id}] {recorded.number} Botschafter: {text}")
        return self.community.message_ref(recorded)

    async def timeout(
        self, user: UserRef, duration: timedelta, reason: str, *, recovering: bool = False
    ) -> None:
        self._require_member(user)  # as on Discord: someone who left cannot be timed out
        until = self.community.now() + duration
        current = self.community.timeouts.get(user.id)
        if recovering and current and datetime.fromisoformat(current) >= until - SAME_END:
            return
        self.community.timeouts[user.id] = until.isoformat()
        self.community.log(f"(timed out {user.id} until {until:%Y-%m-%d %H:%M}: {reason})")

    async def kick(self, user: UserRef, reason: str, *, recovering: bool = False) -> None:
        self._require_member(user)
        del self.community.members[user.id]
        self.community.log(f"(kicked {user.id}: {reason})")

    async def ban(self, user: UserRef, reason: str, *, recovering: bool = False) -> None:
        if recovering and user.id in self.community.banned:
            return
        self.community.members.pop(user.id, None)
        self.community.banned.add(user.id)
        self.community.log(f"(banned {user.id}: {reason})")

    async def lift_timeout(
        self, user: UserRef, reason: str, *, ending_in: timedelta | None = None
    ) -> bool:
        self._require_member(user)
        current = self.community.timeouts.get(user.id)
        if current is None:
            return True
        now = self.community.now()
        ends = datetime.fromisoformat(current)
        if ends > now and ending_in is not None and abs(ends - (now + ending_in)) > SAME_END:
            return False  # as on Discord: a timeout set since is not the caller's to lift
        del self.community.timeouts[user.id]
        self.community.log(f"(timeout of {user.id} lifted: {reason})")
        return True

    async def unban(self, user: UserRef, reason: str) -> None:
        if user.id in self.community.banned:
            self.community.banned.discard(user.id)
            self.community.log(f"(unbanned {user.id}: {reason})")

    async def grant_role(self, user: UserRef, role_id: str, reason: str) -> None:
        self._require_member(user)
        role = next((r for r in self.community.roles.values() if role_id in (r.id, r.name)), None)
        if role is None:
            role = self.community.role(role_id)
        self.community.grant(user.id, role)
        self.community.log(f"(gave {user.id} the role {role.name})")

    async def slow_mode(self, channel: ChannelRef) -> int:
        return self._channel(channel).slow_mode

    async def set_slow_mode(self, channel: ChannelRef, seconds: int, reason: str) -> None:
        target = self._channel(channel)
        if target.slow_mode != seconds:
            target.slow_mode = seconds
            self.community.log(f"(slow mode in #{target.name}: {seconds}s: {reason})")

    async def invites_paused(self, community: Community) -> bool:
        return self.community.invites_paused

    async def pause_invites(self, community: Community, paused: bool, reason: str) -> None:
        if self.community.invites_paused != paused:
            self.community.invites_paused = paused
            state = "paused" if paused else "resumed"
            self.community.log(f"(invites {state}: {reason})")

    async def permalink(self, message: MessageRef) -> str:
        return f"local:/{message.channel.id}/{message.id}"

    async def fetch_message(self, message: MessageRef) -> PostedMessage | None:
        try:
            return self.community.posted(self._message(message))
        except NotFound:
            return None

    async def reactions(self, message: MessageRef) -> list[ReactionUsers]:
        recorded = self._message(message)
        found = []
        for emoji, user_ids in recorded.reactions.items():
            users = tuple(UserRef(message.community, u) for u in user_ids if u != BOT_ID)
            if users:
                found.append(ReactionUsers(emoji, users))
        return found

    async def fetch_member(self, user: UserRef) -> Member | None:
        return self.community.members.get(user.id)

    async def find_channel(self, community: Community, name_or_id: str) -> ChannelRef | None:
        try:
            return self.community.ref(self.community.channel_named(name_or_id))
        except LookupError:
            return None

    async def member_count(self, community: Community) -> int:
        return sum(1 for m in self.community.members.values() if not m.is_bot)

    async def community_name(self, community: Community) -> str:
        return self.community.name

    async def inspect_communities(self) -> list[CommunityFacts]:
        """The one local community: the bot may do everything in every channel."""
        local = self.community
        channels = tuple(
            ChannelFacts(c.id, c.name, frozenset(Use))
            for c in local.channels.values()
            if c.parent_id is None and c.dm_of is None
        )
        roles = tuple(RoleFacts(r.id, r.name, grantable=True) for r in local.roles.values())
        return [CommunityFacts(local.community, local.name, channels, roles)]

    def parse_message_link(self, community: Community, link: str) -> MessageRef | None:
        match = _LINK.match(link.strip())
        if match is None or community != self.community.community:
            return None
        number = int(match["number"])
        if not 1 <= number <= len(self.community.messages):
            return None
        return self.community.message_ref(self.community.message(number))

    def parse_user(self, community: Community, text: str) -> UserRef | None:
        name = text.strip().removeprefix("<@").removesuffix(">").removeprefix("@").casefold()
        if community != self.community.community or name not in self.community.members:
            return None
        return UserRef(community, name)

    def parse_channel(self, community: Community, text: str) -> ChannelRef | None:
        try:
            return self.community.ref(self.community.channel_named(text.strip()))
        except LookupError:
            return None

    def _sent_with(self, nonce: str | None) -> MessageRef | None:
        """The message already sent with this nonce, so a retried send posts nothing."""
        if nonce is None:
            return None
        for recorded in reversed(self.community.messages):
            if recorded.nonce == nonce:
                return self.community.message_ref(recorded)
        return None

    def _names(self) -> dict[str, str]:
        return {m.id: m.shown_name for m in self.community.members.values()}

    def _channel(self, channel: ChannelRef) -> LocalChannel:
        found = self.community.channels.get(channel.id)
        if found is None:
            raise NotFound(f"channel {channel.id}")
        return found

    def _message(self, message: MessageRef) -> LocalMessage:
        try:
            recorded = self.community.message(int(message.id))
        except (LookupError, ValueError):
            raise NotFound(f"message {message.id}") from None
        if recorded.deleted:
            raise NotFound(f"message {message.id} was deleted")
        return recorded

    def _require_member(self, user: UserRef) -> None:
        if user.id not in self.community.members:
            raise NotFound(f"member {user.id}")
