"""Watch words on Discord: repeats edit one notice in the ambassadors' channel, and a
notice someone deleted is posted again on the next repeat (real discord.py on simcord)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

CONFIG = """
[[moderation.rules]]
name = "refunds"
type = "watch_words"
keywords = ["refund*"]
"""


@pytest.fixture
async def world(make_world: Any, write_config: Callable[[str], Path]) -> Any:
    write_config(CONFIG)
    async with make_world() as opened:
        yield opened


async def test_three_mentions_are_one_notice_edited_in_place(world: Any) -> None:
    general = world.channels["general"]
    for text in ("when is my refund?", "refund please", "REFUND!!"):
        await world.people["Ben"].send(general, text)
    [notice] = world.channels["ambassadors"].history()
    shown = world.text_of(notice)
    assert "Ben mentioned refunds 3 times since" in shown and "REFUND!!" in shown
    assert notice.edited_at is not None
    stored = world.env.backend.get_message(notice.channel.id, notice.id)
    assert stored.ping_user_ids == []


async def test_a_deleted_notice_is_posted_again_on_the_next_repeat(world: Any) -> None:
    general, ambassadors = world.channels["general"], world.channels["ambassadors"]
    await world.people["Ben"].send(general, "when is my refund?")
    [first] = ambassadors.history()
    await world.people["Alice"].delete(first)
    await world.people["Ben"].send(general, "refund please")
    [again] = ambassadors.history()
    assert again.id != first.id
    assert "Ben mentioned refunds 2 times since" in world.text_of(again)
