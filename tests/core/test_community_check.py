"""The community check on the local community: a configured channel or role that is not
there is said at start-up, in ``config check --platform`` and to the admins, and
``/config set`` refuses one."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import pytest

from adapters.local import LocalCommunity, LocalPlatform
from bot.app.application import App
from bot.app.cli import main
from bot.app.community_check import check_at_startup
from bot.app.local_session import LocalSession
from bot.app.runner import run_platforms
from bot.clock import VirtualClock
from bot.settings import Settings

MISSING_TICKETS = '[community.channels]\ntickets = "support"\n'


async def test_a_missing_channel_is_one_line_at_start_up_and_one_message_to_the_admins(
    settings: Settings,
    clock: VirtualClock,
    write_config: Callable[[str], Path],
    caplog: pytest.LogCaptureFixture,
) -> None:
    write_config(MISSING_TICKETS)
    community = LocalCommunity()
    session = await LocalSession.open(settings, clock=clock, community=community)
    try:
        with caplog.at_level(logging.WARNING):
            await check_at_startup(session.app.services)
            await check_at_startup(session.app.services)  # a restart the same day
        lines = [r.getMessage() for r in caplog.records if "support" in r.getMessage()]
        assert lines[0] == (
            "local:demo (Botschafter Demo): The channel “support” (community.channels.tickets) "
            "does not exist, or the bot cannot see it. Channels the bot can see: #ambassadors, "
            "#company, #general, #moderators, #rules, #tickets, #welcome."
        )
        (told,) = community.read("ambassadors")  # once, however often it restarts that day
        assert "cannot use everything the configuration names" in told.text
        assert "“support” (community.channels.tickets) does not exist" in told.text
    finally:
        await session.app.close()


async def test_a_community_with_everything_in_place_hears_nothing(
    session: LocalSession, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        reports = await check_at_startup(session.app.services)
    assert [r.problems for r in reports] == [[]]
    assert caplog.records == []
    assert session.community.read("ambassadors") == []


class ConnectedLocal(LocalPlatform):
    """A local platform that connects like a real one and is stopped right away."""

    async def start(self, app: App) -> None:
        app.request_stop()

    async def stop(self) -> None:
        pass


async def test_the_bot_checks_the_community_when_it_starts_on_a_platform(
    settings: Settings, write_config: Callable[[str], Path], caplog: pytest.LogCaptureFixture
) -> None:
    write_config('[community.roles]\nmember = "Members"\n')
    community = LocalCommunity()
    community.role("Admins")
    with caplog.at_level(logging.WARNING):
        assert await run_platforms(settings, [ConnectedLocal(community)]) == 0
    assert (
        "local:demo (Botschafter Demo): The role “Members” (community.roles.member) does not "
        "exist. Roles: Admins." in caplog.messages
    )


def test_config_check_platform_without_tokens_checks_the_local_community(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env from the working tree
    for name in ("DISCORD_TOKEN", "SLACK_BOT_TOKEN", "BOTSCHAFTER_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("BOTSCHAFTER_DATA_DIR", str(tmp_path / "data"))
    assert main(["config", "check", "--platform"]) == 0
    assert (
        "local:demo (Botschafter Demo): every configured channel and role is there and usable."
        in capsys.readouterr().out
    )
    config = tmp_path / "my.toml"
    config.write_text(MISSING_TICKETS, encoding="utf-8")
    assert main(["--config", str(config), "config", "check", "--platform"]) == 1
    out = capsys.readouterr().out
    assert "local:demo (Botschafter Demo): 1 problem\n" in out
    assert "  - The channel “support” (community.channels.tickets) does not exist" in out
    assert not (tmp_path / "data" / "local-community.json").exists(), "a check saves nothing"


async def test_config_set_of_a_channel_that_does_not_exist_is_refused_with_the_names(
    session: LocalSession,
) -> None:
    c = session.community
    alice = c.member("Alice")
    await c.run(alice, "/config set community.channels.tickets support")
    assert c.last_private(alice) == (
        "That setting was not saved: there is no channel “support” here (or the bot cannot "
        "see it). Channels: #ambassadors, #company, #general, #moderators, #rules, #tickets, "
        "#welcome."
    )
    config = await session.app.services.config.get(c.community)
    assert config.community.channels.tickets == "tickets"
    await c.run(alice, "/config set moderation.flag_channel #moderators")
    assert c.last_private(alice).startswith("Saved: `moderation.flag_channel`")


async def test_config_set_of_a_role_that_does_not_exist_is_refused_with_the_names(
    session: LocalSession,
) -> None:
    c = session.community
    alice = c.member("Alice")
    await c.run(alice, '/config set community.roles.moderators ["Mods"]')
    assert c.last_private(alice) == (
        "That setting was not saved: there is no role “Mods” here. "
        "Roles: Admins, Ambassadors, Moderators."
    )
    config = await session.app.services.config.get(c.community)
    assert config.community.roles.moderators == ["Moderators"]
