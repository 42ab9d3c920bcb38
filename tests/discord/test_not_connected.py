"""Discord actions asked for before the bot has connected (Discord could not be reached at
start and is being tried again, bot/app/connecting.py): the empty server cache says nothing
about whether the bot is on the server, so the outbox must hear "try again later"
(`PlatformUnavailable`), not "not on the server" (`NotFound`), which it gives up on for good
(a ban lifted by a job due during the outage would never be lifted)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import SecretStr

from adapters.discord import DiscordAdapter, DiscordOptions
from bot.errors import PlatformUnavailable
from bot.model import Community, UserRef

SERVER = Community("discord", "1300000000000000001")
MEMBER = UserRef(SERVER, "1300000000000000099")


@pytest.fixture
async def adapter() -> DiscordAdapter:
    """The adapter as the app holds it while Discord cannot be reached: never ready, its
    client closed after the failed attempt."""
    made = DiscordAdapter(DiscordOptions(token=SecretStr("any-token")))
    await made.client.close()
    return made


async def test_a_ban_before_discord_was_reached_is_tried_again_later(
    adapter: DiscordAdapter,
) -> None:
    with pytest.raises(PlatformUnavailable):
        await adapter.ban(MEMBER, "spam")
    with pytest.raises(PlatformUnavailable):
        await adapter.unban(MEMBER, "ban ended")


async def test_a_timeout_or_role_before_discord_was_reached_is_tried_again_later(
    adapter: DiscordAdapter,
) -> None:
    with pytest.raises(PlatformUnavailable):
        await adapter.timeout(MEMBER, timedelta(hours=1), "spam")
    with pytest.raises(PlatformUnavailable):
        await adapter.lift_timeout(MEMBER, "ended")
    with pytest.raises(PlatformUnavailable):
        await adapter.grant_role(MEMBER, "Welcomed", "welcome")
    with pytest.raises(PlatformUnavailable):
        await adapter.kick(MEMBER, "spam")
