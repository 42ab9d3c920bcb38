"""A Discord server simulated by simcord, with the bot's real discord.py client attached.

`discord_world` builds a server with the channels and roles of the default community
configuration and the four usual people (Alice admin, Mo moderator, Amy ambassador, Ben
member), starts the bot on it (commands are registered exactly as at a real start-up) and
hands back handles for acting as those people.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import discord
import pytest
import simcord
from pydantic import SecretStr

from adapters.discord import DiscordAdapter, DiscordOptions
from bot.app.application import App
from bot.clock import VirtualClock
from bot.cog import Cog
from bot.model import ChannelRef, Community, UserRef
from bot.settings import Settings

PEOPLE = (("Alice", ("Admins",)), ("Mo", ("Moderators",)), ("Amy", ("Ambassadors",)), ("Ben", ()))
# A fixed server id, so a test can name it in settings before the server exists.
GUILD_ID = 1_300_000_000_000_000_001
CHANNELS = ("general", "welcome", "rules", "moderators", "ambassadors", "tickets")
# Handlers answer within microseconds here; a tiny acknowledgement delay lets a test
# exercise the "still busy, acknowledge first" path without waiting real seconds.
TEST_ACK_AFTER = 0.05


@dataclass
class DiscordWorld:
    env: simcord.Env
    adapter: DiscordAdapter
    app: App
    clock: VirtualClock
    guild: simcord.GuildHandle
    channels: dict[str, simcord.ChannelHandle] = field(default_factory=dict)
    roles: dict[str, simcord.RoleHandle] = field(default_factory=dict)
    people: dict[str, simcord.MemberActor] = field(default_factory=dict)

    @property
    def community(self) -> Community:
        return Community("discord", str(self.guild.id))

    def channel_ref(self, name: str) -> ChannelRef:
        return ChannelRef(self.community, str(self.channels[name].id), name)

    def user_ref(self, name: str) -> UserRef:
        return UserRef(self.community, str(self.people[name].id))

    def cog(self, cog_type: type[Cog]) -> Any:
        return next(c for c in self.app.dispatcher.cogs if isinstance(c, cog_type))

    def texts(self, channel: str, viewer: str | None = None) -> list[str]:
        """Everything visible in a channel: content plus embed text, oldest first."""
        who = self.people[viewer] if viewer else None
        return [message_text(m) for m in self.channels[channel].history(viewer=who)]

    @staticmethod
    def text_of(message: discord.Message | simcord.ResponseMessage | None) -> str:
        assert message is not None, "no message"
        return message_text(message)

    def join(self, name: str, *roles: str) -> simcord.MemberActor:
        user = self.env.create_user(name.lower(), global_name=name)
        actor = self.guild.add_member(user, roles=[self.roles[r] for r in roles])
        self.people[name] = actor
        return actor


def message_text(message: discord.Message | simcord.ResponseMessage) -> str:
    parts = [message.content]
    for embed in message.embeds:
        parts.extend(p for p in (embed.title, embed.description) if p)
        parts.extend(f"{f.name}: {f.value}" for f in embed.fields)
    return "\n".join(p for p in parts if p)


@asynccontextmanager
async def open_world(
    settings: Settings,
    clock: VirtualClock,
    cog_types: Sequence[type[Cog]] | None = None,
    options: dict[str, Any] | None = None,
    **env_options: Any,
) -> AsyncIterator[DiscordWorld]:
    adapter = DiscordAdapter(
        DiscordOptions(token=SecretStr("simcord"), **(options or {})), ack_after=TEST_ACK_AFTER
    )
    app = await App.create(settings, [adapter], clock=clock, cog_types=cog_types)
    adapter.attach(app)
    env = simcord.Env(adapter.client, **env_options)
    guild = env.create_guild("Botschafter Test", id=GUILD_ID)
    world = DiscordWorld(env, adapter, app, clock, guild)
    for name in CHANNELS:
        world.channels[name] = guild.create_text_channel(name)
    world.roles["Ambassadors"] = guild.create_role("Ambassadors")
    world.roles["Moderators"] = guild.create_role(
        "Moderators",
        permissions=discord.Permissions(manage_messages=True, moderate_members=True),
    )
    world.roles["Admins"] = guild.create_role(
        "Admins", permissions=discord.Permissions(manage_guild=True, manage_messages=True)
    )
    for name, roles in PEOPLE:
        world.join(name, *roles)
    await env.start()
    try:
        yield world
    finally:
        try:
            await env.shutdown()
        finally:
            await app.close()
        if env.check_errors:
            env.raise_errors()


@pytest.fixture
async def make_world(settings: Settings, clock: VirtualClock) -> AsyncIterator[Callable[..., Any]]:
    """``async with make_world(cog_types=[...]) as world:``"""
    yield lambda **kwargs: open_world(settings, clock, **kwargs)
