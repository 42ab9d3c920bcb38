"""Discord's AutoMod end to end on simcord: the bot's exported rules applied to a server,
AutoMod blocking a member's message, and its actions filed as one flag that a moderator
settles with the usual reaction. Discord's refusals (403, 429, 50035) are played by the
stricter wire-level fake in test_automod_wire.py."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import discord
import pytest

from adapters.discord.automod_sync import AutoModRefused, sync_rules
from cogs.moderation.automod.export import ExportOptions, export
from cogs.moderation.config import ModerationConfig
from storage.moderation import FlagStatus, ModerationRepository

CONFIG = """
[[moderation.rules]]
name = "scams"
type = "keywords"
keywords = ["cheap pills"]
action = "delete_and_flag"

[[moderation.rules]]
name = "swearing"
type = "keywords"
keywords = ["darn"]
"""


@pytest.fixture
async def world(make_world: Any, write_config: Callable[[str], Path]) -> Any:
    write_config(CONFIG)
    async with make_world() as opened:
        yield opened


async def exported(world: Any, alert_channel: str | None = None) -> list[dict[str, Any]]:
    config = await world.app.services.config.get(world.community)
    rules = config.section("moderation", ModerationConfig).rules
    return list(export(rules, ExportOptions(alert_channel=alert_channel)).rules)


def flags(world: Any) -> list[discord.Message]:
    return world.channels["moderators"].history()


def repo(world: Any) -> ModerationRepository:
    return ModerationRepository(world.app.services.db, world.app.services.audit)


async def test_the_exported_rules_are_applied_and_a_second_sync_changes_nothing(
    world: Any,
) -> None:
    wanted = await exported(world)
    first = await sync_rules(world.adapter.client.http, world.guild.id, wanted)
    assert first.created == ["Botschafter: scams"] and not first.unchanged
    second = await sync_rules(world.adapter.client.http, world.guild.id, wanted)
    assert not second.changed and second.unchanged == ["Botschafter: scams"]
    [rule] = world.env.backend.get_guild(world.guild.id).auto_mod_rules.values()
    assert rule.trigger_metadata["keyword_filter"] == ["cheap pills"]


async def test_without_manage_server_the_sync_names_the_permission(world: Any) -> None:
    bot_role = world.guild.roles[world.guild.me.name]
    everything = discord.Permissions.all()
    everything.manage_guild = everything.administrator = False
    world.env.backend.edit_role(world.guild.id, bot_role.id, {"permissions": everything.value})
    await world.env.settle()
    with pytest.raises(AutoModRefused, match="Manage Server"):
        await sync_rules(world.adapter.client.http, world.guild.id, await exported(world))
    assert not world.env.backend.get_guild(world.guild.id).auto_mod_rules


async def test_a_message_automod_blocks_and_alerts_on_becomes_one_flag_settled_by_reaction(
    world: Any,
) -> None:
    alerts = str(world.channels["ambassadors"].id)
    await sync_rules(
        world.adapter.client.http, world.guild.id, await exported(world, alert_channel=alerts)
    )
    ben, mo = world.people["Ben"], world.people["Mo"]
    await ben.send(world.channels["general"], "buy cheap pills now")
    await world.env.settle()
    assert world.channels["general"].history() == [], "AutoMod blocked it"
    [flag] = flags(world)
    text = world.text_of(flag)
    assert "buy cheap pills now" in text and "AutoMod: Botschafter: scams" in text
    assert "blocked by Discord's AutoMod, never posted" in text
    await ben.react(flag, "🔨")  # a member's reaction does nothing
    await world.env.settle()
    stored = await repo(world).flag(world.community.key, 1)
    assert stored is not None and stored.status is FlagStatus.OPEN
    await mo.react(flag, "⚠️")
    await world.env.settle()
    stored = await repo(world).flag(world.community.key, 1)
    assert stored is not None and stored.status is FlagStatus.SETTLED
    assert stored.outcome == "warn" and stored.error == ""
    assert len(flags(world)) == 1


async def test_automod_and_the_bots_own_rule_on_one_message_make_one_flag(world: Any) -> None:
    """A message AutoMod only alerted on is posted, so the bot's own rules see it too;
    Discord's event names the message, and both land on its one entry."""
    ben = world.people["Ben"]
    posted = await ben.send(world.channels["general"], "darn, cheap pills")
    await world.env.settle()
    for action, alert in (
        ({"type": 2, "metadata": {"channel_id": "1"}}, "99"),
        ({"type": 3, "metadata": {"duration_seconds": 60}}, None),
    ):
        world.env.backend.emit(
            "AUTO_MODERATION_ACTION_EXECUTION",
            {
                "guild_id": str(world.guild.id),
                "action": action,
                "rule_id": "4242",
                "rule_trigger_type": 1,
                "user_id": str(ben.id),
                "channel_id": str(world.channels["general"].id),
                "message_id": str(posted.id),
                "alert_system_message_id": alert,
                "content": "darn, cheap pills",
                "matched_keyword": "cheap pills",
                "matched_content": "cheap pills",
            },
        )
        await world.env.settle()
    [flag] = flags(world)
    text = world.text_of(flag)
    assert "**swearing**" in text and "AutoMod: 4242" in text  # no such rule: its id
    assert text.count("darn, cheap pills") == 1
