"""A saved local community keeps the welcome's buttons, so scripts can be replayed."""

from __future__ import annotations

from pathlib import Path

from adapters.local import LocalCommunity
from bot.app.local_session import LocalSession
from bot.outgoing import ButtonStyle
from cogs.welcome import WelcomeCog


async def test_welcome_buttons_survive_saving_and_loading_the_community(
    session: LocalSession, cog: WelcomeCog, configure, tmp_path: Path
):
    await configure({"welcome.rules.enabled": True})
    await session.community.join("Zoe")
    state = tmp_path / "community.json"
    session.community.save(state)
    loaded = LocalCommunity.load(state)
    [button] = loaded.read("#welcome")[0].buttons
    assert (button.action_id, button.label, button.style) == (
        "welcome:accept:zoe",
        "I accept the rules",
        ButtonStyle.SUCCESS,
    )
