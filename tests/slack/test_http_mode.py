"""HTTP mode: only requests signed with the app's secret reach the bot, and they are
acknowledged at once while the reply follows through Slack's Web API."""

from __future__ import annotations

import time

from slack_fake_api import TEAM_ID
from slack_harness import SlackRig
from slack_harness_users import ALICE, BEN


async def test_a_correctly_signed_command_is_answered_privately(rig: SlackRig) -> None:
    status = await rig.command(BEN, "/help")
    assert status == 200
    replies = rig.fake.private_to(BEN)
    assert len(replies) == 1
    assert "/about" in replies[0]
    assert "/config" not in replies[0]  # Ben is no admin: /help shows what he may use


async def test_nothing_is_asked_of_slack_before_the_ack(rig: SlackRig) -> None:
    """The identity is known from start-up, so bolt makes no auth.test per request."""
    for _ in range(3):
        await rig.command(BEN, "/help")
    assert len(rig.fake.called("auth.test")) == 1


async def test_a_request_with_a_bad_signature_is_rejected_and_changes_nothing(
    rig: SlackRig,
) -> None:
    body = f"command=%2Fhelp&text=&user_id={BEN}&team_id={TEAM_ID}&channel_id=C0GENERAL"
    status = await rig.send(body, "application/x-www-form-urlencoded", signed=False)
    assert status == 401
    assert rig.fake.responses == []
    assert rig.fake.called("users.info") == []


async def test_a_stale_signature_is_rejected_even_when_the_signature_is_right(
    rig: SlackRig,
) -> None:
    body = f"command=%2Fhelp&text=&user_id={BEN}&team_id={TEAM_ID}&channel_id=C0GENERAL"
    ten_minutes_ago = int(time.time()) - 600
    status = await rig.send(body, "application/x-www-form-urlencoded", timestamp=ten_minutes_ago)
    assert status == 401
    assert rig.fake.responses == []


async def test_public_commands_post_in_the_channel(rig: SlackRig) -> None:
    await rig.command(BEN, "/about")
    posts = rig.fake.posts_in("C0GENERAL")
    assert len(posts) == 1
    assert "slack" in posts[0].text
    assert rig.fake.private_to(BEN) == []


async def test_group_commands_resolve_the_sub_command_from_the_text(rig: SlackRig) -> None:
    await rig.command(ALICE, "/config show community")
    reply = rig.fake.private_to(ALICE)[-1]
    assert '"community"' in reply
    assert "```" in reply


async def test_a_member_is_refused_an_admin_command_and_nothing_changes(rig: SlackRig) -> None:
    await rig.command(BEN, "/config set community.locale de")
    assert "admin" in rig.fake.private_to(BEN)[-1]
    config = await rig.app.services.config.get(rig.adapter.community)
    assert config.community.locale == "en"


async def test_usage_errors_name_the_missing_option(rig: SlackRig) -> None:
    await rig.command(ALICE, "/config set community.locale")
    assert "Missing <value>" in rig.fake.private_to(ALICE)[-1]


async def test_a_bare_group_command_lists_its_sub_commands(rig: SlackRig) -> None:
    await rig.command(ALICE, "/config")
    reply = rig.fake.private_to(ALICE)[-1]
    assert "/config show" in reply and "/config reset" in reply


async def test_the_health_endpoint_answers_without_a_signature(rig: SlackRig) -> None:
    url = rig.url.replace("/slack/events", "/healthz")
    async with rig.http.get(url) as response:
        assert response.status == 200


async def test_public_replies_where_the_bot_is_not_invited_go_through_the_response_url(
    rig: SlackRig,
) -> None:
    rig.fake.add_channel("G0PRIVATE", "private-team")
    rig.fake.members["G0PRIVATE"] = {BEN}  # the bot was never invited
    await rig.command(BEN, "/about", channel="G0PRIVATE")
    [response] = rig.fake.responses
    assert response["response_type"] == "in_channel"
    assert "slack" in response["text"]
