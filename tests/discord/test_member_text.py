"""On Discord: member text passes the community's rules before the bot posts it, and a
public kudos speaks the community's language, not the giver's (whose own answers stay
in theirs)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

CONFIG = """
[community]
locale = "de"

[tickets]
cooldown = "off"

[[moderation.rules]]
name = "scam"
type = "keywords"
keywords = ["cheap pills"]
"""


@pytest.fixture
async def world(make_world: Any, write_config: Callable[[str], Path]) -> Any:
    write_config(CONFIG)
    async with make_world() as opened:
        yield opened


async def test_a_ticket_title_that_breaks_a_rule_is_refused_and_flagged(world: Any) -> None:
    ben = world.people["Ben"]
    answer = await ben.slash(
        world.channels["general"], "ticket open", title="Where to buy cheap pills"
    )
    assert "breaks the community rule “scam”" in world.text_of(answer.response)
    assert world.channels["tickets"].history() == []
    flag, *_ = world.channels["moderators"].history()
    assert "Where to buy cheap pills" in world.text_of(flag)


async def test_a_kudos_reason_is_checked_and_the_thanks_are_in_german(world: Any) -> None:
    ben = world.people["Ben"]
    general = world.channels["general"]
    amy = world.people["Amy"].user
    refused = await ben.slash(general, "kudos give", member=amy, reason="cheap pills here")
    assert "breaks the community rule “scam”" in world.text_of(refused.response)
    await ben.slash(general, "kudos give", member=amy, reason="for the quick fix")
    await world.env.settle()
    thanks = [world.text_of(m) for m in general.history() if "quick fix" in world.text_of(m)]
    assert thanks and "dankt" in thanks[-1]
