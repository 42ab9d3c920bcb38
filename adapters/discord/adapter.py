"""The Discord adapter: connects, registers commands, and turns gateway traffic into events.

`start` logs in and connects, and returns once Discord has announced the servers (or
raises a `ConfigError` in plain words for a bad token or missing privileged intents, and a
`PlatformUnreachable` when Discord cannot be reached; the app calls `start` again later).
`attach` wires a host without connecting, for tests that drive a client themselves.
Actions live in `DiscordActions`; event mapping in `events`, interactions in
`interactions`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from functools import partial
from typing import TYPE_CHECKING, Any

import aiohttp
import discord

from adapters.discord.actions import DiscordActions
from adapters.discord.client import DiscordOptions, build_client
from adapters.discord.convert import community_of, member_of
from adapters.discord.errors import invalid_token, missing_intents, unreachable
from adapters.discord.events import EventBridge
from adapters.discord.interactions import ACK_AFTER, InteractionRouter
from adapters.discord.inventory import community_facts
from adapters.discord.invocation import author_from_payload
from adapters.discord.mentions import CommandMentions
from adapters.discord.reactions import reactions_on
from adapters.discord.sync import offered, registered_commands, sync_guild
from bot.commands import CommandSpec
from bot.events import Connected, Event
from bot.inventory import CommunityFacts
from bot.model import Community, Member, MessageRef
from bot.outgoing import OutgoingMessage
from bot.platform import ReactionUsers
from bot.settings import Settings

if TYPE_CHECKING:
    from bot.host import Host

log = logging.getLogger(__name__)


class DiscordAdapter(DiscordActions):
    def __init__(
        self,
        options: DiscordOptions,
        *,
        client: discord.Client | None = None,
        ack_after: float = ACK_AFTER,
    ) -> None:
        self.options = options
        self.client = client or build_client(options)
        self._router = InteractionRouter(self, ack_after=ack_after)
        self._host: Host | None = None
        self._payload: list[dict[str, Any]] | None = None
        self._synced: set[int] = set()
        self._mentions = CommandMentions()
        self._ready = asyncio.Event()
        self._connection: asyncio.Task[None] | None = None
        self._install()

    @classmethod
    def from_settings(cls, settings: Settings) -> DiscordAdapter:
        return cls(DiscordOptions.from_settings(settings))

    def attach(self, host: Host) -> None:
        """Deliver this client's events to the host (no connection made)."""
        self._host = host

    async def start(self, host: Host) -> None:
        """Log in and connect; return once ready, or raise a `ConfigError` saying what to fix
        (`PlatformUnreachable`: try again later)."""
        self.attach(host)
        if self.client.is_closed():
            self._renew_client()  # an earlier attempt could not reach Discord
        self.command_payload()  # a declaration Discord cannot show fails here, not later
        log.info("connecting to Discord")
        self._connection = asyncio.create_task(self._connect(), name="discord-gateway")
        ready = asyncio.create_task(self._ready.wait())
        await asyncio.wait({self._connection, ready}, return_when=asyncio.FIRST_COMPLETED)
        if self._connection.done():
            ready.cancel()
            self._connection.result()
            return
        self._connection.add_done_callback(partial(_report_lost_connection, host))

    async def stop(self) -> None:
        await self.client.close()
        if self._connection is not None:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._connection

    # --- what events and interactions need -------------------------------------------------

    async def dispatch(self, event: Event) -> None:
        if self._host is None:
            log.warning("event before the host was attached, dropped: %r", event)
            return
        await self._host.deliver(event)

    def serves(self, guild_id: int) -> bool:
        """Whether this server is one the bot works on: all, unless DISCORD_GUILD_IDS; and
        with DISCORD_SHARD_IDS only those on this process's shards (another process has
        the rest, so an event for one of them here is not this process's to act on)."""
        if self.options.guild_ids and guild_id not in self.options.guild_ids:
            return False
        shards = self.options.shards
        return shards is None or shards.holds(guild_id)

    def command_spec(self, path: str) -> CommandSpec | None:
        if self._host is None:
            return None
        return self._host.declarations.commands.get(path)

    async def member_by_id(self, guild_id: int, user_id: int, community: Community) -> Member:
        """A member from the cache, else one lookup; a bare member if they have left."""
        found = await self._lookup(guild_id, user_id)
        if found is not None:
            return member_of(found, community)
        return author_from_payload({"id": user_id, "username": str(user_id)}, community)

    async def author_of(self, data: Mapping[str, Any], community: Community) -> Member:
        found = await self._lookup(int(community.id), int(data["id"]))
        return member_of(found, community) if found else author_from_payload(data, community)

    async def reactions(self, message: MessageRef) -> list[ReactionUsers]:
        return await reactions_on(self.client, self._messageable(message.channel), message)

    def is_connected(self) -> bool:
        """Whether every gateway session is up now (/readyz). discord.py stays "ready" while
        it reconnects after a network drop, so the sockets themselves are asked."""
        client = self.client
        if not client.is_ready() or client.is_closed():
            return False
        if isinstance(client, discord.AutoShardedClient):
            return all(not shard.is_closed() for shard in client.shards.values())
        return client.ws is not None and client.ws.open

    async def connected(self) -> None:
        """Tell the cogs each served server is reachable again: reaction events sent while
        the gateway was down (before a READY or a RESUMED) were never delivered."""
        for guild in self.client.guilds:
            if self.serves(guild.id):
                await self.dispatch(Connected(community_of(guild)))

    async def inspect_communities(self) -> list[CommunityFacts]:
        """The servers the bot works on, as the gateway announced them."""
        return [community_facts(g) for g in self.client.guilds if self.serves(g.id)]

    # --- commands --------------------------------------------------------------------------

    def with_command_mentions(self, community_id: str, message: OutgoingMessage) -> OutgoingMessage:
        """`message` with its command references as mentions (see adapters/discord/mentions)."""
        return self._mentions.apply(community_id, message)

    def command_payload(self) -> list[dict[str, Any]]:
        """The application commands for every server, built once from the declarations."""
        if self._payload is None:
            assert self._host is not None, "attach a host first"
            declarations = self._host.declarations
            self._payload = offered(
                list(declarations.commands.values()),
                list(declarations.message_commands.values()),
                self.capabilities,
                declarations.texts,
            )
        return self._payload

    async def sync_commands(self, guilds: list[discord.Guild]) -> None:
        """Register the commands on servers that do not have this run's set yet."""
        if not self.options.sync_commands:
            await self._learn_command_ids(guilds)
            return
        for guild in guilds:
            if guild.id in self._synced or not self.serves(guild.id):
                continue
            self._synced.add(guild.id)
            learn = partial(self._mentions.record, str(guild.id))
            if not await sync_guild(self.client, guild, self.command_payload(), learn):
                self._synced.discard(guild.id)

    async def _learn_command_ids(self, guilds: list[discord.Guild]) -> None:
        """Without registering, read each server's commands once, for their ids (mentions)."""
        for guild in guilds:
            if guild.id in self._synced or not self.serves(guild.id):
                continue
            commands = await registered_commands(self.client, guild)
            if commands is not None:
                self._synced.add(guild.id)
                self._mentions.record(str(guild.id), commands)

    # --- wiring ----------------------------------------------------------------------------

    def _renew_client(self) -> None:
        """A new client in place of one closed after a failed attempt: discord.py's cannot
        log in again once closed (its HTTP session and connector are gone)."""
        self.client = build_client(self.options)
        self._install()

    def _install(self) -> None:
        EventBridge(self).install(self.client)
        router = self._router
        client = self.client

        async def on_ready() -> None:
            self._ready.set()
            assert client.user is not None
            log.info("on Discord as %s in %d servers", client.user, len(client.guilds))
            await self.sync_commands(list(client.guilds))
            await self.connected()

        async def on_resumed() -> None:
            log.info("Discord session resumed")
            await self.connected()

        async def on_guild_join(guild: discord.Guild) -> None:
            await self.sync_commands([guild])

        handlers = {
            "on_ready": on_ready,
            "on_resumed": on_resumed,
            "on_guild_join": on_guild_join,
            "on_guild_available": on_guild_join,
            "on_interaction": router.on_interaction,
            "button_pressed": router.button_pressed,  # see buttons.ActionButton
        }
        for name, handler in handlers.items():
            setattr(client, name, handler)

    async def _connect(self) -> None:
        try:
            await self.client.start(self.options.token.get_secret_value())
        except discord.LoginFailure:
            raise invalid_token() from None
        except discord.PrivilegedIntentsRequired:
            raise missing_intents() from None
        except (
            OSError,
            aiohttp.ClientError,
            discord.DiscordServerError,
            discord.GatewayNotFound,
        ) as error:
            if self._ready.is_set():
                raise
            raise unreachable(error) from None
        finally:
            if not self.client.is_closed():
                await self.client.close()

    async def _lookup(self, guild_id: int, user_id: int) -> discord.Member | None:
        guild = self.client.get_guild(guild_id)
        if guild is None:
            return None
        member = guild.get_member(user_id)
        if member is not None:
            return member
        try:
            return await guild.fetch_member(user_id)
        except discord.NotFound:
            return None
        except (discord.HTTPException, aiohttp.ClientError, TimeoutError) as error:
            # The event is still handled, with what the payload says of the member.
            log.warning("could not look up member %s of server %s: %s", user_id, guild_id, error)
            return None


def _report_lost_connection(host: Host, task: asyncio.Task[None]) -> None:
    if task.cancelled():
        return
    error = task.exception()
    if error is not None:
        host.fail(f"the Discord connection ended and will not come back: {error}")
