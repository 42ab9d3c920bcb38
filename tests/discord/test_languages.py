"""Channel languages and language teams on Discord: a ticket opened in the German channel
asks the German team (its role) in its thread first and every ambassador after the
first-response target; a newcomer is welcomed in the welcome channel of their language."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

CONFIG = """
[community]
locale = "de"

[community.languages]
channels = { "general-de" = "de" }
roles = { de = ["Team DE"] }
welcome = { de = "willkommen" }

[tickets]
cooldown = "off"
first_response_target = "24h"
"""


@pytest.fixture
async def world(make_world: Any, write_config: Callable[[str], Path]) -> Any:
    write_config(CONFIG)
    async with make_world() as opened:
        for name in ("general-de", "willkommen"):
            opened.channels[name] = opened.guild.create_text_channel(name)
        opened.roles["Team DE"] = opened.guild.create_role("Team DE")
        opened.join("Lena", "Ambassadors", "Team DE")
        await opened.env.settle()
        yield opened


async def run_due(world: Any, delta: timedelta) -> None:
    world.clock.advance(delta)
    await world.app.services.scheduler.run_due()
    await world.app.services.outbox.run_due()
    await world.env.settle()


async def test_a_german_ticket_asks_the_german_team_then_every_ambassador(world: Any) -> None:
    ben = world.people["Ben"]
    await ben.slash(world.channels["general-de"], "ticket open", title="Dunkler Modus")
    await world.env.settle()
    (thread,) = world.channels["tickets"].threads
    opening = thread.history()[0]
    team_de, ambassadors = world.roles["Team DE"], world.roles["Ambassadors"]
    assert f"<@&{team_de.id}>" in opening.content
    stored = world.env.backend.get_message(opening.channel.id, opening.id)
    assert stored.ping_role_ids == [team_de.id]
    assert world.channels["ambassadors"].history() == []
    await run_due(world, timedelta(hours=25))
    (ping,) = world.channels["ambassadors"].history()
    pinged = world.env.backend.get_message(ping.channel.id, ping.id)
    assert pinged.ping_role_ids == [ambassadors.id]
    assert "#1" in ping.content


async def test_a_newcomer_is_welcomed_in_the_channel_of_their_language(world: Any) -> None:
    zoe = world.join("Zoe")  # Discord tells no locale on join: the community's (de) applies
    await world.env.settle()
    welcomes = [m for m in world.channels["willkommen"].history() if zoe.mention in m.content]
    assert len(welcomes) == 1
    assert any(w in welcomes[0].content for w in ("Willkommen", "Hallo", "willkommen"))
    assert world.channels["welcome"].history() == []


async def test_who_may_declare_languages_is_checked_before_the_codes(world: Any) -> None:
    """A member without the role, or a moderator setting someone else's languages, is
    refused the same whatever they typed; an unknown code is explained only to staff."""
    general, amy = world.channels["general"], world.people["Amy"].user
    refused = await world.people["Ben"].slash(general, "languages set", languages="klingon")
    assert "this command is not for you" in world.text_of(refused.response)
    refused = await world.people["Mo"].slash(
        general, "languages set", languages="klingon", member=amy
    )
    assert world.text_of(refused.response).startswith("Only admins")
    explained = await world.people["Amy"].slash(general, "languages set", languages="klingon")
    assert "“klingon” is not a language I speak" in world.text_of(explained.response)
