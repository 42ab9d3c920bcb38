"""Channel membership: Slack sends a bot no messages and no reactions from a channel it is
not in, even where `chat:write.public` lets it post. Start-up joins the configured public
channels it is not in and names, one line each, the ones an admin must /invite it to."""

from __future__ import annotations

import argparse
import logging

import pytest
from pydantic import SecretStr
from slack_fake_api import BOT_TOKEN, BOT_USER, SIGNING_SECRET, SlackApiFake
from slack_harness import open_rig
from slack_harness_users import BEN, GENERAL, MO, MODERATORS, TICKETS, seed

from adapters.slack.cli import check_tokens
from bot.app.cli import cog_declarations
from bot.clock import VirtualClock
from bot.errors import MissingPermission
from bot.model import ChannelRef
from bot.outgoing import OutgoingMessage
from bot.settings import Settings
from storage.ticket_votes import TicketVoteRepository

INVITE_MODERATORS = (
    "Slack channel #moderators (community.channels.moderators) not found: if it is private, "
    "type /invite @botschafter in it; otherwise create it or correct the setting."
)


def bot_not_in_tickets(fake: SlackApiFake) -> None:
    fake.members[TICKETS].discard(BOT_USER)


def private_moderators(fake: SlackApiFake) -> None:
    """#moderators is private and nobody has invited the bot yet."""
    fake.add_channel(MODERATORS, "moderators", private=True, bot_member=False)
    fake.members[MODERATORS] |= {MO}


def invites(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if "/invite" in r.getMessage()]


async def test_reactions_on_a_tracker_count_once_start_up_joined_its_channel(
    settings: Settings, clock: VirtualClock
) -> None:
    async with open_rig(settings, clock, workspace=bot_not_in_tickets) as rig:
        assert BOT_USER in rig.fake.members[TICKETS]
        await rig.command(BEN, "/ticket open Printer is on fire", channel=GENERAL)
        [tracker] = [m for m in rig.fake.posts_in(TICKETS) if m.thread_ts is None]
        assert await rig.react(MO, TICKETS, tracker.ts, "+1") == 200  # Slack sends it now
        repo = TicketVoteRepository(rig.app.services.db)
        assert await repo.voters(rig.adapter.community.key, 1) == [MO]


async def test_a_private_channel_the_bot_is_not_in_is_named_with_invite_at_start_up(
    settings: Settings, clock: VirtualClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, "adapters.slack")
    async with open_rig(settings, clock, workspace=private_moderators) as rig:
        assert invites(caplog) == [INVITE_MODERATORS]
        assert rig.fake.called("conversations.join") == []
        assert BOT_USER not in rig.fake.members[MODERATORS]


async def test_without_the_join_scope_start_up_says_what_to_do_instead(
    settings: Settings, clock: VirtualClock, caplog: pytest.LogCaptureFixture
) -> None:
    def no_join_scope(fake: SlackApiFake) -> None:
        bot_not_in_tickets(fake)
        fake.scopes = fake.scopes.replace(",channels:join", "")

    caplog.set_level(logging.INFO, "adapters.slack")
    async with open_rig(settings, clock, workspace=no_join_scope):
        [line] = invites(caplog)
        assert line.startswith("Slack channel #tickets (community.channels.tickets): the bot")
        assert "channels:join" in line


async def test_slack_check_names_channels_to_join_and_to_invite_and_changes_nothing(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    fake = SlackApiFake()
    seed(fake)
    private_moderators(fake)
    bot_not_in_tickets(fake)
    await fake.start()
    try:
        settings.slack_bot_token = SecretStr(BOT_TOKEN)
        settings.slack_mode = "http"
        settings.slack_signing_secret = SecretStr(SIGNING_SECRET)
        settings.slack_api_url = fake.api_url
        args = argparse.Namespace(declarations=cog_declarations)
        assert await check_tokens(args, settings) == 1
    finally:
        await fake.close()
    out = capsys.readouterr().out.splitlines()
    assert INVITE_MODERATORS in out
    assert (
        "Slack channel #tickets (community.channels.tickets): the bot is not in it yet and "
        "joins it when it starts." in out
    )
    assert fake.called("conversations.join") == []
    assert BOT_USER not in fake.members[TICKETS]


async def test_outside_a_channel_the_bot_may_post_only_with_chat_write_public_and_reads_nothing(
    settings: Settings, clock: VirtualClock
) -> None:
    async with open_rig(settings, clock) as rig:
        rig.fake.members[TICKETS].discard(BOT_USER)  # removed after start-up
        channel = ChannelRef(rig.adapter.community, TICKETS, "tickets")
        posted = await rig.adapter.send(channel, OutgoingMessage.of("hello"))
        with pytest.raises(MissingPermission, match="not_in_channel"):
            await rig.adapter.fetch_message(posted)
        assert await rig.react(MO, TICKETS, posted.id, "+1") == 0  # Slack sends nothing
        rig.fake.scopes = rig.fake.scopes.replace(",chat:write.public", "")
        with pytest.raises(MissingPermission, match="not_in_channel"):
            await rig.adapter.send(channel, OutgoingMessage.of("again"))
