"""Platform actions on Discord: what cogs ask for, what the server ends up with."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import discord
import pytest

from bot.errors import MissingPermission, NotFound, UserError
from bot.model import MessageRef, UserRef
from bot.outgoing import (
    Button,
    ButtonStyle,
    Field,
    Markup,
    Mention,
    OutgoingMessage,
    RoleMention,
    rich,
)


@pytest.fixture
async def world(make_world: Any) -> Any:
    async with make_world(cog_types=[]) as opened:
        yield opened


def stored(world: Any, ref: MessageRef) -> Any:
    return world.env.backend.get_message(int(ref.channel.id), int(ref.id))


def member_state(world: Any, name: str) -> Any:
    return world.env.backend.get_member(world.guild.id, world.people[name].id)


def outranking(world: Any, name: str) -> Any:
    """A member whose role sits above the bot's own role."""
    world.roles["Elders"] = world.guild.create_role(
        "Elders", permissions=discord.Permissions(manage_messages=True), position=50
    )
    return world.join(name, "Elders")


async def test_a_card_with_fields_and_buttons_pings_only_who_it_names(world: Any) -> None:
    amy, mods = world.people["Amy"], world.roles["Moderators"]
    card = OutgoingMessage(
        title=rich(Markup("Ticket #4: "), "Dark *mode*"),
        text=rich("Opened by ", Mention(str(amy.id)), " for ", RoleMention(str(mods.id))),
        fields=(Field(rich("Status"), rich("open")),),
        buttons=(
            Button("ticket:claim:4", "Claim"),
            Button("ticket:vote:4", "+1", ButtonStyle.SECONDARY),
        ),
    )
    ref = await world.adapter.send(world.channel_ref("tickets"), card)
    message = stored(world, ref)
    embed = message.embeds[0]
    assert embed["title"] == "Ticket #4: Dark \\*mode\\*"
    assert embed["description"] == f"Opened by <@{amy.id}> for <@&{mods.id}>"
    assert embed["fields"] == [{"name": "Status", "value": "open", "inline": False}]
    assert message.content == f"<@{amy.id}> <@&{mods.id}>", "embeds never ping; content does"
    assert message.ping_user_ids == [amy.id]
    buttons = [c for row in message.components for c in row["components"]]
    assert [(b["custom_id"], b["label"], b["style"]) for b in buttons] == [
        ("ticket:claim:4", "Claim", 1),
        ("ticket:vote:4", "+1", 2),
    ]


async def test_without_allow_pings_nobody_is_notified(world: Any) -> None:
    amy = world.people["Amy"]
    ref = await world.adapter.send(
        world.channel_ref("general"),
        OutgoingMessage.of("hi ", Mention(str(amy.id)), " @everyone"),
        allow_pings=False,
    )
    message = stored(world, ref)
    assert f"<@{amy.id}>" in message.content
    assert message.ping_user_ids == [] and not message.mention_everyone


async def test_editing_replaces_text_embed_and_buttons(world: Any) -> None:
    channel = world.channel_ref("tickets")
    ref = await world.adapter.send(
        channel,
        OutgoingMessage(title=rich("Ticket #1"), buttons=(Button("ticket:claim:1", "Claim"),)),
    )
    await world.adapter.edit(ref, OutgoingMessage.of("Resolved."))
    message = stored(world, ref)
    assert message.content == "Resolved."
    assert message.embeds == [] and message.components == []
    amy = world.people["Amy"]
    await world.adapter.edit(
        ref, OutgoingMessage(title=rich("Ticket #1"), text=rich("Owner: ", Mention(str(amy.id))))
    )
    message = stored(world, ref)
    assert message.content == "" and f"<@{amy.id}>" in message.embeds[0]["description"]


async def test_moderators_can_delete_others_messages_and_reactions(world: Any) -> None:
    general = world.channels["general"]
    spam = await world.people["Ben"].send(general, "spam")
    await world.people["Ben"].react(spam, "👍")
    ref = MessageRef(world.channel_ref("general"), str(spam.id))
    await world.adapter.remove_reaction(ref, "👍", world.user_ref("Ben"))
    assert stored(world, ref).reactions == [] or not stored(world, ref).reactions[0].user_ids
    await world.adapter.delete(ref)
    with pytest.raises(NotFound):
        await world.adapter.delete(ref)
    assert await world.adapter.fetch_message(ref) is None


async def test_a_ticket_thread_opens_publicly_and_is_archived_and_locked(world: Any) -> None:
    tracker = await world.adapter.send(world.channel_ref("tickets"), OutgoingMessage.of("#7"))
    thread = await world.adapter.open_thread(tracker, "Ticket #7: " + "x" * 200)
    assert thread.parent_id == tracker.channel.id and len(thread.name) == 100
    await world.adapter.send(thread, OutgoingMessage.of("update"))
    channel = world.env.backend.get_channel(int(thread.id))
    assert channel.type == discord.ChannelType.public_thread.value
    await world.adapter.archive_thread(thread, lock=True)
    metadata = world.env.backend.get_channel(int(thread.id)).thread_metadata
    assert metadata.archived and metadata.locked
    await world.adapter.unarchive_thread(thread)
    metadata = world.env.backend.get_channel(int(thread.id)).thread_metadata
    assert not metadata.archived and not metadata.locked


async def test_timeout_kick_and_ban_act_on_members_below_the_bot(world: Any) -> None:
    await world.adapter.timeout(world.user_ref("Ben"), timedelta(hours=1), "spam")
    assert member_state(world, "Ben").timed_out_until is not None
    await world.adapter.kick(world.user_ref("Amy"), "rude")
    assert world.people["Amy"].id not in world.guild.member_ids()
    await world.adapter.ban(world.user_ref("Ben"), "scam")
    assert world.guild.get_ban(world.people["Ben"])["reason"] == "scam"


async def test_members_who_outrank_the_bot_give_a_clear_refusal_without_a_request(
    world: Any,
) -> None:
    outranking(world, "Elda")
    await world.env.settle()
    before = len(world.env.http_requests)
    for action in (
        world.adapter.timeout(world.user_ref("Elda"), timedelta(hours=1), "x"),
        world.adapter.kick(world.user_ref("Elda"), "x"),
        world.adapter.ban(world.user_ref("Elda"), "x"),
    ):
        with pytest.raises(MissingPermission) as refused:
            await action
        assert "their highest role “Elders” is not below my highest role" in str(refused.value)
        assert "Server Settings → Roles" in str(refused.value)
    assert len(world.env.http_requests) == before
    assert world.guild.get_ban(world.people["Elda"]) is None


async def test_a_forbidden_ban_from_discord_becomes_a_clear_message(world: Any) -> None:
    world.env.inject_error("PUT", "/guilds/*/bans/*", status=403, code=50013, message="Missing")
    with pytest.raises(MissingPermission) as refused:
        await world.adapter.ban(world.user_ref("Ben"), "scam")
    assert "“Ban Members” permission" in str(refused.value)
    assert world.guild.get_ban(world.people["Ben"]) is None


async def test_a_bot_role_without_the_permission_is_named(world: Any) -> None:
    bot_role = world.guild.roles[world.guild.me.name]
    everything = discord.Permissions.all()
    everything.ban_members = everything.administrator = False
    world.env.backend.edit_role(world.guild.id, bot_role.id, {"permissions": everything.value})
    await world.env.settle()
    with pytest.raises(MissingPermission, match="my role lacks the “Ban Members” permission"):
        await world.adapter.ban(world.user_ref("Ben"), "scam")


async def test_a_user_who_already_left_can_still_be_banned(world: Any) -> None:
    ben = world.people["Ben"]
    world.guild.remove_member(ben)
    await world.env.settle()
    await world.adapter.ban(world.user_ref("Ben"), "ban evasion")
    assert world.guild.get_ban(ben) is not None


async def test_timeouts_longer_than_discord_allows_are_refused_politely(world: Any) -> None:
    with pytest.raises(UserError, match="at most 28 days"):
        await world.adapter.timeout(world.user_ref("Ben"), timedelta(days=30), "x")


async def test_roles_are_granted_by_name_or_id_below_the_bot_only(world: Any) -> None:
    await world.adapter.grant_role(world.user_ref("Ben"), "ambassadors", "welcome")
    assert world.roles["Ambassadors"].id in member_state(world, "Ben").role_ids
    outranking(world, "Elda")
    await world.env.settle()
    elders = world.roles["Elders"]
    with pytest.raises(MissingPermission, match="not below my highest role"):
        await world.adapter.grant_role(world.user_ref("Ben"), str(elders.id), "x")
    with pytest.raises(NotFound):
        await world.adapter.grant_role(world.user_ref("Ben"), "No such role", "x")


async def test_messages_are_fetched_from_the_cache_or_once_from_discord(world: Any) -> None:
    sent = await world.people["Ben"].send(world.channels["general"], "remember me")
    ref = MessageRef(world.channel_ref("general"), str(sent.id))
    before = len(world.env.http_requests)
    cached = await world.adapter.fetch_message(ref)
    assert cached is not None and cached.text == "remember me"
    assert len(world.env.http_requests) == before, "a cached message costs no request"
    await world.env.restart_bot()
    fetched = await world.adapter.fetch_message(ref)
    assert fetched is not None and fetched.author.id == str(world.people["Ben"].id)


async def test_channels_users_and_links_are_found_by_name_mention_or_id(world: Any) -> None:
    community = world.community
    tickets = world.channels["tickets"]
    for spelling in ("tickets", "#Tickets", f"<#{tickets.id}>", str(tickets.id)):
        found = await world.adapter.find_channel(community, spelling)
        assert found is not None and found.id == str(tickets.id), spelling
    assert await world.adapter.find_channel(community, "nowhere") is None
    ben = world.people["Ben"]
    assert world.adapter.parse_user(community, f"<@{ben.id}>") == UserRef(community, str(ben.id))
    zoe = world.join("Zoe")  # by name only members in the cache: chunking is off
    await world.env.settle()
    assert world.adapter.parse_user(community, "@zoe") == UserRef(community, str(zoe.id))
    assert world.adapter.parse_user(community, "nobody") is None
    assert world.adapter.parse_channel(community, "#general").name == "general"
    assert await world.adapter.community_name(community) == "Botschafter Test"
    assert await world.adapter.member_count(community) >= 4
