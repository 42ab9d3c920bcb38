"""Seeded gateway traffic for the end-to-end benchmark: two servers, their frames, their rules.

One server keeps the default rules (leaked secrets, mass mentions); the other adds a
10,000-keyword list. Each batch of traffic is a list of ``MESSAGE_CREATE`` frames as
Discord sends them (JSON text, the author's member object included), in twenty chat
channels; about 2% break a rule: ``@everyone`` on the default server, a listed keyword on
the other. Every breaking message has an author of its own, so each one opens a flag of
its own (breaches of one member close together fold into one flag, which would hide
them). Both processes of the benchmark build the same frames from the same seed.
"""

from __future__ import annotations

import functools
import json
import random
from dataclasses import dataclass
from typing import Any

import discord

from benchmarks._corpus import Terms, _chat_line, _keyword_hit, make_terms
from tests.discord import wire_fake
from tests.discord.wire_fake import (
    GUILD_ID,
    member_payload,
    message_payload,
)

# Messages that break a rule: the share the issue asks for.
BREAKING_SHARE = 0.02
# Chat channels per server: messages of one channel are handled in order (bot.intake).
CHANNELS = 20
# Authors of ordinary messages: a busy server's regulars.
AUTHORS = 3000
KEYWORDS = 10_000
_FIRST_MESSAGE_ID = 1_300_000_000_000_000_000


@dataclass(frozen=True)
class Server:
    """A server of the fake and the rules its community has."""

    name: str
    guild_id: int
    keywords: bool  # with the 10,000-keyword list

    @property
    def channel_ids(self) -> list[int]:
        return [self.guild_id + 100 + n for n in range(CHANNELS)]

    @property
    def moderators_id(self) -> int:
        return self.guild_id + 99


SERVERS = (
    Server("default_rules", GUILD_ID, keywords=False),
    Server("keywords_10k", GUILD_ID + 1_000_000, keywords=True),
)


@dataclass(frozen=True)
class Traffic:
    """Frames to send, and which message ids break a rule."""

    frames: list[str]
    message_ids: list[int]  # in the order of the frames
    breaking: frozenset[int]


def traffic(server: Server, batch: int, count: int, seed: int) -> Traffic:
    """`count` frames for `server`; `batch` keeps message and breaking author ids apart
    between batches, so no message or breach repeats an earlier one."""
    rng = random.Random(f"{seed}:{server.name}:{batch}")
    terms = keyword_terms(seed)
    frames, message_ids, breaking = [], [], set()
    channels = server.channel_ids
    first_id = _FIRST_MESSAGE_ID + server.guild_id % 10**7 * 10**9 + batch * 10**7
    for number in range(count):
        message_id = first_id + number
        text = _chat_line(rng)
        if rng.random() < BREAKING_SHARE:
            text = _breaking(rng, text, server, terms)
            author = 810_000_000_000_000_000 + message_id - _FIRST_MESSAGE_ID
            breaking.add(message_id)
        else:
            author = 800_000_000_000_000_000 + rng.randrange(AUTHORS)
        data = _message(server, rng.choice(channels), message_id, author, text)
        sequence = batch * count + number + 10  # after READY and the GUILD_CREATEs
        frames.append(json.dumps({"op": 0, "t": "MESSAGE_CREATE", "s": sequence, "d": data}))
        message_ids.append(message_id)
    return Traffic(frames, message_ids, frozenset(breaking))


@functools.cache
def keyword_terms(seed: int) -> Terms:
    return make_terms(KEYWORDS, random.Random(seed))


def config_toml(seed: int) -> str:
    """The community file: the keyword server's rules (the default server has none)."""
    keywords = ", ".join(json.dumps(k) for k in keyword_terms(seed).written)
    server = next(s for s in SERVERS if s.keywords)
    return (
        f'[communities."discord:{server.guild_id}".moderation]\n'
        "rules = [\n"
        '  { name = "leaked secrets", type = "credentials" },\n'
        '  { name = "mass mentions", type = "mass_mentions" },\n'
        f'  {{ name = "word list", type = "keywords", keywords = [{keywords}] }},\n'
        "]\n"
    )


def ready_payload() -> dict[str, Any]:
    guilds = [{"id": str(s.guild_id), "unavailable": True} for s in SERVERS]
    return wire_fake.ready_payload() | {"guilds": guilds}


def guild_payload(server: Server) -> dict[str, Any]:
    """The server as GUILD_CREATE announces it: the chat channels and #moderators."""
    base = wire_fake.guild_payload()
    everyone = base["roles"][0] | {
        "id": str(server.guild_id),
        "permissions": str(_bot_permissions()),
    }
    named = [(server.moderators_id, "moderators")]
    named += [(c, f"chat-{n}") for n, c in enumerate(server.channel_ids)]
    return base | {
        "id": str(server.guild_id),
        "name": server.name,
        "roles": [everyone],
        "channels": [
            {"id": str(c), "type": 0, "name": name, "position": n, "permission_overwrites": []}
            for n, (c, name) in enumerate(named)
        ],
        "member_count": AUTHORS,
        "large": True,
    }


def _bot_permissions() -> int:
    wanted = discord.Permissions.general() | discord.Permissions.text()
    return wanted.value


def _breaking(rng: random.Random, text: str, server: Server, terms: Terms) -> str:
    word = _keyword_hit(rng, terms) if server.keywords else "@everyone"
    parts = text.split(" ")
    parts.insert(rng.randrange(len(parts) + 1), word)
    return " ".join(parts)


def _message(server: Server, channel: int, message_id: int, author: int, text: str) -> Any:
    user = {"id": str(author), "username": f"member{author % 100000}", "discriminator": "0"}
    author_payload = {**user, "avatar": None, "global_name": None}
    created = message_payload(channel, text, author_payload, message_id, server.guild_id)
    return {**created, "member": {**member_payload(), "nick": None}, "flags": 0}
