"""What one bot process serves: which platforms, and on Discord which shards and servers.

With several processes on one database, each takes only the work of communities it
serves (scheduled jobs, outbox deliveries), so a Slack-only process never posts a Discord
follow-up and a process never acts on a server whose events another process receives.
The description is neutral (no discord.py): the scheduler and the delivery loop ask
`Serves.serves(community)`; the Discord adapter asks the same of a server id.

Discord assigns each server to one shard: ``shard = (guild_id >> 22) % shard_count``
(Discord's documented formula; the top bits of a snowflake are its creation time). Every
process must therefore use the same ``DISCORD_SHARD_COUNT``.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.model import Community
from bot.settings import Settings


def shard_of(guild_id: int, shard_count: int) -> int:
    """The shard Discord sends a server's events to."""
    return (guild_id >> 22) % shard_count


@dataclass(frozen=True)
class DiscordShards:
    """A share of a bot's shards: these ids, out of ``count`` shards in all."""

    ids: frozenset[int]
    count: int

    def holds(self, guild_id: int) -> bool:
        return shard_of(guild_id, self.count) in self.ids


@dataclass(frozen=True)
class Serves:
    """The communities a process works for.

    ``discord_shards`` None means every shard (one connection, or every shard of an
    `AutoShardedClient`); ``discord_guilds`` empty means every server on those shards
    (``DISCORD_GUILD_IDS`` narrows it).
    """

    platforms: frozenset[str]
    discord_shards: DiscordShards | None = None
    discord_guilds: frozenset[int] = frozenset()

    @classmethod
    def from_settings(cls, settings: Settings) -> Serves:
        """What a process started with these settings serves; the local community when no
        platform token is set (the console and scripts)."""
        platforms = {
            name
            for name, wanted in (
                ("discord", settings.wants_discord),
                ("slack", settings.wants_slack),
            )
            if wanted
        }
        return cls(
            platforms=frozenset(platforms or {"local"}),
            discord_shards=discord_shards(settings),
            discord_guilds=frozenset(settings.discord_guild_ids),
        )

    def serves(self, community: Community) -> bool:
        if community.platform not in self.platforms:
            return False
        if community.platform != "discord":
            return True
        try:
            guild_id = int(community.id)
        except ValueError:
            return False
        return self.serves_guild(guild_id)

    def serves_guild(self, guild_id: int) -> bool:
        """Whether a Discord server is this process's: on its shards and, with
        ``DISCORD_GUILD_IDS``, listed there."""
        if self.discord_guilds and guild_id not in self.discord_guilds:
            return False
        return self.discord_shards is None or self.discord_shards.holds(guild_id)


def discord_shards(settings: Settings) -> DiscordShards | None:
    """The shard share named by ``DISCORD_SHARD_IDS``; None when the process runs them all."""
    count, ids = settings.discord_shard_count, settings.discord_shard_ids
    if ids is None or not isinstance(count, int) or set(ids) == set(range(count)):
        return None
    return DiscordShards(frozenset(ids), count)
