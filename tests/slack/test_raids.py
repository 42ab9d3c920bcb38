"""Raid measures on Slack, end to end: Slack has no slow mode, no time-outs and no way for a
bot to pause invites, so a wave's alert says each configured measure was not available and
the bot does nothing in its place; the controls still end the raid state, for moderators
only."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from slack_harness import SlackRig, open_rig
from slack_harness_users import BEN, MO, MODERATORS

from bot.clock import VirtualClock
from bot.settings import Settings

CONFIG = """
[welcome.rules]
enabled = true

[welcome.waves]
joins = 3

[welcome.raids]
slow_mode_channels = ["general"]
timeout_younger_than_hours = 24
pause_invites = true
require_rules = true
"""


@pytest.fixture
async def raided(
    settings: Settings, clock: VirtualClock, write_config: Callable[[str], Path]
) -> AsyncIterator[SlackRig]:
    write_config(CONFIG)
    async with open_rig(settings, clock) as opened:
        for n in (1, 2, 3):
            user = opened.fake.add_user(f"U0RAID{n}", f"Raider{n}")
            await opened.event({"type": "team_join", "user": user})
        yield opened


def alert_text(rig: SlackRig) -> str:
    [alert] = rig.fake.posts_in(MODERATORS)
    return rig.fake.message(MODERATORS, alert.ts).text


async def test_the_alert_says_each_measure_is_not_available_on_slack(raided: SlackRig) -> None:
    text = alert_text(raided)
    assert "Slow mode 30s in #general: not available on Slack" in text
    assert "Invites paused: not available on Slack" in text
    assert "Time-outs for new accounts: not available on Slack" in text
    # Removing a newcomer's message needs the admin user token (docs/slack.md).
    assert "post only after accepting the rules: not available on Slack" in text
    assert "done" not in text


async def test_only_a_moderators_reaction_ends_the_raid_state(raided: SlackRig) -> None:
    [alert] = raided.fake.posts_in(MODERATORS)
    await raided.react(BEN, MODERATORS, alert.ts, "black_square_for_stop")
    assert "React ↩️ to undo all of this" in alert_text(raided)
    await raided.react(MO, MODERATORS, alert.ts, "black_square_for_stop")
    text = alert_text(raided)
    assert "Raid state ended" in text and "<@U0MO>" in text


async def test_undo_again_on_slack_finds_nothing_to_retry_and_claims_nothing(
    raided: SlackRig,
) -> None:
    """Nothing was done on Slack, so nothing was refused to take back: a second ↩️ (taken
    off and added again) changes nothing, and the alert never offers a retry."""
    [alert] = raided.fake.posts_in(MODERATORS)
    undo = "leftwards_arrow_with_hook"
    await raided.react(MO, MODERATORS, alert.ts, undo)
    first = alert_text(raided)
    assert "Raid measures undone" in first and "<@U0MO>" in first
    await raided.react(MO, MODERATORS, alert.ts, undo, added=False)
    await raided.react(MO, MODERATORS, alert.ts, undo)
    assert alert_text(raided) == first
    assert "again" not in first and "taken back" not in first
