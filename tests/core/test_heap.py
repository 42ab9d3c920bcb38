"""A compiled rule set is kept out of the collector's full collections while the bot runs
(bot/heap.py: a full collection walking a 10,000-keyword rule set stalled every message
behind it), and given back when the bot closes."""

from __future__ import annotations

import gc

from adapters.local import LocalCommunity
from bot.app.local_session import LocalSession
from bot.clock import VirtualClock
from bot.settings import Settings

RULES = """
[[moderation.rules]]
name = "swearing"
type = "keywords"
keywords = ["darn"]
"""


async def test_a_compiled_rule_set_is_frozen_until_the_bot_closes(
    settings: Settings, clock: VirtualClock, write_config: object
) -> None:
    write_config(RULES)  # type: ignore[operator]
    community = LocalCommunity()
    community.add_member("Ben")
    session = await LocalSession.open(settings, clock=clock, community=community)
    try:
        gc.unfreeze()  # whatever an earlier test left
        await community.post(community.member("Ben"), "#general", "darn")
        assert gc.get_freeze_count() > 0
        assert len(community.read("#moderators")) == 1  # the compiled set did its work
    finally:
        await session.app.close()
    assert gc.get_freeze_count() == 0
