"""The little language of local sessions, shared by the terminal and ``--script`` files.

One instruction per line; see docs/local-mode.md for the reference. An instruction that
cannot be carried out raises `ScriptError` with a message for the person typing it.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from datetime import timedelta

from adapters.local import LocalCommunity
from adapters.local.identity import BOT_ID
from bot.app.local_session import LocalSession
from bot.commands import parse_duration
from bot.errors import UserError
from bot.model import Member


class ScriptError(Exception):
    pass


INSTRUCTIONS = {
    "as NAME": "act as this member from now on",
    "join NAME [locale=de] [roles=A,B] [age=2d] [bot]": "a new member joins",
    "leave NAME": "the member leaves the community",
    "in #CHANNEL": "post and run commands in this channel from now on",
    "create #CHANNEL": "a channel appears, as if an admin made it (e.g. #general-de)",
    "say TEXT": "post TEXT in the current channel",
    "/COMMAND ARGS": "run a slash command in the current channel",
    "edit N TEXT": "edit your message number N",
    "react N EMOJI / unreact N EMOJI": "add or remove a reaction on message N",
    "press N LABEL": "press the button LABEL on message N",
    "submit FIELD=VALUE | FIELD=VALUE": "submit the form the bot opened for you",
    "action N NAME": "use a message action on message N, e.g. action 7 Report message",
    "dms open|closed": "open or close your direct messages",
    "wait DURATION": "let time pass (e.g. 2d); due follow-ups fire in order",
    "show #CHANNEL": "print a channel",
    "members / channels": "list members or channels",
    "help / quit": "this list / leave the terminal (Ctrl-D does too)",
}

# Where an instruction takes a message number N, these name a message by what it is, so a
# script still finds it when the bot's posts came in another order (e.g. after a restart).
MESSAGE_REFERENCES = {
    "last:#CHANNEL": "the bot's latest message in #CHANNEL",
    "last:#CHANNEL:NAME": "NAME's latest message in #CHANNEL",
    "ticket:N": "the tracker of ticket #N",
    "flag:N": "the moderators' post of flag #N",
}


@dataclass
class Interpreter:
    session: LocalSession
    actor: str = "Alice"
    channel: str = "general"

    @property
    def community(self) -> LocalCommunity:
        return self.session.community

    def member(self) -> Member:
        return self._member(self.actor)

    async def execute(self, line: str) -> list[str]:
        """Carry out one instruction; returns lines to show besides the transcript."""
        line = line.strip()
        if not line or line.startswith("#"):
            return []
        if line.startswith("/"):
            handler, rest = self._run_command, line
        else:
            keyword, _, rest = line.partition(" ")
            handler = getattr(self, f"_do_{keyword.lower()}", None)
            if handler is None:
                raise ScriptError(f"unknown instruction “{keyword}”; type help for the list")
        try:
            return await handler(rest.strip())
        except (LookupError, PermissionError, ValueError) as error:
            # args[0], not str(): str() of a KeyError wraps its text in quotes.
            text = error.args[0] if error.args and isinstance(error.args[0], str) else str(error)
            raise ScriptError(text) from None
        except UserError as error:
            raise ScriptError(error.message) from None

    async def _run_command(self, line: str) -> list[str]:
        await self.community.run(self.member(), line, self.channel)
        return []

    def is_instruction(self, line: str) -> bool:
        """Whether `line` is exactly an instruction, not a sentence that starts with one's
        word: "as Ben" is, "as I said, it crashes" is not; "wait 2d" is, "wait for me" is
        not. The terminal posts everything else as a message."""
        keyword, _, rest = line.strip().partition(" ")
        shape = _SHAPES.get(keyword.lower())
        return shape is not None and shape(self, rest.strip())

    async def _do_as(self, rest: str) -> list[str]:
        self.actor = self._member(rest).name
        return [f"(you are now {self.actor})"]

    async def _do_join(self, rest: str) -> list[str]:
        words = shlex.split(rest)
        if not words:
            raise ScriptError("join needs a name, e.g. join Zoe locale=de")
        name, details = words[0], _key_values(words[1:])
        await self.community.join(
            name,
            locale=details.get("locale"),
            roles=tuple(r for r in details.get("roles", "").split(",") if r),
            account_age=parse_duration(details["age"]) if "age" in details else timedelta(days=365),
            is_bot="bot" in words[1:],
        )
        return []

    async def _do_leave(self, rest: str) -> list[str]:
        if not rest:
            raise ScriptError("leave needs a name, e.g. leave Ben")
        await self.community.leave(self._member(rest))
        return []

    async def _do_in(self, rest: str) -> list[str]:
        self.channel = self.community.channel_named(rest).name
        return [f"(you are now in #{self.channel})"]

    async def _do_say(self, rest: str) -> list[str]:
        if not rest:
            raise ScriptError("say needs some text")
        await self.community.post(self.member(), self.channel, rest)
        return []

    async def _do_edit(self, rest: str) -> list[str]:
        number, text = await self._reference_and_rest(rest, "edit N TEXT")
        await self.community.edit(self.member(), number, text)
        return []

    async def _do_react(self, rest: str) -> list[str]:
        number, emoji = await self._reference_and_rest(rest, "react N EMOJI")
        await self.community.react(self.member(), number, emoji)
        return []

    async def _do_unreact(self, rest: str) -> list[str]:
        number, emoji = await self._reference_and_rest(rest, "unreact N EMOJI")
        await self.community.unreact(self.member(), number, emoji)
        return []

    async def _do_press(self, rest: str) -> list[str]:
        number, label = await self._reference_and_rest(rest, "press N LABEL")
        await self.community.press(self.member(), number, label)
        return []

    async def _do_action(self, rest: str) -> list[str]:
        number, name = await self._reference_and_rest(rest, "action N NAME")
        await self.community.message_action(self.member(), name, number)
        return []

    async def _do_submit(self, rest: str) -> list[str]:
        values = {}
        for part in rest.split("|"):
            key, equals, value = part.partition("=")
            if not equals:
                raise ScriptError("write submit field=value | field=value")
            values[key.strip()] = value.strip()
        await self.community.submit(self.member(), values, self.channel)
        return []

    async def _do_dms(self, rest: str) -> list[str]:
        if rest not in ("open", "closed"):
            raise ScriptError("write dms open or dms closed")
        member_id = self.member().id
        if rest == "closed":
            self.community.dms_closed.add(member_id)
        else:
            self.community.dms_closed.discard(member_id)
        return [f"({self.actor}'s direct messages are {rest})"]

    async def _do_wait(self, rest: str) -> list[str]:
        delta = parse_duration(rest)
        fired = await self.session.advance(delta)
        return [f"({rest} pass; {fired} scheduled job(s) ran)"]

    async def _do_show(self, rest: str) -> list[str]:
        channel = self.community.channel_named(rest or self.channel)
        lines = [f"--- #{channel.name} ---"]
        for message in self.community.read(channel.name):
            author = self.community.display_name(message.author_id)
            reactions = " ".join(f"{e}×{len(u)}" for e, u in message.reactions.items() if u)
            lines.append(f"{message.number} {author}: {message.text}  {reactions}".rstrip())
        return lines

    async def _do_members(self, rest: str) -> list[str]:
        return [
            f"{m.name}: {', '.join(r.name for r in m.roles) or 'member'}"
            + (f", locale {m.locale}" if m.locale else "")
            for m in self.community.members.values()
        ]

    async def _do_create(self, rest: str) -> list[str]:
        name = rest.removeprefix("#")
        if _names_channel(self, name):
            raise ScriptError(f"#{name} exists already")
        self.community.add_channel(name)
        return [f"(#{name} created)"]

    async def _do_channels(self, rest: str) -> list[str]:
        return [
            f"#{c.name}" + (" (thread)" if c.parent_id else "")
            for c in self.community.channels.values()
            if c.dm_of is None
        ]

    async def _do_help(self, rest: str) -> list[str]:
        references = [
            f"  N may also be {usage}: {meaning}" for usage, meaning in MESSAGE_REFERENCES.items()
        ]
        return [
            *(f"  {usage:<50} {meaning}" for usage, meaning in INSTRUCTIONS.items()),
            *references,
        ]

    async def _reference_and_rest(self, rest: str, usage: str) -> tuple[int, str]:
        """Split off a message reference (a number or one of MESSAGE_REFERENCES)."""
        reference, _, tail = rest.partition(" ")
        if reference.removeprefix("#").isdigit():
            return _number_and_rest(rest, usage)
        if not tail.strip() or ":" not in reference:
            raise ScriptError(f"write {usage}")
        return await self._message_number(reference), tail.strip()

    async def _message_number(self, reference: str) -> int:
        kind, _, target = reference.partition(":")
        if kind == "last" and target.startswith("#"):
            channel, _, author = target.partition(":")
            author_id = self._member(author).id if author else BOT_ID
            return self._latest(reference, channel=channel, author_id=author_id)
        if kind in ("ticket", "flag") and target.removeprefix("#").isdigit():
            return await self._posted(reference, kind, int(target.removeprefix("#")))
        known = ", ".join(MESSAGE_REFERENCES)
        raise ScriptError(f"“{reference}” names no message; write a number or one of: {known}")

    async def _posted(self, reference: str, kind: str, number: int) -> int:
        """The message the bot recorded for a ticket's tracker or a flag's moderators' post.

        Asked of the database, not found by its heading: a Polish community's flag starts
        "🚩 **Flaga #2**", a member report "⏫", a private tracker "🔒", and a ticket's
        escalation repeats the tracker's heading in another channel."""
        sql = (
            "SELECT tracker_message_id FROM tickets WHERE community = ? AND number = ?"
            if kind == "ticket"
            else "SELECT post_message_id FROM moderation_flags WHERE community = ? AND id = ?"
        )
        key = self.community.community.key
        message_id = await self.session.app.services.db.fetch_value(sql, (key, number))
        if message_id is not None and str(message_id).isdigit():
            message = self.community.message(int(message_id))
            if not message.deleted:
                return message.number
        raise ScriptError(f"there is no message {reference}")

    def _latest(
        self,
        reference: str,
        *,
        channel: str | None = None,
        author_id: str = BOT_ID,
    ) -> int:
        """The newest public, undeleted message that matches, or a polite error."""
        channel_id = self.community.channel_named(channel).id if channel else None
        for message in reversed(self.community.messages):
            if (
                not message.deleted
                and message.private_to is None
                and message.author_id == author_id
                and channel_id in (None, message.channel_id)
            ):
                return message.number
        raise ScriptError(f"there is no message {reference}")

    def _member(self, name: str) -> Member:
        try:
            return self.community.member(name.strip().removeprefix("@"))
        except LookupError:
            known = ", ".join(m.name for m in self.community.members.values())
            raise ScriptError(f"no member named “{name}”; members: {known}") from None


def _names_member(interpreter: Interpreter, rest: str) -> bool:
    """One word, as member names are: "as Zoe" is meant even if there is no Zoe (the
    answer lists the members); "as I said, …" is a sentence."""
    return len(rest.split()) == 1


def _names_channel(interpreter: Interpreter, rest: str) -> bool:
    try:
        interpreter.community.channel_named(rest)
    except LookupError:
        return False
    return True


def _is_join(interpreter: Interpreter, rest: str) -> bool:
    words = rest.split()
    details = words[1:]
    known = ("locale=", "roles=", "age=")
    return len(words) >= 1 and all(w == "bot" or w.startswith(known) for w in details)


def _is_reaction(interpreter: Interpreter, rest: str) -> bool:
    """A message and one emoji: "react 3 times and it breaks" is a sentence."""
    return _is_reference(interpreter, rest) and len(rest.split()) == 2


def _is_reference(interpreter: Interpreter, rest: str) -> bool:
    reference, _, tail = rest.partition(" ")
    return bool(tail.strip()) and (
        reference.removeprefix("#").isdigit() or reference.startswith(("last:", "ticket:", "flag:"))
    )


def _is_duration(interpreter: Interpreter, rest: str) -> bool:
    try:
        parse_duration(rest)
    except UserError:
        return False
    return True


# A channel as `create` names it: "#general-de"; "create a ticket" is a sentence.
_CHANNEL_NAME = re.compile(r"#[\w-]{1,80}")
# What each instruction looks like in full; a line of another shape is a message.
_SHAPES = {
    "as": _names_member,
    "leave": _names_member,
    "join": _is_join,
    "in": _names_channel,
    "create": lambda interpreter, rest: _CHANNEL_NAME.fullmatch(rest) is not None,
    "say": lambda interpreter, rest: True,
    "edit": _is_reference,
    "react": _is_reaction,
    "unreact": _is_reaction,
    "press": _is_reference,
    "action": _is_reference,
    "submit": lambda interpreter, rest: "=" in rest,
    "dms": lambda interpreter, rest: rest in ("open", "closed"),
    "wait": _is_duration,
    "show": lambda interpreter, rest: not rest or _names_channel(interpreter, rest),
    "members": lambda interpreter, rest: not rest,
    "channels": lambda interpreter, rest: not rest,
    "help": lambda interpreter, rest: not rest,
}


def _number_and_rest(rest: str, usage: str) -> tuple[int, str]:
    number, _, tail = rest.partition(" ")
    if not number.removeprefix("#").isdigit() or not tail.strip():
        raise ScriptError(f"write {usage}")
    return int(number.removeprefix("#")), tail.strip()


def _key_values(words: list[str]) -> dict[str, str]:
    return {k: v for k, _, v in (w.partition("=") for w in words if "=" in w)}
