"""Channel languages and language teams on Slack: a ticket opened in the German channel
asks the German team (a user group, and the members who declared German) in its thread
first and every ambassador after the first-response target; a German newcomer is
welcomed in the German welcome channel."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from pathlib import Path

import pytest
from slack_fake_api import SlackApiFake, shown
from slack_harness import SlackRig, open_rig
from slack_harness_users import AMBASSADORS, AMY, BEN, MO, TICKETS, WELCOME

from bot.clock import VirtualClock
from bot.settings import Settings

GERMAN, WILLKOMMEN, LENA = "C0GENDE", "C0WILLK", "U0LENA"
# On Slack a user group pings only by its id (S…); names are shown, not pinged.
CONFIG = """
[community.roles]
ambassadors = ["S0AMBS"]

[community.languages]
channels = { "general-de" = "de" }
roles = { de = ["S0TEAMDE"] }
welcome = { de = "willkommen" }

[tickets]
cooldown = "off"
first_response_target = "24h"
"""


def workspace(fake: SlackApiFake) -> None:
    fake.add_user(LENA, "Lena", locale="de-DE")
    fake.groups["S0AMBS"]["users"].append(LENA)
    fake.add_group("S0TEAMDE", "Team DE", [LENA])
    fake.add_channel(GERMAN, "general-de")
    fake.add_channel(WILLKOMMEN, "willkommen")
    for channel in (GERMAN, WILLKOMMEN):
        fake.members[channel] |= {AMY, BEN, LENA}


@pytest.fixture
async def rig(
    settings: Settings, clock: VirtualClock, write_config: Callable[[str], Path]
) -> AsyncIterator[SlackRig]:
    write_config(CONFIG)
    async with open_rig(settings, clock, workspace=workspace) as opened:
        yield opened


async def test_a_german_ticket_asks_the_german_team_then_every_ambassador(rig: SlackRig) -> None:
    await rig.command(AMY, "/languages set de")
    await rig.command(BEN, "/ticket open Dunkler Modus", channel=GERMAN)
    [tracker] = [m for m in rig.fake.posts_in(TICKETS) if m.thread_ts is None]
    opening = next(m for m in rig.fake.posts_in(TICKETS) if m.thread_ts == tracker.ts)
    assert "<!subteam^S0TEAMDE> <@U0AMY>" in opening.text
    assert "this ticket is in *German*" in shown(opening.text)
    assert rig.fake.posts_in(AMBASSADORS) == []
    rig.clock.advance(timedelta(hours=25))
    await rig.app.services.scheduler.run_due()
    await rig.app.services.outbox.run_due()
    [ping] = rig.fake.posts_in(AMBASSADORS)
    assert ping.text.startswith("<!subteam^S0AMBS>")
    assert "#1" in shown(ping.text)


async def test_a_german_newcomer_is_welcomed_in_the_german_welcome_channel(
    rig: SlackRig,
) -> None:
    user = rig.fake.add_user("U0NIA", "Nia", locale="de-DE")
    await rig.event({"type": "team_join", "user": user})
    [welcome] = rig.fake.posts_in(WILLKOMMEN)
    assert "<@U0NIA>" in welcome.text
    assert rig.fake.posts_in(WELCOME) == []


async def test_who_may_declare_languages_is_checked_before_the_codes(rig: SlackRig) -> None:
    """A member without the role, or a moderator setting someone else's languages, is
    refused the same whatever they typed; an unknown code is explained only to staff."""
    await rig.command(BEN, "/languages set klingon")
    assert "this command is not for you" in shown(rig.fake.private_to(BEN)[-1])
    await rig.command(MO, f"/languages set klingon member:<@{AMY}>")
    assert shown(rig.fake.private_to(MO)[-1]).startswith("Only admins")
    await rig.command(AMY, "/languages set klingon")
    assert "„klingon“ ist keine Sprache" in shown(rig.fake.private_to(AMY)[-1])  # Amy reads German
