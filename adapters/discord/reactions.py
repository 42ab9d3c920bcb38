"""Reading who reacted to a message, for catching up after a reconnect or resume.

The message is fetched, never taken from the cache: the cache was filled before the outage
and misses every reaction made during it. `Reaction.users()` pages through Discord's
reaction-users endpoint 100 users at a time, so a popular tracker is read whole.
"""

from __future__ import annotations

from typing import Any

import discord

from adapters.discord.errors import translated
from bot.model import MessageRef, UserRef
from bot.platform import ReactionUsers


async def reactions_on(
    client: discord.Client, messageable: Any, message: MessageRef
) -> list[ReactionUsers]:
    """Every emoji on the message with the users behind it, the bot left out; emoji are
    spelled as in live reaction events (``str`` of the emoji)."""
    where = f"#{message.channel.name}" if message.channel.name else "that channel"
    me = client.user.id if client.user is not None else None
    found: list[ReactionUsers] = []
    with translated(f"read the reactions in {where}", "Read Message History"):
        fetched: discord.Message = await messageable.fetch_message(int(message.id))
        for reaction in fetched.reactions:
            users = tuple(
                [
                    UserRef(message.community, str(user.id))
                    async for user in reaction.users(limit=None)
                    if user.id != me
                ]
            )
            if users:
                found.append(ReactionUsers(str(reaction.emoji), users))
    return found
