"""The community check on Slack: a configured channel that is not there is said at start-up,
in ``config check --platform`` and to the admins; ``/config set`` refuses one."""

from __future__ import annotations

import io
import logging
from collections.abc import Callable
from pathlib import Path

import pytest
from pydantic import SecretStr
from slack_fake_api import APP_TOKEN, BOT_TOKEN, BOT_USER, TEAM_ID, SlackApiFake
from slack_harness import open_rig
from slack_harness_users import ALICE, AMBASSADORS, TICKETS, seed

from bot.app.community_check import check_at_startup, check_platforms, print_reports, survey
from bot.clock import VirtualClock
from bot.settings import Settings

WHERE = f"slack:{TEAM_ID} (Botschafter Test)"


async def test_a_missing_channel_is_said_at_start_up_in_the_check_and_to_the_admins(
    settings: Settings,
    clock: VirtualClock,
    write_config: Callable[[str], Path],
    caplog: pytest.LogCaptureFixture,
) -> None:
    write_config('[community.channels]\ntickets = "support"\n')
    async with open_rig(settings, clock) as rig:
        with caplog.at_level(logging.WARNING):
            await check_at_startup(rig.app.services)
        assert (
            f"{WHERE}: The channel “support” (community.channels.tickets) does not exist, or "
            "the bot cannot see it. Channels the bot can see: #ambassadors, #general, "
            "#moderators, #rules, #tickets, #welcome." in caplog.messages
        )
        (told,) = rig.fake.posts_in(AMBASSADORS)
        assert "“support” (community.channels.tickets) does not exist" in told.text
        out = io.StringIO()
        assert print_reports(await survey(rig.app.services), rig.app.services, out) == 1
        assert out.getvalue().startswith(f"{WHERE}: 1 problem\n  - The channel “support”")


def _private_tickets_without_the_bot(fake: SlackApiFake) -> None:
    fake.channels["C0TICKETS"]["is_private"] = True
    fake.members["C0TICKETS"].discard("U0BOT")


async def test_a_private_channel_the_bot_is_not_in_cannot_be_seen(
    settings: Settings, clock: VirtualClock
) -> None:
    async with open_rig(settings, clock, workspace=_private_tickets_without_the_bot) as rig:
        (report,) = await survey(rig.app.services)
        (problem,) = report.problems
        assert problem.text(rig.app.services.i18n).startswith(
            "The channel “tickets” (community.channels.tickets) does not exist, or the bot "
            "cannot see it."
        )


async def test_config_set_of_a_channel_that_does_not_exist_is_refused_with_the_names(
    settings: Settings, clock: VirtualClock
) -> None:
    async with open_rig(settings, clock) as rig:
        await rig.command(ALICE, "/config set community.channels.tickets support")
        reply = rig.fake.private_to(ALICE)[-1]
        assert "That setting was not saved: there is no channel “support” here" in reply
        assert "#ambassadors, #general, #moderators, #rules, #tickets, #welcome" in reply
        config = await rig.app.services.config.get(rig.adapter.community)
        assert config.community.channels.tickets == "tickets"


async def test_config_check_platform_reports_a_channel_to_join_and_joins_nothing(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    """A check changes nothing: the public channel start-up would join is named, not
    joined, and no Socket Mode connection takes events away from the running bot."""
    fake = SlackApiFake()
    seed(fake)
    fake.members[TICKETS].discard(BOT_USER)
    await fake.start()
    try:
        settings.slack_bot_token = SecretStr(BOT_TOKEN)
        settings.slack_app_token = SecretStr(APP_TOKEN)
        settings.slack_api_url = fake.api_url
        out = io.StringIO()
        with caplog.at_level(logging.WARNING, "adapters.slack"):
            assert await check_platforms(settings, out) == 0
    finally:
        await fake.close()
    assert fake.called("conversations.join") == []
    assert BOT_USER not in fake.members[TICKETS]
    assert fake.called("apps.connections.open") == []
    assert (
        "Slack channel #tickets (community.channels.tickets): the bot is not in it yet and "
        "joins it when it starts" in caplog.messages
    )
    assert "problem" not in out.getvalue()  # start-up joins #tickets: nothing to /invite
