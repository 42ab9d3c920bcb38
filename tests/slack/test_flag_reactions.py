"""A flag's reactions on Slack: one outbox entry adds them all, in order; Slack's
``already_reacted`` makes a repeat after a crash or an outage complete instead of fail."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from pathlib import Path

import pytest
from slack_fake_api import ADMIN_TOKEN, BOT_USER
from slack_harness import SlackRig, open_rig
from slack_harness_users import BEN, GENERAL, MODERATORS

from bot.clock import VirtualClock
from bot.settings import Settings

RULES = """
[[moderation.rules]]
name = "scam"
type = "keywords"
keywords = ["cheap pills"]
"""
# The reactions a flag offers on Slack (it can neither time out nor ban), mildest first.
FLAG_REACTIONS = ["white_check_mark", "wastebasket", "warning", "boot"]


@pytest.fixture
async def moderated(
    settings: Settings, clock: VirtualClock, write_config: Callable[[str], Path]
) -> AsyncIterator[SlackRig]:
    write_config(RULES)
    async with open_rig(settings, clock, admin_token=ADMIN_TOKEN) as opened:
        yield opened


async def flag_reactions(rig: SlackRig) -> dict[str, list[str]]:
    [flag] = rig.fake.posts_in(MODERATORS)
    return flag.reactions


async def react_all_status(rig: SlackRig) -> str:
    row = await rig.app.services.db.fetch_one("SELECT status FROM outbox WHERE kind = 'react_all'")
    assert row is not None
    return str(row["status"])


async def retry(rig: SlackRig) -> None:
    rig.clock.advance(timedelta(minutes=1))
    await rig.app.services.outbox.run_due()


async def test_a_flag_gets_its_reactions_in_order_from_one_entry(moderated: SlackRig) -> None:
    await moderated.message(BEN, GENERAL, "buy cheap pills now")

    added = [call.params["name"] for call in moderated.fake.called("reactions.add")]
    assert added == FLAG_REACTIONS
    assert await flag_reactions(moderated) == {name: [BOT_USER] for name in FLAG_REACTIONS}
    assert await react_all_status(moderated) == "delivered"


async def test_reactions_cut_off_by_a_crash_are_completed_not_failed(
    moderated: SlackRig,
) -> None:
    await moderated.message(BEN, GENERAL, "buy cheap pills now")
    reactions = await flag_reactions(moderated)
    for name in FLAG_REACTIONS[2:]:  # the crash came after the second reaction
        del reactions[name]
    services = moderated.app.services
    await services.db.execute("UPDATE outbox SET status = 'running' WHERE kind = 'react_all'")
    await services.outbox.start()

    await retry(moderated)

    assert await flag_reactions(moderated) == {name: [BOT_USER] for name in FLAG_REACTIONS}
    assert await react_all_status(moderated) == "delivered"


async def test_a_rate_limited_reaction_is_retried_and_the_set_completed(
    moderated: SlackRig,
) -> None:
    moderated.fake.fail("reactions.add", status=200, error="ratelimited")
    await moderated.message(BEN, GENERAL, "buy cheap pills now")
    assert await react_all_status(moderated) == "pending"

    await retry(moderated)

    assert await flag_reactions(moderated) == {name: [BOT_USER] for name in FLAG_REACTIONS}
    assert await react_all_status(moderated) == "delivered"
