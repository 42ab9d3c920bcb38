"""The platform protocol on Slack: honest capabilities and typed errors for what Slack
cannot or may not do."""

from __future__ import annotations

from datetime import timedelta

import pytest
from slack_fake_api import ADMIN_TOKEN, BOT_USER
from slack_harness import SlackRig, open_rig
from slack_harness_users import BEN, DORA, GENERAL, MODERATORS, TICKETS

from adapters.slack.platform import capabilities_for
from bot.clock import VirtualClock
from bot.errors import DirectMessagesClosed, MissingPermission, NotFound, Unsupported
from bot.model import MessageRef
from bot.outgoing import OutgoingMessage, RoleMention, rich
from bot.platform import Capability
from bot.settings import Settings


async def test_capabilities_are_honest_about_slack(rig: SlackRig) -> None:
    capabilities = rig.adapter.capabilities
    for missing in (
        Capability.BAN,
        Capability.TIMEOUT,
        Capability.REMOVE_REACTIONS,
        Capability.ARCHIVE_THREADS,
        Capability.DELETE_OTHERS,
    ):
        assert missing not in capabilities
    for present in (
        Capability.THREADS,
        Capability.FORMS,
        Capability.BUTTONS,
        Capability.MESSAGE_COMMANDS,
        Capability.KICK,
        Capability.REACT,
    ):
        assert present in capabilities


def test_a_scope_left_out_at_install_is_a_missing_capability() -> None:
    scopes = frozenset({"commands", "chat:write", "reactions:write"})
    capabilities = capabilities_for(scopes, admin_token=False)
    assert Capability.KICK not in capabilities
    assert Capability.DIRECT_MESSAGES not in capabilities
    assert Capability.REACT in capabilities


async def test_ban_and_timeout_are_unsupported(rig: SlackRig) -> None:
    user = rig.adapter.parse_user(rig.adapter.community, f"<@{BEN}>")
    assert user is not None
    with pytest.raises(Unsupported):
        await rig.adapter.ban(user, "spam")
    with pytest.raises(Unsupported):
        await rig.adapter.timeout(user, timedelta(hours=1), "spam")
    assert rig.fake.called("admin.users.remove") == []


async def test_threads_cannot_be_archived_or_unarchived(rig: SlackRig) -> None:
    thread = await rig.adapter.directory.channel(TICKETS)
    with pytest.raises(Unsupported):
        await rig.adapter.archive_thread(thread, lock=True)
    with pytest.raises(Unsupported):
        await rig.adapter.unarchive_thread(thread)


async def test_other_peoples_messages_cannot_be_deleted_without_the_admin_token(
    rig: SlackRig,
) -> None:
    ts = rig.fake.post(GENERAL, BEN, "spam")
    message = MessageRef(await rig.adapter.directory.channel(GENERAL), ts)
    with pytest.raises(Unsupported):
        await rig.adapter.delete(message)
    assert rig.fake.message(GENERAL, ts) is not None


async def test_the_admin_user_token_deletes_other_peoples_messages(
    settings: Settings, clock: VirtualClock
) -> None:
    async with open_rig(settings, clock, admin_token=ADMIN_TOKEN) as rig:
        assert Capability.DELETE_OTHERS in rig.adapter.capabilities
        ts = rig.fake.post(GENERAL, BEN, "spam")
        await rig.adapter.delete(MessageRef(await rig.adapter.directory.channel(GENERAL), ts))
        assert rig.fake.message(GENERAL, ts) is None
        assert rig.fake.called("chat.delete")[-1].token == ADMIN_TOKEN


async def test_the_bot_edits_and_deletes_its_own_messages(rig: SlackRig) -> None:
    channel = await rig.adapter.find_channel(rig.adapter.community, "#tickets")
    assert channel is not None and channel.id == TICKETS
    ref = await rig.adapter.send(channel, OutgoingMessage.of("first"))
    await rig.adapter.edit(ref, OutgoingMessage.of("second"))
    fetched = await rig.adapter.fetch_message(ref)
    assert fetched is not None and fetched.text == "second"
    await rig.adapter.delete(ref)
    assert await rig.adapter.fetch_message(ref) is None
    with pytest.raises(NotFound):
        await rig.adapter.edit(ref, OutgoingMessage.of("too late"))


async def test_kick_removes_the_member_from_every_channel_but_general(rig: SlackRig) -> None:
    user = rig.adapter.parse_user(rig.adapter.community, BEN)
    assert user is not None
    await rig.adapter.kick(user, "repeated spam")
    kicked = {c.params["channel"] for c in rig.fake.called("conversations.kick")}
    assert GENERAL not in kicked and MODERATORS in kicked
    assert BEN in rig.fake.members[GENERAL]
    assert all(BEN not in rig.fake.members[c] for c in kicked)


async def test_kick_that_removes_nothing_says_so(rig: SlackRig) -> None:
    user = rig.adapter.parse_user(rig.adapter.community, BEN)
    assert user is not None
    rig.fake.kick_restricted = set(rig.fake.channels)  # workspace admins restricted removals
    with pytest.raises(MissingPermission, match="restricted_action"):
        await rig.adapter.kick(user, "spam")
    for channel, members in rig.fake.members.items():
        if channel != GENERAL:
            members.discard(BEN)
    with pytest.raises(MissingPermission, match="no channel"):
        await rig.adapter.kick(user, "spam")  # only in #general, which Slack never allows


async def test_a_kick_retried_after_a_crash_that_had_removed_everything_is_done(
    rig: SlackRig,
) -> None:
    user = rig.adapter.parse_user(rig.adapter.community, BEN)
    assert user is not None
    await rig.adapter.kick(user, "spam")  # the cut-off attempt removed them everywhere

    await rig.adapter.kick(user, "spam", recovering=True)

    with pytest.raises(MissingPermission, match="no channel"):
        await rig.adapter.kick(user, "spam")  # a fresh kick still says nothing was removed


async def test_direct_messages_to_deactivated_members_raise_a_typed_error(rig: SlackRig) -> None:
    community = rig.adapter.community
    ben, dora = rig.adapter.parse_user(community, BEN), rig.adapter.parse_user(community, DORA)
    assert ben is not None and dora is not None
    sent = await rig.adapter.send_direct(ben, OutgoingMessage.of("welcome"))
    assert sent.channel.id == "D" + BEN
    with pytest.raises(DirectMessagesClosed):
        await rig.adapter.send_direct(dora, OutgoingMessage.of("welcome"))


async def test_permalinks_parse_back_and_foreign_links_are_refused(rig: SlackRig) -> None:
    ref = await rig.adapter.send(
        await rig.adapter.directory.channel(GENERAL), OutgoingMessage.of("link me")
    )
    link = await rig.adapter.permalink(ref)
    community = rig.adapter.community
    parsed = rig.adapter.parse_message_link(community, link)
    assert parsed is not None and (parsed.id, parsed.channel.id) == (ref.id, GENERAL)
    assert rig.adapter.parse_message_link(community, f"<{link}>") == parsed
    foreign = link.replace("botschafter-test", "elsewhere")
    assert rig.adapter.parse_message_link(community, foreign) is None
    assert rig.adapter.parse_message_link(community, "not a link") is None


async def test_reactions_use_slack_names_and_only_the_bots_own_can_be_removed(
    rig: SlackRig,
) -> None:
    ref = await rig.adapter.send(
        await rig.adapter.directory.channel(GENERAL), OutgoingMessage.of("vote")
    )
    await rig.adapter.add_reaction(ref, "👍")
    await rig.adapter.add_reaction(ref, "👍")  # already there: not an error
    stored = rig.fake.message(GENERAL, ref.id)
    assert stored is not None and stored.reactions == {"+1": [BOT_USER]}
    bot = rig.adapter.parse_user(rig.adapter.community, BOT_USER)
    ben = rig.adapter.parse_user(rig.adapter.community, BEN)
    assert bot is not None and ben is not None
    await rig.adapter.remove_reaction(ref, "👍", bot)
    assert stored.reactions == {"+1": []}
    with pytest.raises(Unsupported):
        await rig.adapter.remove_reaction(ref, "👍", ben)


async def test_granting_a_role_adds_the_member_to_the_user_group(rig: SlackRig) -> None:
    ben = rig.adapter.parse_user(rig.adapter.community, BEN)
    assert ben is not None
    await rig.adapter.grant_role(ben, "Moderators", "trusted")
    assert BEN in rig.fake.groups["S0MODS"]["users"]
    member = await rig.adapter.fetch_member(ben)
    assert member is not None and "Moderators" in [r.name for r in member.roles]
    with pytest.raises(NotFound):
        await rig.adapter.grant_role(ben, "Wizards", "no such group")


async def test_role_pings_only_reach_user_groups_and_only_when_allowed(rig: SlackRig) -> None:
    channel = await rig.adapter.directory.channel(GENERAL)
    text = rich(RoleMention("S0AMBS", "Ambassadors"), " please look")
    await rig.adapter.send(channel, OutgoingMessage(text=text))
    await rig.adapter.send(channel, OutgoingMessage(text=text), allow_pings=False)
    first, second = rig.fake.posts_in(GENERAL)[-2:]
    assert first.text.startswith("<!subteam^S0AMBS>")
    assert second.text.startswith("@Ambassadors")


async def test_workspace_facts(rig: SlackRig) -> None:
    community = rig.adapter.community
    assert await rig.adapter.community_name(community) == "Botschafter Test"
    assert await rig.adapter.member_count(community) == 4  # not the bot, not Dora
    assert rig.adapter.parse_channel(community, "<#C0GENERAL|general>") is not None
    assert rig.adapter.parse_channel(community, "#tickets") is not None
    assert rig.adapter.parse_channel(community, "#nowhere") is None


async def test_an_unreachable_slack_is_a_typed_error_not_a_network_exception() -> None:
    from adapters.slack.errors import WebClient
    from bot.errors import PlatformUnavailable

    # Nothing listens on port 9 of the loopback address: the connection is refused.
    client = WebClient(token="xoxb-test", base_url="http://127.0.0.1:9/api/", timeout=2)
    with pytest.raises(PlatformUnavailable, match="Slack could not be reached"):
        await client.chat_postMessage(channel="C1", text="hello")


async def test_a_post_retried_after_a_crash_finds_itself_instead_of_posting_again(
    rig: SlackRig,
) -> None:
    channel = await rig.adapter.find_channel(rig.adapter.community, "#tickets")
    assert channel is not None
    first = await rig.adapter.send(channel, OutgoingMessage.of("Ticket #1"), nonce="t:1:tracker")
    await rig.adapter.send(channel, OutgoingMessage.of("something else"), nonce="t:2:tracker")

    again = await rig.adapter.send(
        channel, OutgoingMessage.of("Ticket #1"), nonce="t:1:tracker", recovering=True
    )

    assert again == first
    assert [m.text for m in rig.fake.posts_in(TICKETS)].count("Ticket #1") == 1


async def test_a_recovering_post_that_never_reached_slack_is_posted(rig: SlackRig) -> None:
    channel = await rig.adapter.find_channel(rig.adapter.community, "#tickets")
    assert channel is not None

    await rig.adapter.send(
        channel, OutgoingMessage.of("Ticket #3"), nonce="t:3:tracker", recovering=True
    )

    assert [m.text for m in rig.fake.posts_in(TICKETS)] == ["Ticket #3"]
