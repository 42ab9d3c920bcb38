"""The discord.py client: which intents, which caches, one connection or shards.

Built for big servers: members are not chunked at start-up (a 100 000-member server would
otherwise download every member before the bot answers anyone), only members seen joining
or fetched are cached, and message events carry everything the cogs need. With a shard
count configured the client is an `AutoShardedClient`; with shard ids too, it connects
only those shards (the others run in other processes, docs/scaling.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import discord
from pydantic import SecretStr

from adapters.discord.buttons import ActionButton
from bot.serving import DiscordShards
from bot.settings import Settings

# Seconds discord.py waits for the remaining servers to arrive before announcing "ready";
# its default, kept explicit so tests can shorten it.
GUILD_READY_TIMEOUT = 2.0


def intents() -> discord.Intents:
    """Exactly the gateway events the features use.

    ``members`` and ``message_content`` are privileged: they must also be switched on in
    the developer portal (docs/discord.md).
    """
    chosen = discord.Intents.none()
    chosen.guilds = True  # servers, channels, threads and roles
    chosen.members = True  # joins (welcome) and member roles
    chosen.guild_messages = True  # messages and edits (moderation, reports)
    chosen.message_content = True  # the text of those messages
    chosen.guild_reactions = True  # moderators deciding on flags; votes on tickets
    chosen.auto_moderation_execution = True  # AutoMod's actions, for the flag desk
    return chosen


@dataclass(frozen=True)
class DiscordOptions:
    """The process settings the adapter uses."""

    token: SecretStr = field(repr=False)
    guild_ids: frozenset[int] = frozenset()
    shard_count: int | Literal["auto"] | None = None
    # This process's share of the shards; None runs every shard (settings check the ids).
    shard_ids: frozenset[int] | None = None
    sync_commands: bool = True
    chunk_members: bool = False
    guild_ready_timeout: float = GUILD_READY_TIMEOUT

    @classmethod
    def from_settings(cls, settings: Settings) -> DiscordOptions:
        return cls(
            token=settings.discord_token or SecretStr(""),
            guild_ids=frozenset(settings.discord_guild_ids),
            shard_count=settings.discord_shard_count,
            shard_ids=(
                None
                if settings.discord_shard_ids is None
                else frozenset(settings.discord_shard_ids)
            ),
            sync_commands=settings.discord_sync_commands,
            chunk_members=settings.discord_chunk_members,
        )

    @property
    def shards(self) -> DiscordShards | None:
        """The shards this process connects, when it connects only some of them."""
        if self.shard_ids is None or not isinstance(self.shard_count, int):
            return None
        return DiscordShards(self.shard_ids, self.shard_count)


def quiet_voice_warnings() -> None:
    """The bot never joins voice, so discord.py's warnings about voice libraries are noise."""
    discord.VoiceClient.warn_nacl = False
    discord.VoiceClient.warn_dave = False


def build_client(options: DiscordOptions) -> discord.Client:
    quiet_voice_warnings()
    chosen = intents()
    common = {
        "intents": chosen,
        "chunk_guilds_at_startup": options.chunk_members,
        "member_cache_flags": discord.MemberCacheFlags.from_intents(chosen),
        # Nothing the bot sends pings anyone unless the message says so explicitly.
        "allowed_mentions": discord.AllowedMentions.none(),
        "guild_ready_timeout": options.guild_ready_timeout,
    }
    client: discord.Client
    if options.shard_count is None:
        client = discord.Client(**common)  # type: ignore[arg-type]
    else:
        count = None if options.shard_count == "auto" else options.shard_count
        ids = None if options.shard_ids is None else sorted(options.shard_ids)
        client = discord.AutoShardedClient(shard_count=count, shard_ids=ids, **common)  # type: ignore[arg-type]
    client.add_dynamic_items(ActionButton)
    return client


# The event `report_uncached_member_updates` adds: ``on_uncached_member_update(member)``.
UNCACHED_MEMBER_UPDATE = "uncached_member_update"


def report_uncached_member_updates(client: discord.Client) -> None:
    """Let a GUILD_MEMBER_UPDATE for a member not in the cache reach the listeners.

    discord.py dispatches ``on_member_update`` only for cached members; for others it
    caches them and says nothing. Members are not chunked at start-up, so after a restart
    the member who passes Membership Screening is usually one of those, and their welcome
    would be lost. discord.py has no public hook for this; its parser table is wrapped
    (the same table its gateway and simcord feed), once per client.
    """
    parsers: dict[str, Any] = client._connection.parsers
    parse = parsers["GUILD_MEMBER_UPDATE"]
    if getattr(parse, "reports_uncached", False):
        return

    def parse_and_report(data: dict[str, Any]) -> None:
        guild = client.get_guild(int(data["guild_id"]))
        user_id = int(data["user"]["id"])
        cached = guild is not None and guild.get_member(user_id) is not None
        parse(data)
        member = guild.get_member(user_id) if guild is not None and not cached else None
        if member is not None:
            client.dispatch(UNCACHED_MEMBER_UPDATE, member)

    parse_and_report.reports_uncached = True  # type: ignore[attr-defined]
    parsers["GUILD_MEMBER_UPDATE"] = parse_and_report
