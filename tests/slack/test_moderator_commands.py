"""Moderators' direct actions on Slack: what Slack can do (warn, kick from channels, notes,
appeals, /audit) works; what it cannot (ban, timeout and lifting them) is refused with what
to do instead, and nothing is recorded."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from slack_harness import SlackRig, open_rig
from slack_harness_users import BEN, MO, MODERATORS

from bot.clock import VirtualClock
from bot.settings import Settings


@pytest.fixture
async def rig(
    settings: Settings, clock: VirtualClock, write_config: Callable[[str], Path]
) -> AsyncIterator[SlackRig]:
    write_config("")
    async with open_rig(settings, clock) as opened:
        yield opened


async def test_warn_on_slack_records_and_tells_the_member_by_dm(rig: SlackRig) -> None:
    await rig.command(MO, "/warn <@U0BEN|ben> stop the spam")
    assert any("Ben is warned (infraction #1" in t for t in rig.fake.private_to(MO))
    dms = [c for c in rig.fake.called("chat.postMessage") if c.params["channel"] == "D" + BEN]
    assert len(dms) == 1 and "stop the spam" in dms[0].params["text"]
    assert any("action by Mo" in m.text for m in rig.fake.posts_in(MODERATORS))


async def test_ban_and_timeout_are_refused_on_slack_with_what_to_do_instead(
    rig: SlackRig,
) -> None:
    for line in ("/ban <@U0BEN|ben> spam", "/timeout <@U0BEN|ben> 1h spam", "/unban ben sorry"):
        await rig.command(MO, line)
        told = rig.fake.private_to(MO)[-1]
        assert "Slack cannot" in told and "admin settings" in told, line
    assert rig.fake.called("admin.users.remove") == []
    assert rig.fake.posts_in(MODERATORS) == []


async def test_a_member_cannot_warn_on_slack(rig: SlackRig) -> None:
    await rig.command(BEN, "/warn <@U0MO|mo> payback")
    assert "only members with the moderator role" in rig.fake.private_to(BEN)[-1]
    assert rig.fake.posts_in(MODERATORS) == []
