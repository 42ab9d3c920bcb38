"""The admin user token deletes other people's messages only if Slack lets its user: a
workspace admin or owner, with the chat:write user scope, in the message's channel. What
it cannot do is said at start-up, and a message it could not delete is never "removed"."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import pytest
from slack_fake_api import ADMIN_TOKEN, ADMIN_USER, SlackApiFake, shown
from slack_harness import open_rig
from slack_harness_users import BEN, MO, MODERATORS

from bot.clock import VirtualClock
from bot.platform import Capability
from bot.settings import Settings
from storage.moderation import ModerationRepository

RULES = """
[[moderation.rules]]
name = "scam"
type = "keywords"
keywords = ["cheap pills"]
"""
SECRET = "G0SECRET"


def not_an_admin(fake: SlackApiFake) -> None:
    fake.users[ADMIN_USER]["is_admin"] = False


def without_chat_write(fake: SlackApiFake) -> None:
    fake.admin_scopes = "channels:read"


def warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]


@pytest.mark.parametrize(
    ("workspace", "said"),
    [
        (not_an_admin, "belongs to @owner, who is not a workspace admin or owner"),
        (without_chat_write, "SLACK_ADMIN_USER_TOKEN lacks the chat:write user scope"),
    ],
)
async def test_an_admin_token_that_cannot_delete_switches_the_capability_off(
    settings: Settings,
    clock: VirtualClock,
    caplog: pytest.LogCaptureFixture,
    workspace: Callable[[SlackApiFake], None],
    said: str,
) -> None:
    caplog.set_level(logging.WARNING, "adapters.slack")
    async with open_rig(settings, clock, admin_token=ADMIN_TOKEN, workspace=workspace) as rig:
        assert Capability.DELETE_OTHERS not in rig.adapter.capabilities
        [line] = [w for w in warnings(caplog) if "SLACK_ADMIN_USER_TOKEN" in w]
        assert line.startswith("deleting other people's messages is off: ") and said in line


async def test_an_admins_token_keeps_deleting_others_messages(
    settings: Settings, clock: VirtualClock
) -> None:
    async with open_rig(settings, clock, admin_token=ADMIN_TOKEN) as rig:
        assert Capability.DELETE_OTHERS in rig.adapter.capabilities


async def test_a_message_the_admin_cannot_see_is_not_reported_removed(
    settings: Settings, clock: VirtualClock, write_config: Callable[[str], Path]
) -> None:
    """The admin user is not in the private channel: Slack answers channel_not_found,
    which must read as "could not delete", never as "already gone"."""

    def private_channel(fake: SlackApiFake) -> None:
        fake.add_channel(SECRET, "secret", private=True)
        fake.members[SECRET] |= {BEN}

    write_config(RULES)
    async with open_rig(settings, clock, admin_token=ADMIN_TOKEN, workspace=private_channel) as rig:
        spam = await rig.message(BEN, SECRET, "buy cheap pills now")
        [flag] = rig.fake.posts_in(MODERATORS)
        await rig.react(MO, MODERATORS, flag.ts, "wastebasket")
        assert rig.fake.message(SECRET, spam) is not None
        assert rig.fake.called("chat.delete")[-1].token == ADMIN_TOKEN
        assert rig.fake.posts_in(MODERATORS)[1:] == []  # answered privately
        [told] = [
            shown(c.params["text"])
            for c in rig.fake.called("chat.postMessage")
            if c.params["channel"] == "D" + MO
        ]
        assert told.startswith("Could not delete on flag #1: the bot lacks the permission")
        repo = ModerationRepository(rig.app.services.db, rig.app.services.audit)
        details = await repo.details(rig.adapter.community.key, 1)
        assert details is not None
        assert [m.deleted_at for m in details.messages] == [None]  # not marked removed
