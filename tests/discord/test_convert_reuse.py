"""Converted servers, channels and members are handed out again while they read the same
(adapters/discord/convert.py), and made anew as soon as anything they show changes.

The frames go through discord.py's own gateway parser, so the objects converted are the
ones a running bot gets.
"""

from __future__ import annotations

import json
from typing import Any

import discord

from adapters.discord.convert import channel_ref, community_of, member_of, posted_message
from tests.discord.wire_fake import (
    guild_payload,
    member_payload,
    message_payload,
    parsing_gateway,
    ready_payload,
)

GUILD = 1_310_000_000_000_000_001
CHANNEL = GUILD + 1
HELPERS = GUILD + 2
AUTHOR = 1_310_000_000_000_000_100
OWNER = 1_310_000_000_000_000_200


def _role(role_id: int, name: str, permissions: int = 0) -> dict[str, Any]:
    return {
        "id": str(role_id),
        "name": name,
        "permissions": str(permissions),
        "position": 0 if role_id == GUILD else 1,
        "color": 0,
        "hoist": False,
        "managed": False,
        "mentionable": False,
    }


def _channel(name: str) -> dict[str, Any]:
    return {
        "id": str(CHANNEL),
        "guild_id": str(GUILD),
        "type": 0,
        "name": name,
        "position": 0,
        "permission_overwrites": [],
    }


class Gateway:
    """discord.py's gateway parser on a client of its own, fed frame by frame."""

    def __init__(self, client: discord.Client, ws: Any) -> None:
        self.client, self.ws, self.sequence = client, ws, 0

    @classmethod
    async def open(cls) -> Gateway:
        gateway = cls(*await parsing_gateway())
        await gateway.send(
            "READY", ready_payload() | {"guilds": [{"id": str(GUILD), "unavailable": True}]}
        )
        await gateway.send(
            "GUILD_CREATE",
            guild_payload()
            | {
                "id": str(GUILD),
                "name": "Reuse",
                "owner_id": str(OWNER),
                "roles": [_role(GUILD, "@everyone"), _role(HELPERS, "Helpers")],
                "channels": [_channel("general")],
            },
        )
        return gateway

    async def send(self, kind: str, data: dict[str, Any]) -> None:
        self.sequence += 1
        frame = {"op": 0, "t": kind, "s": self.sequence, "d": data}
        await self.ws.received_message(json.dumps(frame))

    async def message(
        self, *, roles: tuple[int, ...] = (), nick: str | None = None, author: int = AUTHOR
    ) -> discord.Message:
        """A message of `author` with these roles and nickname, as discord.py parsed it."""
        self.sequence += 1
        user = {"id": str(author), "username": "ana", "discriminator": "0", "avatar": None}
        data = message_payload(
            CHANNEL, "hello", {**user, "global_name": None}, self.sequence, GUILD
        )
        member = {**member_payload(), "roles": [str(r) for r in roles], "nick": nick}
        await self.send("MESSAGE_CREATE", {**data, "member": member, "flags": 0})
        cache = self.client._connection._messages
        assert cache is not None
        return cache[-1]


async def test_an_unchanged_author_and_channel_are_handed_out_again() -> None:
    gateway = await Gateway.open()
    first, second = await gateway.message(), await gateway.message()
    community = community_of(GUILD)
    assert community_of(first.guild) is community
    one, two = posted_message(first, community), posted_message(second, community)
    assert one.author is two.author and one.ref.channel is two.ref.channel
    assert one.ref != two.ref


async def test_a_new_role_a_role_granting_administrator_and_a_nickname_show_at_once() -> None:
    gateway = await Gateway.open()
    community = community_of(GUILD)
    plain = member_of((await gateway.message()).author, community)
    assert plain.roles == () and not plain.is_platform_admin

    helper = member_of((await gateway.message(roles=(HELPERS,))).author, community)
    assert [r.name for r in helper.roles] == ["Helpers"] and not helper.is_platform_admin

    await gateway.send(
        "GUILD_ROLE_UPDATE",
        {"guild_id": str(GUILD), "role": _role(HELPERS, "Admins", permissions=8)},
    )
    admin = member_of((await gateway.message(roles=(HELPERS,))).author, community)
    assert [r.name for r in admin.roles] == ["Admins"] and admin.is_platform_admin

    renamed = member_of((await gateway.message(roles=(HELPERS,), nick="Ana")).author, community)
    assert renamed.display_name == "Ana" and renamed.is_platform_admin


async def test_the_server_owner_is_an_administrator_without_any_role() -> None:
    gateway = await Gateway.open()
    owner = member_of((await gateway.message(author=OWNER)).author, community_of(GUILD))
    assert owner.roles == () and owner.is_platform_admin


async def test_a_renamed_channel_is_named_anew() -> None:
    gateway = await Gateway.open()
    community = community_of(GUILD)
    before = channel_ref((await gateway.message()).channel, community)
    await gateway.send("CHANNEL_UPDATE", _channel("announcements"))
    after = channel_ref((await gateway.message()).channel, community)
    assert (before.name, after.name) == ("general", "announcements")
    assert after.id == before.id == str(CHANNEL)
