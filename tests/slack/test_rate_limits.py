"""Slack's rate limits, pages and plans, as a real workspace has them.

Slack answers a method called too often with HTTP 429 and ``Retry-After``; hands out every
list in pages; and on its free plan has no user groups. The bot waits when Slack asks
(briefly while it works, as long as needed at start-up), hands what it cannot wait for
to the outbox to deliver later, never pages through a list while an event waits, and
keeps the roles it knew when a refresh fails.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr
from slack_fake_api import APP_TOKEN, BOT_TOKEN, SlackApiFake
from slack_harness import SlackRig, open_rig
from slack_harness_users import BEN, MO, TICKETS, WELCOME
from slack_sdk.http_retry import builtin_async_handlers

from adapters.slack import SlackAdapter, SlackOptions
from adapters.slack.cli import check_tokens
from bot.clock import VirtualClock
from bot.errors import PlatformUnavailable
from bot.model import UserRef
from bot.outgoing import OutgoingMessage
from bot.platform import Capability
from bot.settings import Settings


class _NoJitter:
    """slack_sdk adds up to a second of jitter to ``Retry-After``; the tests wait exactly."""

    @staticmethod
    def random() -> float:
        return 0.0


@pytest.fixture(autouse=True)
def exact_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(builtin_async_handlers, "random", _NoJitter)


def adapter_for(fake: SlackApiFake) -> SlackAdapter:
    return SlackAdapter(
        SlackOptions(bot_token=BOT_TOKEN, app_token=APP_TOKEN, api_url=fake.api_url)
    )


def user(rig: SlackRig, user_id: str) -> UserRef:
    return UserRef(rig.adapter.community, user_id)


# -- 429 while working --------------------------------------------------------------------


async def test_a_post_answered_429_is_sent_after_retry_after_and_arrives_once(
    rig: SlackRig,
) -> None:
    channel = await rig.adapter.directory.channel(TICKETS)
    rig.fake.limits.refuse("chat.postMessage", retry_after=1)
    started = time.monotonic()
    await rig.adapter.send(channel, OutgoingMessage.of("Ticket #1"))
    assert time.monotonic() - started >= 1.0  # Slack's Retry-After was honoured
    assert [m.text for m in rig.fake.posts_in(TICKETS)] == ["Ticket #1"]
    assert len(rig.fake.called("chat.postMessage")) == 2


async def test_a_welcome_during_a_busy_second_arrives_once(
    settings: Settings, clock: VirtualClock, write_config: Callable[[str], Path]
) -> None:
    write_config("[welcome]\ndm = false\n")
    async with open_rig(settings, clock) as rig:
        rig.fake.limits.refuse("chat.postMessage", retry_after=1)
        await rig.event({"type": "team_join", "user": rig.fake.add_user("U0NIA", "Nia")})
        [welcome] = rig.fake.posts_in(WELCOME)
        assert "<@U0NIA>" in welcome.text


async def test_a_third_429_in_a_row_is_platform_unavailable(rig: SlackRig) -> None:
    channel = await rig.adapter.directory.channel(TICKETS)
    rig.fake.limits.refuse("chat.postMessage", times=3, retry_after=1)
    with pytest.raises(PlatformUnavailable, match="ratelimited"):
        await rig.adapter.send(channel, OutgoingMessage.of("Ticket #1"))
    assert len(rig.fake.called("chat.postMessage")) == 3  # the first try and two retries
    assert rig.fake.posts_in(TICKETS) == []


async def test_a_wait_longer_than_a_handler_has_is_not_waited_but_named(rig: SlackRig) -> None:
    channel = await rig.adapter.directory.channel(TICKETS)
    rig.fake.limits.refuse("chat.postMessage", retry_after=45)
    started = time.monotonic()
    with pytest.raises(PlatformUnavailable, match="Slack asks to wait 45 s"):
        await rig.adapter.send(channel, OutgoingMessage.of("Ticket #1"))
    assert time.monotonic() - started < 5
    assert len(rig.fake.called("chat.postMessage")) == 1


async def test_a_rate_limited_welcome_stays_queued_and_is_delivered_later(
    settings: Settings, clock: VirtualClock, write_config: Callable[[str], Path]
) -> None:
    """Not lost, not marked sent: the outbox keeps it and delivers it when Slack lets it."""
    write_config("[welcome]\ndm = false\n")
    async with open_rig(settings, clock) as rig:
        rig.fake.limits.refuse("chat.postMessage", retry_after=60)
        await rig.event({"type": "team_join", "user": rig.fake.add_user("U0NIA", "Nia")})
        assert rig.fake.posts_in(WELCOME) == []
        outbox = rig.app.services.outbox
        assert [w.key for w in await outbox.waiting("welcome:")], "the welcome is queued"

        clock.advance(timedelta(minutes=5))
        await outbox.run_due()

        [welcome] = rig.fake.posts_in(WELCOME)
        assert "<@U0NIA>" in welcome.text
        assert await outbox.waiting("welcome:") == []


# -- lists in pages -------------------------------------------------------------------------


def crowd(fake: SlackApiFake, people: int, channels: int) -> None:
    """A workspace bigger than one page of every list."""
    for n in range(people):
        fake.add_user(f"U1{n:05d}", f"person{n}")
    for n in range(channels):
        fake.add_channel(f"C1{n:05d}", f"room-{n}")


async def test_a_workspace_of_more_than_one_page_is_counted_and_found(
    fake: SlackApiFake,
) -> None:
    crowd(fake, people=450, channels=450)
    adapter = adapter_for(fake)
    identity = await adapter.connect()
    assert await adapter.member_count(identity.community) == 4 + 450  # seed: 4 people
    assert len(fake.called("users.list")) == 3  # 200 a page
    found = await adapter.find_channel(identity.community, "room-449")
    assert found is not None and found.id == "C100449"
    assert adapter.parse_user(identity.community, "@person449") is not None


async def test_a_welcome_counts_without_listing_the_workspace(
    settings: Settings, clock: VirtualClock, write_config: Callable[[str], Path]
) -> None:
    write_config('[welcome]\ndm = false\ntemplates.en = ["Hi {member}, member {member_count}!"]\n')
    async with open_rig(settings, clock) as rig:
        assert await rig.adapter.member_count(rig.adapter.community) == 4
        listed = len(rig.fake.called("users.list"))
        for n in range(3):
            user_object = rig.fake.add_user(f"U0NEW{n}", f"New{n}")
            await rig.event({"type": "team_join", "user": user_object})
        assert len(rig.fake.called("users.list")) == listed  # a running count
        texts = [m.text for m in rig.fake.posts_in(WELCOME)]
        assert [t.rsplit(" ", 1)[-1] for t in texts] == ["5!", "6!", "7!"]


async def test_a_deactivation_leaves_the_count_when_slack_says_so_not_at_the_next_lookup(
    rig: SlackRig,
) -> None:
    directory = rig.adapter.directory
    assert await directory.member_count() == 4
    looked_up, listed = len(rig.fake.called("users.info")), len(rig.fake.called("users.list"))
    ben = dict(rig.fake.users[BEN])
    await rig.event({"type": "user_change", "user": {**ben, "deleted": True}})
    assert await directory.member_count() == 3
    assert directory.deactivated(BEN)
    await rig.event({"type": "user_change", "user": {**ben, "deleted": False}})
    assert await directory.member_count() == 4  # reactivated
    await rig.event({"type": "user_change", "user": {**ben, "is_bot": True}})
    assert await directory.member_count() == 3
    assert len(rig.fake.called("users.info")) == looked_up  # no lookup, no listing
    assert len(rig.fake.called("users.list")) == listed


async def test_a_welcome_that_needs_an_uncounted_workspace_arrives_later_with_the_count(
    settings: Settings, clock: VirtualClock, write_config: Callable[[str], Path]
) -> None:
    """The count is not ready (the pass at start-up failed, and so does the one the
    welcome starts): the welcome is not dropped, it follows once the count is there."""
    write_config('[welcome]\ndm = false\ntemplates.en = ["Hi {member}, member {member_count}!"]\n')

    def counting_fails(fake: SlackApiFake) -> None:
        fake.fail("users.list", status=503, times=2)

    async with open_rig(settings, clock, workspace=counting_fails) as rig:
        await rig.event({"type": "team_join", "user": rig.fake.add_user("U0NIA", "Nia")})
        assert rig.fake.posts_in(WELCOME) == []
        clock.advance(timedelta(minutes=1))
        await rig.app.services.scheduler.run_due()
        [welcome] = rig.fake.posts_in(WELCOME)
        assert welcome.text == "Hi <@U0NIA>, member 5!"


async def test_an_event_from_an_unseen_channel_costs_one_lookup_not_a_listing(
    rig: SlackRig,
) -> None:
    rig.fake.add_channel("C0LATE", "late-room")
    listed = len(rig.fake.called("conversations.list"))
    looked_up = len(rig.fake.called("conversations.info"))
    ref = await rig.adapter.directory.channel("C0LATE")
    assert ref.name == "late-room"
    assert len(rig.fake.called("conversations.list")) == listed
    assert len(rig.fake.called("conversations.info")) == looked_up + 1


# -- user groups --------------------------------------------------------------------------


async def test_a_failed_refresh_keeps_the_last_known_roles(rig: SlackRig) -> None:
    mo = await rig.adapter.fetch_member(user(rig, MO))
    assert mo is not None and [r.name for r in mo.roles] == ["Moderators"]
    rig.adapter.directory.forget_groups()
    rig.fake.limits.refuse("usergroups.list", retry_after=120)
    mo = await rig.adapter.fetch_member(user(rig, MO))
    assert mo is not None and [r.name for r in mo.roles] == ["Moderators"]
    rig.fake.fail("usergroups.list", status=503)
    rig.adapter.directory.forget_groups()
    mo = await rig.adapter.fetch_member(user(rig, MO))
    assert mo is not None and [r.name for r in mo.roles] == ["Moderators"]


async def test_a_free_workspace_switches_roles_off_once(
    rig: SlackRig, caplog: pytest.LogCaptureFixture
) -> None:
    rig.fake.free_plan = True
    rig.fake.users[BEN]["is_admin"] = True
    await rig.adapter.connect()
    assert Capability.ROLES not in rig.adapter.capabilities
    assert any("plan_upgrade_required" in note for note in rig.adapter.notes)
    mo = await rig.adapter.fetch_member(user(rig, MO))
    ben = await rig.adapter.fetch_member(user(rig, BEN))
    assert mo is not None and mo.roles == () and not mo.is_platform_admin
    assert ben is not None and ben.is_platform_admin  # owners and admins still count
    calls = len(rig.fake.called("usergroups.list"))
    for _ in range(3):
        await rig.adapter.fetch_member(user(rig, MO))
    assert len(rig.fake.called("usergroups.list")) == calls  # asked once, not per check


async def test_slack_check_says_in_one_line_that_user_groups_are_off(
    fake: SlackApiFake, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.free_plan = True
    settings.slack_bot_token = SecretStr(BOT_TOKEN)
    settings.slack_app_token = SecretStr(APP_TOKEN)
    settings.slack_api_url = fake.api_url
    assert await check_tokens(argparse.Namespace(), settings) == 0
    out = capsys.readouterr().out
    [line] = [line for line in out.splitlines() if "User groups" in line]
    assert "plan_upgrade_required" in line and "owners and admins" in line
    assert "no   grant roles" in out


# -- start-up -----------------------------------------------------------------------------


async def test_a_429_at_start_up_is_waited_out(fake: SlackApiFake) -> None:
    """More 429s in a row than a handler would wait for: at start-up nothing waits on the
    answer, so the bot waits as long as Slack asks instead of giving up."""
    fake.limits.refuse("auth.test", retry_after=1)
    fake.limits.refuse("conversations.list", times=3, retry_after=1)
    fake.limits.refuse("users.list", retry_after=1)
    adapter = adapter_for(fake)
    identity = await adapter.connect()
    assert identity.community.id == "T0TEST"
    assert await adapter.member_count(identity.community) == 4
    assert await adapter.find_channel(identity.community, "tickets") is not None


async def test_a_reply_whose_response_url_answers_429_is_sent_after_retry_after(
    rig: SlackRig,
) -> None:
    rig.fake.limits.refuse("response_url", retry_after=1)
    started = time.monotonic()
    await rig.command(BEN, "/help")  # a private answer: the response_url
    assert time.monotonic() - started >= 1.0  # Slack's Retry-After was honoured
    [response] = rig.fake.responses
    assert "/ticket" in response["text"]
    assert rig.fake.called("chat.postEphemeral") == []  # the response_url, not a fallback
