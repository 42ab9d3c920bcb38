"""One queue: Slack and another platform in one process share one database, so an
ambassador on either side sees every ticket, each with its platform and a link."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from slack_harness import SlackRig, open_rig
from slack_harness_users import AMY, BEN, GENERAL

from adapters.local import LocalCommunity, LocalPlatform
from bot.clock import VirtualClock
from bot.settings import Settings


@dataclass
class TwoPlatforms:
    slack: SlackRig
    local: LocalCommunity


@pytest.fixture
async def both(settings: Settings, clock: VirtualClock) -> AsyncIterator[TwoPlatforms]:
    local = LocalCommunity("Local Demo")
    local.now = clock.now
    local.add_member("Amy", roles=("Ambassadors",))
    local.add_member("Ben")
    async with open_rig(settings, clock, platforms=[LocalPlatform(local)]) as rig:
        local.dispatch = rig.app.dispatcher.dispatch
        yield TwoPlatforms(rig, local)


async def open_one_each(both: TwoPlatforms) -> None:
    await both.local.run(both.local.member("Ben"), "/ticket open Local printer jams")
    await both.slack.command(BEN, "/ticket open Slack login is broken", channel=GENERAL)


async def test_a_slack_ambassador_sees_tickets_from_the_other_platform(both: TwoPlatforms) -> None:
    await open_one_each(both)
    await both.slack.command(AMY, "/ticket list everywhere:yes")
    listing = both.slack.fake.private_to(AMY)[-1]
    assert "Local printer jams" in listing and "Slack login is broken" in listing
    assert "[Lokalmodus] *#1* Local printer jams" in listing  # Amy reads German
    assert "[Slack] *#1* Slack login is broken" in listing
    assert "local:/tickets/" in listing  # the local tracker's link
    assert "https://botschafter-test.slack.com/archives/" in listing


async def test_an_ambassador_on_the_other_platform_sees_the_slack_ticket(
    both: TwoPlatforms,
) -> None:
    await open_one_each(both)
    amy = both.local.member("Amy")
    await both.local.run(amy, "/ticket list everywhere:yes")
    listing = both.local.last_private(amy)
    assert "Slack login is broken" in listing and "Local printer jams" in listing
    assert "https://botschafter-test.slack.com/archives/" in listing


async def test_each_community_keeps_its_own_ticket_numbers_and_list(both: TwoPlatforms) -> None:
    await open_one_each(both)
    await both.slack.command(AMY, "/ticket list")
    listing = both.slack.fake.private_to(AMY)[-1]
    assert "Slack login is broken" in listing and "Local printer jams" not in listing
    assert "#1" in listing


async def test_members_cannot_list_every_platforms_queue(both: TwoPlatforms) -> None:
    await open_one_each(both)
    await both.slack.command(BEN, "/ticket list everywhere:yes")
    refusal = both.slack.fake.private_to(BEN)[-1]
    assert "Local printer jams" not in refusal
    assert "mbassador" in refusal
