"""Slack actions the outbox may repeat after a crash, and outages on every call.

Every failure reaches the outbox as a typed error: an outage (a 5xx, a rate limit, Slack's
own ``internal_error``, a timeout) as `PlatformUnavailable`, which is retried, never as a
final refusal or a raw `SlackApiError`; and an action repeated after a crash is harmless.
"""

from __future__ import annotations

import logging

import pytest
from slack_harness import SlackRig
from slack_harness_users import BEN, DORA, GENERAL, TICKETS

from bot.errors import PlatformUnavailable
from bot.model import UserRef
from bot.outgoing import OutgoingMessage


def user(rig: SlackRig, user_id: str) -> UserRef:
    return UserRef(rig.adapter.community, user_id)


@pytest.mark.parametrize(
    ("status", "error"),
    [(500, None), (503, None), (200, "ratelimited"), (200, "internal_error")],
)
async def test_an_outage_while_posting_is_retried_not_final(
    rig: SlackRig, status: int, error: str | None
) -> None:
    channel = await rig.adapter.directory.channel(TICKETS)
    rig.fake.fail("chat.postMessage", status=status, error=error)
    with pytest.raises(PlatformUnavailable, match="Slack could not post"):
        await rig.adapter.send(channel, OutgoingMessage.of("Ticket #1"))
    await rig.adapter.send(channel, OutgoingMessage.of("Ticket #1"))
    assert [m.text for m in rig.fake.posts_in(TICKETS)] == ["Ticket #1"]


async def test_someone_who_left_is_none(rig: SlackRig) -> None:
    assert await rig.adapter.fetch_member(user(rig, DORA)) is None  # deactivated
    assert await rig.adapter.fetch_member(user(rig, "U0NOBODY")) is None
    assert await rig.adapter.fetch_member(user(rig, BEN)) is not None


async def test_a_member_lookup_during_an_outage_is_an_outage_not_none(rig: SlackRig) -> None:
    """A None here would make a recovering kick count as done although nobody was kicked."""
    rig.fake.fail("users.info", status=503)
    with pytest.raises(PlatformUnavailable):
        await rig.adapter.fetch_member(user(rig, BEN))


async def test_a_timed_out_member_lookup_is_an_outage(rig: SlackRig) -> None:
    rig.adapter.client.timeout = 0.2
    rig.fake.fail("users.info", hang=2.0)
    with pytest.raises(PlatformUnavailable, match="could not be reached"):
        await rig.adapter.fetch_member(user(rig, BEN))


async def test_an_outage_of_the_user_groups_never_strips_roles(rig: SlackRig) -> None:
    rig.fake.fail("usergroups.list", status=500)
    with pytest.raises(PlatformUnavailable):
        await rig.adapter.fetch_member(user(rig, "U0MO"))
    member = await rig.adapter.fetch_member(user(rig, "U0MO"))
    assert member is not None and [r.name for r in member.roles] == ["Moderators"]


async def test_a_kick_cut_short_by_an_outage_is_retried_and_then_complete(
    rig: SlackRig,
) -> None:
    rig.fake.fail("conversations.kick", status=500)
    with pytest.raises(PlatformUnavailable):
        await rig.adapter.kick(user(rig, BEN), "spam")
    await rig.adapter.kick(user(rig, BEN), "spam")
    still_in = [c for c, members in rig.fake.members.items() if BEN in members]
    assert still_in == [GENERAL]  # Slack never lets a bot remove anyone from #general


async def test_a_repeated_role_grant_is_harmless(rig: SlackRig) -> None:
    await rig.adapter.grant_role(user(rig, BEN), "Moderators", "trusted")
    await rig.adapter.grant_role(user(rig, BEN), "Moderators", "trusted")
    assert rig.fake.groups["S0MODS"]["users"].count(BEN) == 1
    assert len(rig.fake.called("usergroups.users.update")) == 1


async def test_a_repeated_group_update_with_the_member_already_in_it_is_harmless(
    rig: SlackRig,
) -> None:
    """What Slack does when a grant cut off by a crash had already added the member."""
    group = rig.fake.groups["S0MODS"]
    group["users"].append(BEN)
    await rig.adapter.client.usergroups_users_update(usergroup="S0MODS", users=group["users"])
    await rig.adapter.grant_role(user(rig, BEN), "Moderators", "trusted")
    assert group["users"].count(BEN) == 1


async def test_a_recovering_direct_message_finds_itself(rig: SlackRig) -> None:
    ben = user(rig, BEN)
    first = await rig.adapter.send_direct(ben, OutgoingMessage.of("welcome"), nonce="w:ben")
    again = await rig.adapter.send_direct(
        ben, OutgoingMessage.of("welcome"), nonce="w:ben", recovering=True
    )
    assert again == first
    assert [m.text for m in rig.fake.posts_in("D" + BEN)] == ["welcome"]


async def test_a_recovering_direct_message_without_the_history_scope_is_still_sent(
    rig: SlackRig, caplog: pytest.LogCaptureFixture
) -> None:
    """Installed before im:history was asked for: the check cannot be made, and a message
    that may show twice beats one that is never sent."""
    rig.fake.scopes = rig.fake.scopes.replace(",im:history", "")
    with caplog.at_level(logging.WARNING):
        await rig.adapter.send_direct(
            user(rig, BEN), OutgoingMessage.of("welcome"), nonce="w:ben", recovering=True
        )
    assert [m.text for m in rig.fake.posts_in("D" + BEN)] == ["welcome"]
    assert "without checking for an earlier copy" in caplog.text
