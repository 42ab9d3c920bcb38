"""The community check on Discord (simcord): a missing channel and a role the bot may not
grant are each one clear line at start-up, in ``config check --platform`` and to the
admins; ``/config set`` refuses a channel that is not there."""

from __future__ import annotations

import io
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import discord
import pytest

from bot.app.community_check import check_at_startup, print_reports, survey

WHERE = "discord:1300000000000000001 (Botschafter Test)"


async def test_a_missing_channel_is_said_at_start_up_in_the_check_and_to_the_admins(
    make_world: Callable[..., Any],
    write_config: Callable[[str], Path],
    caplog: pytest.LogCaptureFixture,
) -> None:
    write_config('[community.channels]\ntickets = "support"\n')
    async with make_world() as world:
        with caplog.at_level(logging.WARNING):
            await check_at_startup(world.app.services)
        assert (
            f"{WHERE}: The channel “support” (community.channels.tickets) does not exist, or "
            "the bot cannot see it. Channels the bot can see: #ambassadors, #general, "
            "#moderators, #rules, #tickets, #welcome." in caplog.messages
        )
        (told,) = world.texts("ambassadors")
        unescaped = told.replace("\\", "")  # Discord markdown escapes the brackets
        assert "“support” (community.channels.tickets) does not exist" in unescaped
        out = io.StringIO()
        assert print_reports(await survey(world.app.services), world.app.services, out) == 1
        assert out.getvalue().startswith(f"{WHERE}: 1 problem\n  - The channel “support”")


async def test_a_role_above_the_bots_own_cannot_be_granted(
    make_world: Callable[..., Any],
    write_config: Callable[[str], Path],
    caplog: pytest.LogCaptureFixture,
) -> None:
    write_config('[community.roles]\nmember = "Members"\n')
    async with make_world() as world:
        world.guild.create_role("Members", position=50)  # dragged above the bot's role
        await world.env.settle()
        with caplog.at_level(logging.WARNING):
            await check_at_startup(world.app.services)
        (line,) = [m for m in caplog.messages if "Members" in m]
        assert line.startswith(
            f"{WHERE}: The bot cannot grant the role “Members” (community.roles.member). It is "
            "not below the bot's highest role"
        )
        assert "drag the bot's role above it in Server Settings → Roles." in line


async def test_a_channel_the_bot_may_not_react_in_is_named_with_the_permission_to_allow(
    make_world: Callable[..., Any],
    write_config: Callable[[str], Path],
) -> None:
    write_config('[moderation]\nflag_channel = "flags"\n')
    async with make_world() as world:
        everyone = world.guild.default_role
        world.guild.create_text_channel(
            "flags", overwrites={everyone: discord.PermissionOverwrite(add_reactions=False)}
        )
        await world.env.settle()
        (report,) = await survey(world.app.services)
        (problem,) = report.problems
        assert problem.text(world.app.services.i18n) == (
            "In #flags (moderation.flag_channel) the bot may not add and see reactions. Allow "
            "the bot's role Add Reactions in #flags (Edit Channel → Permissions)."
        )


async def test_config_set_of_a_channel_that_does_not_exist_is_refused_with_the_names(
    make_world: Callable[..., Any],
) -> None:
    async with make_world() as world:
        shown = await world.people["Alice"].slash(
            world.channels["general"],
            "config set",
            key="community.channels.tickets",
            value="support",
        )
        reply = world.text_of(shown.response).replace("\\", "")
        assert "That setting was not saved: there is no channel “support” here" in reply
        assert "#ambassadors, #general, #moderators, #rules, #tickets, #welcome" in reply
        config = await world.app.services.config.get(world.community)
        assert config.community.channels.tickets == "tickets"
