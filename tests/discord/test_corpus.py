"""Gateway payloads from Discord's own API documentation, fed to the real client.

The payloads in tests/corpus/discord/ were not written here (SOURCES names where each
comes from). Each is dispatched through simcord's gateway into discord.py and this adapter,
with every cog running: no exception, the right neutral event or a quiet ignore, and what
members and moderators would see.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from simcord import interactions as simcord_interactions
from simcord.backend.models import User
from simcord.results import InteractionResult

from bot.cog import Cog, listen
from bot.events import (
    Event,
    MemberJoined,
    MemberScreened,
    MessageEdited,
    MessagePosted,
    ReactionAdded,
)
from cogs import all_cogs

CORPUS = Path(__file__).parents[1] / "corpus" / "discord"
CONFIG = """
[[moderation.rules]]
name = "forwarded-scam"
type = "keywords"
keywords = ["original message"]
"""
# The documentation's users, by id: they become members of the test server.
DOC_USERS = {53908099506183680: "Mason", 80351110224678912: "Nelly", 167348773423415296: "ian"}


class CorpusRecorder(Cog):
    name = "corpus-recorder"

    def __init__(self, services: Any) -> None:
        super().__init__(services)
        self.events: list[Event] = []

    @listen(MessagePosted)
    async def posted(self, event: MessagePosted) -> None:
        self.events.append(event)

    @listen(MessageEdited)
    async def edited(self, event: MessageEdited) -> None:
        self.events.append(event)

    @listen(ReactionAdded)
    async def reacted(self, event: ReactionAdded) -> None:
        self.events.append(event)

    @listen(MemberJoined)
    async def joined(self, event: MemberJoined) -> None:
        self.events.append(event)

    @listen(MemberScreened)
    async def screened(self, event: MemberScreened) -> None:
        self.events.append(event)


@pytest.fixture
async def world(make_world: Any, write_config: Callable[[str], Path]) -> Any:
    write_config(CONFIG)
    async with make_world(cog_types=[*all_cogs(), CorpusRecorder]) as opened:
        backend = opened.env.backend
        for user_id, name in DOC_USERS.items():
            backend.users[user_id] = User(id=user_id, name=name.lower(), global_name=name)
            if user_id != 80351110224678912:  # Nelly joins in the member events
                backend.add_member(opened.guild.id, user_id)
        yield opened


def adapted(world: Any, name: str) -> dict[str, Any]:
    """A corpus file's dispatch, its server and channel ids mapped onto the test server."""
    text = (CORPUS / name).read_text(encoding="utf-8")
    for doc_id, ours in {
        "290926798999357249": world.guild.id,
        "772904309264089089": world.guild.id,
        "290926798999357250": world.channels["general"].id,
        "772908445358620702": world.channels["general"].id,
        "278325129692446722": world.channels["rules"].id,
    }.items():
        text = text.replace(f'"{doc_id}"', f'"{ours}"')
    dispatch = json.loads(text)
    assert dispatch["op"] == 0
    return dispatch


async def feed(world: Any, name: str) -> None:
    dispatch = adapted(world, name)
    world.env.backend.emit(dispatch["t"], dispatch["d"])
    await world.env.settle()


def heard(world: Any, kind: type[Event]) -> list[Any]:
    return [e for e in world.cog(CorpusRecorder).events if isinstance(e, kind)]


def flags(world: Any) -> list[str]:
    return [world.text_of(m) for m in world.channels["moderators"].history()]


async def test_a_documented_message_is_posted_checked_and_not_flagged(world: Any) -> None:
    await feed(world, "message_create.json")
    (posted,) = heard(world, MessagePosted)
    assert posted.message.text == "Supa Hot" and posted.message.forwarded is None
    assert posted.message.author.id == "53908099506183680"
    assert flags(world) == []


async def test_a_pin_update_of_the_documented_message_is_no_edit(world: Any) -> None:
    await feed(world, "message_create.json")
    await feed(world, "message_update_pin.json")
    await world.env.restart_bot()  # and once more when the message is no longer cached
    await feed(world, "message_update_pin.json")
    assert heard(world, MessageEdited) == []
    assert flags(world) == []


async def test_the_documented_forward_is_checked_by_what_it_carries(world: Any) -> None:
    await feed(world, "message_create_forward.json")
    (posted,) = heard(world, MessagePosted)
    message = posted.message
    assert message.text == "" and message.full_text == "original message"
    assert message.forwarded is not None and message.forwarded.origin is not None
    assert message.forwarded.origin.id == str(world.channels["rules"].id)
    (flag,) = flags(world)
    assert "original message" in flag and "forwarded from" in flag


async def test_the_documented_reaction_arrives_with_its_member_and_emoji(world: Any) -> None:
    await feed(world, "message_reaction_add.json")
    (reaction,) = heard(world, ReactionAdded)
    assert reaction.emoji == "🔥" and reaction.message.id == "334385199974967042"
    assert reaction.member.id == "80351110224678912"
    assert reaction.member.display_name == "NOT API SUPPORT"


async def test_the_documented_member_is_welcomed_once_after_screening(world: Any) -> None:
    welcome = world.channels["welcome"]
    await feed(world, "guild_member_add_pending.json")
    (joined,) = heard(world, MemberJoined)
    assert joined.pending and welcome.history() == []
    await feed(world, "guild_member_update_screened.json")
    await feed(world, "guild_member_update_screened.json")  # a replayed or later update
    assert len(heard(world, MemberScreened)) == 1
    (greeting,) = welcome.history()
    assert "<@80351110224678912>" in greeting.content


async def test_the_documented_message_command_is_refused_politely(world: Any) -> None:
    """In the documented sample, ian runs the message command on his own message: a
    report of one's own message is refused, privately, and no flag is raised."""
    dispatch = adapted(world, "interaction_create_message_command.json")
    payload = dispatch["d"]
    backend = world.env.backend
    record, issued = simcord_interactions.base_payload(
        backend,
        type=payload["type"],
        channel_id=int(payload["channel_id"]),
        guild_id=int(payload["guild_id"]),
        user_id=int(payload["member"]["user"]["id"]),
        data=payload["data"],
    )
    payload["data"]["name"] = "Report message"
    # id, token, application: simcord's; the rest: fields discord.py 2.7 requires that the
    # 2021 sample predates (see SOURCES).
    for key in ("id", "token", "application_id", "channel", "attachment_size_limit"):
        payload[key] = issued[key]
    for key in ("entitlements", "authorizing_integration_owners", "context"):
        payload.setdefault(key, issued[key])
    backend.emit("INTERACTION_CREATE", payload)
    await world.env.settle()
    shown = InteractionResult(world.env, record)
    assert shown.modal is None and shown.ephemeral
    assert "cannot report your own message" in world.text_of(shown.response)
    assert flags(world) == []
