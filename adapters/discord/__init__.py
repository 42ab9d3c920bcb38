"""Discord: discord.py 2.x translated to and from the neutral core (see docs/discord.md)."""

from adapters.discord.adapter import DiscordAdapter
from adapters.discord.client import DiscordOptions

__all__ = ["DiscordAdapter", "DiscordOptions"]
