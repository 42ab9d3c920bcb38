"""A flag's reactions on Discord: one outbox entry adds them in order, one request each
(Discord has no bulk route), and an emoji Discord refuses costs none of the others."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

import discord
import pytest

CONFIG = """
[[moderation.rules]]
name = "scam"
type = "keywords"
keywords = ["cheap pills"]
"""
# The moderation cog's default reactions, mildest first.
FLAG_REACTIONS = ["✅", "🗑️", "⚠️", "🔇", "👢", "🔨"]


@pytest.fixture
async def world(make_world: Any, write_config: Callable[[str], Path]) -> Any:
    write_config(CONFIG)
    async with make_world() as opened:
        yield opened


async def flagged(world: Any) -> discord.Message:
    await world.people["Ben"].send(world.channels["general"], "buy cheap pills now")
    [flag] = world.channels["moderators"].history()
    return flag


def reacted(world: Any, flag: discord.Message) -> list[str]:
    """The emojis the bot reacted with on the flag, in the order of its requests."""
    stored = world.env.backend.get_message(flag.channel.id, flag.id)
    bot_id = world.guild.me.id
    return [
        emoji
        for emoji in FLAG_REACTIONS
        if (reaction := stored.reaction_for(emoji)) is not None and bot_id in reaction.user_ids
    ]


def reaction_requests(world: Any) -> list[str]:
    """The emoji of each reaction request the bot made, in order."""
    return [
        unquote(r.path.split("/reactions/")[1].removesuffix("/@me"))
        for r in world.env.http_requests
        if r.method == "PUT" and "/reactions/" in r.path
    ]


async def outbox_entries(world: Any) -> list[tuple[str, str]]:
    rows = await world.app.services.db.fetch_all(
        "SELECT kind, status FROM outbox WHERE idempotency_key LIKE 'moderation:flag:1:%'"
        " ORDER BY id"
    )
    return [(row["kind"], row["status"]) for row in rows]


async def test_a_flag_gets_its_reactions_in_order_one_request_each(world: Any) -> None:
    flag = await flagged(world)

    assert reaction_requests(world) == FLAG_REACTIONS
    assert reacted(world, flag) == FLAG_REACTIONS
    assert await outbox_entries(world) == [("post", "delivered"), ("react_all", "delivered")]


async def test_an_emoji_discord_refuses_costs_none_of_the_others(
    world: Any, caplog: pytest.LogCaptureFixture
) -> None:
    warning = quote("⚠️")
    world.env.inject_error(
        "PUT", f"/channels/*/reactions/{warning}/@me", status=400, code=10014, message="Unknown"
    )
    flag = await flagged(world)

    assert reacted(world, flag) == [e for e in FLAG_REACTIONS if e != "⚠️"]
    assert await outbox_entries(world) == [("post", "delivered"), ("react_all", "failed")]
    assert "Discord does not know that emoji" in caplog.text
