"""Long answers arrive whole on Discord: split into messages, never cut at 2,000 characters."""

from __future__ import annotations

import json
from typing import Any

import pytest

from adapters.discord.render import EMBED_TOTAL_LIMIT, render_message
from bot.outgoing import Button, Field, Markup, OutgoingMessage, rich

CONTENT_LIMIT = 2000


@pytest.fixture
async def world(make_world: Any) -> Any:
    async with make_world() as opened:  # every shipped cog, as in a real deployment
        yield opened


def answer(result: Any) -> list[str]:
    messages = [result.response, *result.followups]
    assert all(m.ephemeral for m in messages), "a private answer stays private in every part"
    return [m.content for m in messages]


async def test_an_admins_help_lists_every_command_across_messages(world: Any) -> None:
    result = await world.people["Alice"].slash(world.channels["general"], "help")
    parts = answer(result)
    assert len("\n".join(parts)) > CONTENT_LIMIT, "the admin's help is longer than a message"
    assert all(len(part) <= CONTENT_LIMIT for part in parts)
    whole = "\n".join(parts)
    registered = world.app.dispatcher.commands
    missing = [path for path in registered if f"/{path}" not in whole]
    assert missing == [], "every command the admin may use is listed"
    assert "Report message" in parts[-1], "down to the last line"


async def test_config_show_arrives_whole_with_balanced_code_blocks(world: Any) -> None:
    result = await world.people["Alice"].slash(world.channels["general"], "config show")
    parts = answer(result)
    assert len(parts) > 1 and all(len(part) <= CONTENT_LIMIT for part in parts)
    assert all(part.count("```") % 2 == 0 for part in parts), "every part closes its block"
    inside = [part.split("```\n", 1)[1].removesuffix("\n```") for part in parts]
    config = await world.app.services.config.get(world.community)
    assert json.loads("\n".join(inside)) == config.shown(), "the whole configuration, as JSON"


def test_a_long_embed_continues_in_further_embeds_within_the_total() -> None:
    message = OutgoingMessage(
        title=rich(Markup("Flag #1")),
        text=rich("d" * 5000),
        fields=tuple(Field(rich(f"field {n}"), rich("v" * 1500)) for n in range(30)),
        buttons=(Button("flag:dismiss:1", "Dismiss"),),
    )
    parts = render_message(message)
    embeds = [embed for part in parts for embed in part.embeds]
    assert all(len(part.embeds) == 1 for part in parts)
    assert all(len(embed) <= EMBED_TOTAL_LIMIT for embed in embeds)
    assert all(len(embed.fields) <= 25 for embed in embeds)
    assert all(len(f.value) <= 1024 and len(f.name) <= 256 for e in embeds for f in e.fields)
    descriptions = "".join(e.description or "" for e in embeds)
    assert descriptions == "d" * 5000
    values = "".join(f.value for e in embeds for f in e.fields)
    assert values == "v" * 1500 * 30, "nothing is cut"
    assert embeds[0].title == "Flag #1"
    assert [part.view is not None for part in parts] == [False] * (len(parts) - 1) + [True]
