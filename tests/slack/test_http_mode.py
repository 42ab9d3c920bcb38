"""HTTP mode: only requests signed with the app's secret reach the bot, and they are
acknowledged at once while the reply follows through Slack's Web API."""

from __future__ import annotations

import hmac
import logging
import time

import pytest
from slack_fake_api import SIGNING_SECRET, TEAM_ID
from slack_harness import SlackRig, signature
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
    rig.fake.add_channel("G0PRIVATE", "private-team", private=True, bot_member=False)
    rig.fake.members["G0PRIVATE"] = {BEN}  # the bot was never invited
    await rig.command(BEN, "/about", channel="G0PRIVATE")
    [response] = rig.fake.responses
    assert response["response_type"] == "in_channel"
    assert "slack" in response["text"]


def refusals(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name.startswith(("adapters.slack", "aiohttp"))]


@pytest.mark.parametrize(
    ("body", "headers"),
    [
        ('{"type": "event_callback", "event": ', {}),  # unsigned and malformed
        ("command=%2Fhelp", {"X-Slack-Request-Timestamp": "soon"}),
        ("command=%2Fhelp", {"X-Slack-Request-Timestamp": "١٧٠٠٠٠٠٠٠٠"}),  # Arabic digits
        ("command=%2Fhelp", {"X-Slack-Request-Timestamp": ""}),
        ("command=%2Fhelp", {"X-Slack-Signature": "v0=ünicode"}),
    ],
    ids=["malformed", "word-timestamp", "non-ascii-digits", "no-timestamp", "non-ascii-sig"],
)
async def test_an_unauthenticated_request_gets_401_and_one_log_line(
    rig: SlackRig, caplog: pytest.LogCaptureFixture, body: str, headers: dict[str, str]
) -> None:
    caplog.set_level(logging.INFO)
    status = await rig.send(body, "application/json", signed=False, headers=headers)
    assert status == 401
    [line] = refusals(caplog)
    assert line.levelname == "WARNING" and "(401)" in line.getMessage()
    assert line.exc_info is None
    assert rig.fake.responses == [] and rig.fake.called("users.info") == []


async def test_a_correctly_signed_timestamp_that_is_no_number_is_still_refused(
    rig: SlackRig, caplog: pytest.LogCaptureFixture
) -> None:
    """The signature covers the timestamp text, so a signer could sign "soon" too."""
    caplog.set_level(logging.INFO)
    body = f"command=%2Fhelp&text=&user_id={BEN}&team_id={TEAM_ID}&channel_id=C0GENERAL"
    stamp = "1e9"
    headers = {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": signature(body, stamp)}
    assert await rig.send(body, "application/x-www-form-urlencoded", headers=headers) == 401
    assert "timestamp is not a number" in refusals(caplog)[0].getMessage()


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ('{"type": "event_callback", "event": ', "application/json"),
        ("[1, 2, 3]", "application/json"),
        ("payload=%7Bnot-json", "application/x-www-form-urlencoded"),
    ],
    ids=["truncated-json", "json-array", "form-payload-not-json"],
)
async def test_a_signed_but_malformed_body_gets_400_and_one_log_line(
    rig: SlackRig, caplog: pytest.LogCaptureFixture, body: str, content_type: str
) -> None:
    caplog.set_level(logging.INFO)
    assert await rig.send(body, content_type) == 400
    [line] = refusals(caplog)
    assert "(400)" in line.getMessage() and line.exc_info is None


async def test_a_signed_body_that_is_not_utf8_gets_400(
    rig: SlackRig, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    raw = b"command=%2Fhelp&text=\xff\xfe"
    stamp = str(int(time.time()))
    base = b"v0:" + stamp.encode() + b":" + raw
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": "v0=" + hmac.new(SIGNING_SECRET.encode(), base, "sha256").hexdigest(),
    }
    async with rig.http.post(rig.url, data=raw, headers=headers) as response:
        assert response.status == 400
    [line] = refusals(caplog)
    assert line.exc_info is None
