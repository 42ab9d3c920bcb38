"""State of a local community and the API a test, the terminal or a script drives it with.

Everything the bot does is recorded: messages (numbered across the community so a person
can say "react to 7"), edits, deletions, reactions, threads, direct messages, private
replies, forms and moderation actions. `transcript` holds one readable line per happening.
"""

from __future__ import annotations

import json
import os
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from adapters.local.identity import BOT_ID, BOT_NAME
from adapters.local.responder import LocalResponder
from bot.events import (
    ButtonPressed,
    CommandInvoked,
    Connected,
    Event,
    FormSubmitted,
    MemberJoined,
    MessageCommandInvoked,
    MessageEdited,
    MessagePosted,
    ReactionAdded,
    ReactionRemoved,
)
from bot.model import Attachment, ChannelRef, Community, Member, MessageRef, PostedMessage, Role
from bot.outgoing import Button, ButtonStyle, Form, FormField

DEFAULT_CHANNELS = (
    "welcome",
    "rules",
    "general",
    "moderators",
    "ambassadors",
    "tickets",
    "company",
)


@dataclass
class LocalChannel:
    id: str
    name: str
    parent_id: str | None = None
    archived: bool = False
    locked: bool = False
    dm_of: str | None = None
    # Seconds a member waits between two posts here (0: none); admins are exempt, as on
    # Discord those who may manage the channel are.
    slow_mode: int = 0


@dataclass
class LocalMessage:
    number: int
    channel_id: str
    author_id: str
    text: str
    buttons: tuple[Button, ...] = ()
    reactions: dict[str, list[str]] = field(default_factory=dict)
    private_to: str | None = None
    deleted: bool = False
    edited: bool = False
    thread_id: str | None = None
    attachments: tuple[str, ...] = ()
    pinged: tuple[str, ...] = ()
    # The idempotency key the bot sent it with: a retried send finds it instead of posting
    # again, as Discord's enforce_nonce and Slack's message metadata allow.
    nonce: str | None = None

    @property
    def by_bot(self) -> bool:
        return self.author_id == BOT_ID


Dispatch = Callable[[Event], Awaitable[None]]


class LocalCommunity:
    """One local community; `dispatch` is connected by the app (or a test) after creation."""

    def __init__(self, name: str = "Botschafter Demo", community_id: str = "demo") -> None:
        self.community = Community("local", community_id)
        self.name = name
        self.members: dict[str, Member] = {}
        self.channels: dict[str, LocalChannel] = {}
        self.messages: list[LocalMessage] = []
        self.dms_closed: set[str] = set()
        self.banned: set[str] = set()
        self.timeouts: dict[str, str] = {}
        # Discord's "pause invites": nobody joins while it is on (`join` refuses).
        self.invites_paused = False
        # When each member last posted in each channel, for slow mode (not saved: a
        # restart forgets it, which only ever lets a member post sooner).
        self.last_posts: dict[tuple[str, str], datetime] = {}
        self.roles: dict[str, Role] = {}
        self.transcript: list[str] = []
        self.open_forms: dict[str, Form] = {}
        self.dispatch: Dispatch | None = None
        # While False the bot hears nothing (as during an outage); members still act.
        self.connected = True
        # When the last run saved; a scripted run resumes its virtual clock from here.
        self.saved_at: datetime | None = None
        self.now: Callable[[], datetime] = lambda: datetime.now(UTC)
        for channel in DEFAULT_CHANNELS:
            self.add_channel(channel)

    # -- set-up -----------------------------------------------------------------------------

    def add_channel(self, name: str, parent_id: str | None = None) -> LocalChannel:
        channel_id = name if parent_id is None else f"thread-{len(self.channels) + 1}"
        channel = LocalChannel(channel_id, name, parent_id)
        self.channels[channel_id] = channel
        return channel

    def role(self, name: str) -> Role:
        return self.roles.setdefault(name.casefold(), Role(f"role-{name.casefold()}", name))

    def add_member(
        self,
        name: str,
        *,
        roles: tuple[str, ...] = (),
        locale: str | None = None,
        is_bot: bool = False,
        is_admin: bool = False,
        account_age: timedelta = timedelta(days=365),
    ) -> Member:
        """Register a member without announcing a join (for people already present)."""
        now = self.now()
        member = Member(
            community=self.community,
            id=name.casefold(),
            name=name,
            display_name=name,
            roles=tuple(self.role(r) for r in roles),
            locale=locale,
            is_bot=is_bot,
            is_platform_admin=is_admin,
            created_at=now - account_age,
            joined_at=now,
        )
        self.members[member.id] = member
        return member

    def member(self, name: str) -> Member:
        try:
            return self.members[name.casefold()]
        except KeyError:
            raise LookupError(f"no member named {name!r}") from None

    def channel_named(self, name: str) -> LocalChannel:
        for wanted in (name.casefold(), name.removeprefix("#").casefold()):
            for channel in self.channels.values():
                if channel.name.casefold() == wanted or channel.id == wanted:
                    return channel
        raise LookupError(f"no channel named #{name.removeprefix('#')}")

    def ref(self, channel: LocalChannel) -> ChannelRef:
        return ChannelRef(self.community, channel.id, channel.name, channel.parent_id)

    # -- the bot's connection ----------------------------------------------------------------

    def disconnect(self) -> None:
        """Simulate an outage: what members do from now on reaches the bot no more."""
        self.connected = False
        self.log("(Botschafter lost its connection)")

    async def connect(self) -> None:
        """(Re)connect the bot: it hears members again and catches up on what it missed."""
        if not self.connected:
            self.log("(Botschafter is connected again)")
        self.connected = True
        await self._dispatch(Connected(self.community))

    # -- what members do ------------------------------------------------------------------------

    async def join(self, name: str, **details: Any) -> Member:
        if self.invites_paused:
            raise PermissionError(f"invites to {self.name} are paused; {name} cannot join")
        member = self.add_member(name, **details)
        self.log(f"* {member.name} joined")
        await self._dispatch(MemberJoined(member, self.now()))
        return member

    async def leave(self, member: Member) -> None:
        """The member leaves the community; their messages stay, as on the platforms."""
        if self.members.pop(member.id, None) is None:
            raise LookupError(f"{member.name} is not a member")
        self.open_forms.pop(member.id, None)
        self.log(f"* {member.name} left")

    async def post(
        self, member: Member, channel: str, text: str, attachments: tuple[str, ...] = ()
    ) -> LocalMessage:
        target = self.channel_named(channel)
        self._may_speak(member)
        self._slow_mode_allows(member, target)
        if target.locked and not member.is_platform_admin:
            raise PermissionError(
                f"the thread “{target.name}” is locked; only admins can post in it"
            )
        if target.archived:  # as on Discord: a post in an archived thread reopens it
            target.archived = False
            self.log(f"(thread “{target.name}” unarchived by {member.name}'s post)")
        message = self.record(target.id, member.id, text, attachments=attachments)
        self.log(f"[#{target.name}] {message.number} {member.name}: {text}")
        await self._dispatch(MessagePosted(self.posted(message)))
        return message

    async def edit(self, member: Member, number: int, text: str) -> LocalMessage:
        message = self.message(number)
        if message.author_id != member.id:
            raise PermissionError(f"{member.name} did not write message {number}")
        self._may_speak(member)
        before, message.text, message.edited = message.text, text, True
        self.log(
            f"[#{self.channels[message.channel_id].name}] {number} edited by {member.name}: {text}"
        )
        await self._dispatch(MessageEdited(self.posted(message), before))
        return message

    async def react(self, member: Member, number: int, emoji: str) -> None:
        message = self._live(number)
        self._may_speak(member)
        users = message.reactions.setdefault(emoji, [])
        if member.id in users:
            return
        users.append(member.id)
        self.log(f"{member.name} reacted {emoji} to {number}")
        await self._dispatch(ReactionAdded(self.message_ref(message), member, emoji))

    async def unreact(self, member: Member, number: int, emoji: str) -> None:
        message = self._live(number)
        users = message.reactions.get(emoji, [])
        if member.id not in users:
            return
        users.remove(member.id)
        self.log(f"{member.name} removed {emoji} from {number}")
        await self._dispatch(ReactionRemoved(self.message_ref(message), member, emoji))

    async def run(self, member: Member, line: str, channel: str = "general") -> None:
        """Run a slash command line such as ``/ticket open Title``; the app resolves paths."""
        path, arguments = self.split_command(line)
        target = self.channel_named(channel)
        self._may_speak(member)
        self.log(f"[#{target.name}] {member.name} ran {line.strip()}")
        responder = LocalResponder(self, member, target)
        await self._dispatch(CommandInvoked(member, self.ref(target), path, arguments, responder))

    async def message_action(self, member: Member, name: str, number: int) -> None:
        message = self._live(number)
        self.log(f"{member.name} used “{name}” on {number}")
        responder = LocalResponder(self, member, self.channels[message.channel_id])
        await self._dispatch(MessageCommandInvoked(member, name, self.posted(message), responder))

    async def press(self, member: Member, number: int, label: str) -> None:
        message = self._live(number)
        wanted = label.casefold()
        found = next(
            (b for b in message.buttons if wanted in (b.label.casefold(), b.action_id.casefold())),
            None,
        )
        if found is None:
            offered = " ".join(f"[{b.label}]" for b in message.buttons) or "none"
            raise LookupError(f"message {number} has no button “{label}”; its buttons: {offered}")
        self.log(f"{member.name} pressed [{found.label}] on {number}")
        responder = LocalResponder(self, member, self.channels[message.channel_id])
        await self._dispatch(
            ButtonPressed(member, self.message_ref(message), found.action_id, responder)
        )

    async def submit(
        self, member: Member, values: dict[str, str], channel: str = "general"
    ) -> None:
        """Submit the form the bot last opened for this member."""
        form = self.open_forms.pop(member.id, None)
        if form is None:
            raise LookupError(f"no form is open for {member.name}")
        target = self.channel_named(channel)
        self.log(f"{member.name} submitted “{form.title}”")
        responder = LocalResponder(self, member, target)
        await self._dispatch(
            FormSubmitted(member, self.ref(target), form.form_id, values, responder)
        )

    def _may_speak(self, member: Member) -> None:
        """As on Discord: a timed-out member cannot post, edit, react or run commands until
        the timeout ends; the refusal says until when."""
        until = self.timeouts.get(member.id)
        if until and (end := datetime.fromisoformat(until)) > self.now():
            raise PermissionError(
                f"{member.name} is timed out until {end:%Y-%m-%d %H:%M} UTC and cannot post,"
                " react or run commands until then"
            )

    def _slow_mode_allows(self, member: Member, channel: LocalChannel) -> None:
        """As on Discord: in slow mode a member posts once per `slow_mode` seconds."""
        now, key = self.now(), (channel.id, member.id)
        last = self.last_posts.get(key)
        wait = timedelta(seconds=channel.slow_mode)
        if channel.slow_mode and not member.is_platform_admin and last and now - last < wait:
            left = int((wait - (now - last)).total_seconds()) + 1
            raise PermissionError(
                f"#{channel.name} is in slow mode: {member.name} can post again in {left}s"
            )
        self.last_posts[key] = now

    # -- reading --------------------------------------------------------------------------------

    def message(self, number: int) -> LocalMessage:
        if not 1 <= number <= len(self.messages):
            raise LookupError(f"there is no message {number}")
        return self.messages[number - 1]

    def _live(self, number: int) -> LocalMessage:
        """A message a member can still act on: nobody reacts to a deleted message."""
        message = self.message(number)
        if message.deleted:
            raise LookupError(f"message {number} was deleted")
        return message

    def read(self, channel: str, *, include_private: bool = False) -> list[LocalMessage]:
        target = self.channel_named(channel)
        return [
            m
            for m in self.messages
            if m.channel_id == target.id
            and not m.deleted
            and (include_private or m.private_to is None)
        ]

    def display_name(self, member_id: str) -> str:
        if member_id == BOT_ID:
            return BOT_NAME
        member = self.members.get(member_id)
        return member.shown_name if member else member_id

    def direct_messages(self, member: Member) -> list[LocalMessage]:
        return [m for m in self.messages if m.channel_id == f"dm-{member.id}"]

    def private_replies(self, member: Member) -> list[LocalMessage]:
        return [m for m in self.messages if m.private_to == member.id]

    def last_private(self, member: Member) -> str:
        replies = self.private_replies(member)
        return replies[-1].text if replies else ""

    # -- helpers shared with the platform ----------------------------------------------------

    def record(
        self,
        channel_id: str,
        author_id: str,
        text: str,
        *,
        buttons: tuple[Button, ...] = (),
        private_to: str | None = None,
        attachments: tuple[str, ...] = (),
        pinged: tuple[str, ...] = (),
    ) -> LocalMessage:
        message = LocalMessage(
            number=len(self.messages) + 1,
            channel_id=channel_id,
            author_id=author_id,
            text=text,
            buttons=buttons,
            private_to=private_to,
            attachments=attachments,
            pinged=pinged,
        )
        self.messages.append(message)
        return message

    def message_ref(self, message: LocalMessage) -> MessageRef:
        return MessageRef(self.ref(self.channels[message.channel_id]), str(message.number))

    def posted(self, message: LocalMessage) -> PostedMessage:
        author = self.members.get(message.author_id) or Member(
            self.community,
            message.author_id,
            self.display_name(message.author_id),
            is_bot=message.by_bot,
        )
        mentioned = tuple(
            m.id
            for m in self.members.values()
            if f"@{m.name.casefold()}" in message.text.casefold()
        )
        lowered = message.text.casefold()
        return PostedMessage(
            ref=self.message_ref(message),
            author=author,
            text=message.text,
            attachments=tuple(Attachment(name) for name in message.attachments),
            mentioned_user_ids=mentioned,
            mentions_everyone="@everyone" in lowered or "@here" in lowered,
            created_at=self.now(),
        )

    def grant(self, member_id: str, role: Role) -> None:
        member = self.members[member_id]
        if role not in member.roles:
            self.members[member_id] = replace(member, roles=(*member.roles, role))

    def log(self, line: str) -> None:
        self.transcript.append(line)

    @staticmethod
    def split_command(line: str) -> tuple[str, str]:
        """Split ``/ticket open x`` into the command path and its argument text.

        The path is resolved against the registered commands by the app; here the first
        word is the command and a second word is kept as a sub-command candidate.
        """
        words = line.strip().removeprefix("/").split(" ", 2)
        return words[0], " ".join(words[1:])

    async def _dispatch(self, event: Event) -> None:
        if self.dispatch is not None and self.connected:
            await self.dispatch(event)

    # -- persistence ----------------------------------------------------------------------------

    def save(self, path: Path) -> None:
        """Write the community to JSON so the next run continues from here.

        Atomic and durable: a temporary file is written and flushed to disk, then renamed
        over the old one, so a crash at any moment leaves either the old or the new state.
        """
        write_json_atomically(path, self.to_state())

    @classmethod
    def load(cls, path: Path) -> LocalCommunity:
        return cls.from_state(json.loads(path.read_text(encoding="utf-8")))

    def to_state(self) -> dict[str, Any]:
        """Everything a member or moderator could see, as plain JSON values."""
        return {
            "saved_at": self.now().isoformat(),
            "name": self.name,
            "id": self.community.id,
            "members": [_member_to_json(m) for m in self.members.values()],
            "roles": [[r.id, r.name] for r in self.roles.values()],
            "channels": [vars(c) for c in self.channels.values()],
            "messages": [
                {**vars(m), "buttons": [asdict(b) for b in m.buttons]} for m in self.messages
            ],
            "dms_closed": sorted(self.dms_closed),
            "banned": sorted(self.banned),
            "timeouts": self.timeouts,
            "invites_paused": self.invites_paused,
            "open_forms": {member: asdict(form) for member, form in self.open_forms.items()},
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> LocalCommunity:
        """Rebuild a community from `to_state`; fields a later version added get their
        defaults, so a file saved by an older version still loads."""
        community = cls(state["name"], state["id"])
        community.channels = {
            c["id"]: LocalChannel(**_known(LocalChannel, c)) for c in state["channels"]
        }
        for role_id, role_name in state.get("roles", ()):
            community.roles[role_name.casefold()] = Role(role_id, role_name)
        for raw in state["members"]:
            member = _member_from_json(community, raw)
            community.members[member.id] = member
            for role in member.roles:
                community.roles[role.name.casefold()] = role
        for raw in state["messages"]:
            message = _known(LocalMessage, raw)
            message["buttons"] = tuple(
                Button(b["action_id"], b["label"], ButtonStyle(b["style"]))
                for b in raw.get("buttons", ())
            )
            message["attachments"] = tuple(raw.get("attachments", ()))
            message["pinged"] = tuple(raw.get("pinged", ()))
            community.messages.append(LocalMessage(**message))
        community.dms_closed = set(state.get("dms_closed", ()))
        community.banned = set(state.get("banned", ()))
        community.timeouts = dict(state.get("timeouts", {}))
        community.invites_paused = bool(state.get("invites_paused", False))
        community.open_forms = {
            member: Form(raw["form_id"], raw["title"], tuple(FormField(**f) for f in raw["fields"]))
            for member, raw in state.get("open_forms", {}).items()
        }
        saved_at = state.get("saved_at")
        community.saved_at = datetime.fromisoformat(saved_at) if saved_at else None
        return community


def write_json_atomically(path: Path, value: Any, *, indent: int | None = 1) -> None:
    """Replace `path` with `value` as JSON: all of it or, after a crash, none of it.

    ``indent=None`` writes compactly, several times faster (for callers that save often).
    """
    text = json.dumps(value, ensure_ascii=False, indent=indent)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    with temporary.open("w", encoding="utf-8") as file:
        file.write(text)
        file.flush()
        os.fsync(file.fileno())
    temporary.replace(path)


def _known(kind: type, raw: dict[str, Any]) -> dict[str, Any]:
    """The entries of `raw` that are fields of the dataclass `kind` (newer files may have
    more)."""
    names = {f.name for f in fields(kind)}
    return {key: value for key, value in raw.items() if key in names}


def _member_to_json(member: Member) -> dict[str, Any]:
    return {
        "id": member.id,
        "name": member.name,
        "display_name": member.display_name,
        "roles": [[r.id, r.name] for r in member.roles],
        "locale": member.locale,
        "is_bot": member.is_bot,
        "is_platform_admin": member.is_platform_admin,
        "created_at": member.created_at.isoformat() if member.created_at else None,
        "joined_at": member.joined_at.isoformat() if member.joined_at else None,
    }


def _member_from_json(community: LocalCommunity, raw: dict[str, Any]) -> Member:
    return Member(
        community=community.community,
        id=raw["id"],
        name=raw["name"],
        display_name=raw["display_name"],
        roles=tuple(Role(i, n) for i, n in raw["roles"]),
        locale=raw["locale"],
        is_bot=raw["is_bot"],
        is_platform_admin=raw["is_platform_admin"],
        created_at=datetime.fromisoformat(raw["created_at"]) if raw["created_at"] else None,
        joined_at=datetime.fromisoformat(raw["joined_at"]) if raw["joined_at"] else None,
    )
