"""Watch words on Slack: repeats update one notice in the ambassadors' channel
(chat.update), and a notice someone deleted is posted again on the next repeat."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from slack_fake_api import shown
from slack_harness import SlackRig, open_rig
from slack_harness_users import AMBASSADORS, BEN, GENERAL

from bot.clock import VirtualClock
from bot.settings import Settings

RULES = """
[[moderation.rules]]
name = "refunds"
type = "watch_words"
keywords = ["refund*"]
"""


@pytest.fixture
async def rig(
    settings: Settings, clock: VirtualClock, write_config: Callable[[str], Path]
) -> AsyncIterator[SlackRig]:
    write_config(RULES)
    async with open_rig(settings, clock) as opened:
        yield opened


async def test_three_mentions_are_one_notice_updated_in_place(rig: SlackRig) -> None:
    for text in ("when is my refund?", "refund please", "REFUND!!"):
        await rig.message(BEN, GENERAL, text)
    [notice] = rig.fake.posts_in(AMBASSADORS)
    text = shown(notice.text)
    assert "Ben mentioned refunds 3 times since" in text and "REFUND!!" in text
    assert len(rig.fake.called("chat.update")) == 2


async def test_a_deleted_notice_is_posted_again_on_the_next_repeat(rig: SlackRig) -> None:
    await rig.message(BEN, GENERAL, "when is my refund?")
    [first] = rig.fake.posts_in(AMBASSADORS)
    rig.fake.messages.remove(first)  # someone deleted it in Slack
    await rig.message(BEN, GENERAL, "refund please")
    [again] = rig.fake.posts_in(AMBASSADORS)
    assert again.ts != first.ts
    assert "Ben mentioned refunds 2 times since" in shown(again.text)
