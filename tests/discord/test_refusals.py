"""Refusals no retry can change: final in the outbox, and the member is told the truth."""

from __future__ import annotations

from typing import Any

import pytest

from bot.errors import DirectMessagesClosed
from bot.outgoing import OutgoingMessage
from storage.outbox import OutboxRepository

INVALID_FORM_BODY = 50035
NO_MUTUAL_GUILDS = 50278


@pytest.fixture
async def world(make_world: Any) -> Any:
    async with make_world() as opened:  # every shipped cog
        yield opened


async def test_a_flag_post_discord_refuses_as_invalid_is_not_retried_and_the_reporter_knows(
    world: Any,
) -> None:
    general, moderators = world.channels["general"], world.channels["moderators"]
    target = await world.people["Mo"].send(general, "a perfectly ordinary message")
    world.env.inject_error(
        "POST",
        f"/channels/{moderators.id}/messages",
        status=400,
        code=INVALID_FORM_BODY,
        message="Invalid Form Body",
        times=None,
    )
    link = f"https://discord.com/channels/{world.guild.id}/{general.id}/{target.id}"
    result = await world.people["Ben"].slash(general, "report", message=link, reason="rude")
    told = world.text_of(result.response)
    assert "has not reached the moderators yet" in told, "not 'it will be posted soon'"
    failed = await OutboxRepository(world.app.services.db).list(status="failed")
    (entry,) = [e for e in failed if e.kind == "post"]
    assert entry.attempts == 1, "a permanent refusal is not tried again"
    assert "refused it as invalid" in (entry.last_error or "")
    assert "try again" not in (entry.last_error or "")


async def test_a_reply_discord_refuses_as_invalid_is_explained_not_apologised_for(
    world: Any,
) -> None:
    world.env.inject_error(
        "POST", "/interactions/*/*/callback", status=400, code=INVALID_FORM_BODY, times=1
    )
    result = await world.people["Ben"].slash(world.channels["general"], "help")
    told = world.text_of(result.response)
    assert "refused it as invalid" in told
    assert "try again in a moment" not in told


async def test_no_server_in_common_means_direct_messages_are_closed(world: Any) -> None:
    world.env.inject_error(
        "POST", "/channels/*/messages", status=400, code=NO_MUTUAL_GUILDS, times=None
    )
    with pytest.raises(DirectMessagesClosed, match="do not accept direct messages"):
        await world.adapter.send_direct(world.user_ref("Ben"), OutgoingMessage.of("Hi"))
