"""One contract, every adapter: what a cog may rely on whatever the platform.

Each adapter contributes a factory to `ADAPTERS` that yields a `Rig`: the platform, a
channel the bot may post in, a member who accepts direct messages and one who does not,
and a way to read what the bot posted in a channel as the platform (or its fake) holds it.
A fake that cannot show a guarantee the real platform gives names the reason in
`Rig.gaps`; the test is skipped there with that reason and runs on another fake.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta

import pytest

from adapters.local import LocalCommunity, LocalPlatform
from bot.errors import DirectMessagesClosed, NotFound, Unsupported
from bot.model import ChannelRef, MessageRef, UserRef
from bot.outgoing import Button, Field, Markup, Mention, OutgoingMessage, rich
from bot.platform import Capability, Platform


@dataclass
class Rig:
    platform: Platform
    channel: ChannelRef
    open_dms: UserRef
    closed_dms: UserRef
    # The texts of the bot's posts in a channel, oldest first, as the platform stores them.
    posted: Callable[[ChannelRef], list[str]]
    # Guarantees this rig's fake cannot show, each with the reason.
    gaps: dict[str, str] = field(default_factory=dict)
    # The `open_dms` member reacts to a message with an emoji, as on the platform.
    react: Callable[[MessageRef, str], Awaitable[None]] | None = None

    def skip_unless_shown(self, guarantee: str) -> None:
        if guarantee in self.gaps:
            pytest.skip(self.gaps[guarantee])


# The guarantee that a post repeated with its nonce after a crash is posted once.
NONCE = "nonce"
# The guarantee that pausing invites shows in the community's state (a guild feature).
INVITES = "invites"


@asynccontextmanager
async def local_rig() -> AsyncIterator[Rig]:
    community = LocalCommunity()
    ben = community.add_member("Ben")
    zoe = community.add_member("Zoe")
    community.dms_closed.add(zoe.id)
    platform = LocalPlatform(community)
    channel = await platform.find_channel(community.community, "general")
    assert channel is not None

    def posted(where: ChannelRef) -> list[str]:
        return [
            m.text
            for m in community.messages
            if m.channel_id == where.id and m.by_bot and not m.deleted
        ]

    async def react(message: MessageRef, emoji: str) -> None:
        await community.react(ben, int(message.id), emoji)

    yield Rig(platform, channel, ben.ref, zoe.ref, posted, react=react)


ADAPTERS: dict[str, Callable[[], AbstractAsyncContextManager[Rig]]] = {"local": local_rig}


@pytest.fixture(params=sorted(ADAPTERS))
async def rig(request: pytest.FixtureRequest) -> AsyncIterator[Rig]:
    async with ADAPTERS[request.param]() as prepared:
        yield prepared


async def test_sent_messages_can_be_read_edited_and_deleted(rig: Rig) -> None:
    ref = await rig.platform.send(rig.channel, OutgoingMessage.of("first version"))
    fetched = await rig.platform.fetch_message(ref)
    assert fetched is not None and "first version" in fetched.text
    if Capability.EDIT in rig.platform.capabilities:
        await rig.platform.edit(ref, OutgoingMessage.of("second version"))
        fetched = await rig.platform.fetch_message(ref)
        assert fetched is not None and "second version" in fetched.text
    await rig.platform.delete(ref)
    assert await rig.platform.fetch_message(ref) is None


async def test_rich_messages_with_fields_and_buttons_are_accepted(rig: Rig) -> None:
    message = OutgoingMessage(
        text=rich(Markup("**Ticket #1**: "), "user <text> @everyone", Mention(rig.open_dms.id)),
        title=rich("Title"),
        fields=(Field(rich("Status"), rich("open")),),
        buttons=(Button("test:press", "Press me"),),
    )
    ref = await rig.platform.send(rig.channel, message)
    fetched = await rig.platform.fetch_message(ref)
    assert fetched is not None
    assert "@everyone" not in fetched.text


async def test_a_post_repeated_with_its_nonce_after_a_crash_is_posted_once(rig: Rig) -> None:
    """The outbox repeats a post cut off by a crash with the same nonce and `recovering`;
    the platform hands back the message the first attempt posted instead of a second."""
    rig.skip_unless_shown(NONCE)
    message = OutgoingMessage.of("Flag 1: spam")
    first = await rig.platform.send(rig.channel, message, nonce="flag:1:post")
    await rig.platform.send(rig.channel, OutgoingMessage.of("something else"), nonce="flag:2")

    again = await rig.platform.send(rig.channel, message, nonce="flag:1:post", recovering=True)

    assert again == first
    assert rig.posted(rig.channel).count("Flag 1: spam") == 1


async def test_reactions_name_who_reacted_but_never_the_bot(rig: Rig) -> None:
    """What a catch-up after a reconnect reads: each emoji with its users, the bot's own
    reactions (the flag's controls) left out, spelled as live reaction events spell it."""
    assert rig.react is not None, "every rig lets a member react"
    ref = await rig.platform.send(rig.channel, OutgoingMessage.of("vote here"))
    await rig.platform.add_reaction(ref, "✅")
    assert await rig.platform.reactions(ref) == []
    await rig.react(ref, "👍")
    found = await rig.platform.reactions(ref)
    assert [(r.emoji, [u.id for u in r.users]) for r in found] == [("👍", [rig.open_dms.id])]
    await rig.platform.delete(ref)
    with pytest.raises(NotFound):
        await rig.platform.reactions(ref)


async def test_permalinks_parse_back_to_the_same_message(rig: Rig) -> None:
    ref = await rig.platform.send(rig.channel, OutgoingMessage.of("link me"))
    link = await rig.platform.permalink(ref)
    parsed = rig.platform.parse_message_link(rig.channel.community, link)
    assert parsed is not None and parsed.id == ref.id


async def test_closed_direct_messages_raise_a_typed_error(rig: Rig) -> None:
    if Capability.DIRECT_MESSAGES not in rig.platform.capabilities:
        pytest.skip("platform has no direct messages")
    await rig.platform.send_direct(rig.open_dms, OutgoingMessage.of("hello"))
    with pytest.raises(DirectMessagesClosed):
        await rig.platform.send_direct(rig.closed_dms, OutgoingMessage.of("hello"))


async def test_threads_open_under_a_message_and_archive(rig: Rig) -> None:
    if Capability.THREADS not in rig.platform.capabilities:
        pytest.skip("platform has no threads")
    ref = await rig.platform.send(rig.channel, OutgoingMessage.of("tracker"))
    thread = await rig.platform.open_thread(ref, "Ticket #1")
    assert thread.is_thread
    await rig.platform.send(thread, OutgoingMessage.of("in the thread"))
    if Capability.ARCHIVE_THREADS in rig.platform.capabilities:
        await rig.platform.archive_thread(thread, lock=True)
        await rig.platform.unarchive_thread(thread)
        await rig.platform.send(thread, OutgoingMessage.of("reopened"))
    else:
        with pytest.raises(Unsupported):
            await rig.platform.unarchive_thread(thread)


async def test_a_thread_takes_a_new_name_where_threads_have_names(rig: Rig) -> None:
    """Every platform with threads accepts a rename (Slack's unnamed threads do nothing),
    and the same name again is no error: a retry after a crash."""
    if Capability.THREADS not in rig.platform.capabilities:
        pytest.skip("platform has no threads")
    ref = await rig.platform.send(rig.channel, OutgoingMessage.of("tracker"))
    thread = await rig.platform.open_thread(ref, "Ticket #1: login")
    await rig.platform.rename_thread(thread, "Ticket #1: login fails")
    await rig.platform.rename_thread(thread, "Ticket #1: login fails")
    await rig.platform.send(thread, OutgoingMessage.of("still the same thread"))


async def test_actions_outside_the_capabilities_raise_unsupported(rig: Rig) -> None:
    actions = {
        Capability.TIMEOUT: lambda: rig.platform.timeout(rig.open_dms, timedelta(hours=1), "t"),
        Capability.BAN: lambda: rig.platform.ban(rig.open_dms, "test"),
    }
    for capability, action in actions.items():
        if capability not in rig.platform.capabilities:
            with pytest.raises(Unsupported):
                await action()


async def test_slow_mode_is_set_read_back_and_lifted(rig: Rig) -> None:
    """What a raid's measure and its undo rely on: the value set is the value read, setting
    it again (a retry) is fine, and 0 lifts it. A platform without slow mode says so."""
    platform = rig.platform
    if Capability.SLOW_MODE not in platform.capabilities:
        assert await platform.slow_mode(rig.channel) == 0
        with pytest.raises(Unsupported):
            await platform.set_slow_mode(rig.channel, 30, "raid")
        return
    assert await platform.slow_mode(rig.channel) == 0
    await platform.set_slow_mode(rig.channel, 30, "raid")
    await platform.set_slow_mode(rig.channel, 30, "raid")
    assert await platform.slow_mode(rig.channel) == 30
    await platform.set_slow_mode(rig.channel, 0, "raid over")
    assert await platform.slow_mode(rig.channel) == 0


async def test_invites_are_paused_and_resumed(rig: Rig) -> None:
    platform, community = rig.platform, rig.channel.community
    if Capability.PAUSE_INVITES not in platform.capabilities:
        assert await platform.invites_paused(community) is False
        with pytest.raises(Unsupported):
            await platform.pause_invites(community, True, "raid")
        return
    rig.skip_unless_shown(INVITES)
    assert await platform.invites_paused(community) is False
    await platform.pause_invites(community, True, "raid")
    await platform.pause_invites(community, True, "raid")
    assert await platform.invites_paused(community) is True
    await platform.pause_invites(community, False, "raid over")
    assert await platform.invites_paused(community) is False


async def test_missing_messages_are_reported_as_not_found(rig: Rig) -> None:
    ref = await rig.platform.send(rig.channel, OutgoingMessage.of("soon gone"))
    await rig.platform.delete(ref)
    if Capability.EDIT in rig.platform.capabilities:
        with pytest.raises(NotFound):
            await rig.platform.edit(ref, OutgoingMessage.of("too late"))


def test_local_channels_are_found_with_or_without_a_hash_even_if_named_with_one() -> None:
    community = LocalCommunity()
    thread = community.add_channel("#3 Login broken", parent_id="tickets")
    assert community.channel_named("#3 Login broken") is thread
    assert community.channel_named("##3 Login broken") is thread
    assert community.channel_named("#general").name == "general"
    with pytest.raises(LookupError, match="no channel named #nowhere"):
        community.channel_named("#nowhere")


async def test_moderation_actions_on_someone_who_left_are_not_found() -> None:
    community = LocalCommunity()
    platform = LocalPlatform(community)
    gone = UserRef(community.community, "gone")
    for action in (
        lambda: platform.timeout(gone, timedelta(hours=1), "spam"),
        lambda: platform.kick(gone, "spam"),
        lambda: platform.grant_role(gone, "Members", "rules"),
    ):
        with pytest.raises(NotFound):
            await action()
    assert community.timeouts == {}
