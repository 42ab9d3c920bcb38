"""Moderators settle flags with one reaction: once, by moderators only, with a quorum for bans."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from adapters.local import LocalCommunity, LocalPlatform
from adapters.local.community import LocalMessage
from bot.app.application import App
from bot.app.local_session import LocalSession
from bot.clock import VirtualClock
from bot.errors import MissingPermission
from bot.model import UserRef
from bot.platform import Capability
from bot.settings import Settings
from cogs.moderation.cog import ModerationCog
from storage.moderation import FlagStatus, ModerationRepository

CONFIG = """
[[moderation.rules]]
name = "swearing"
type = "keywords"
keywords = ["darn", "heck"]
"""


def seed(community: LocalCommunity) -> None:
    community.add_member("Alice", roles=("Admins",))
    community.add_member("Mo", roles=("Moderators",))
    community.add_member("Max", roles=("Moderators",))
    community.add_member("Amy", roles=("Ambassadors",))
    community.add_member("Ben")


@pytest.fixture
async def session(
    settings: Settings, clock: VirtualClock, write_config: object
) -> AsyncIterator[LocalSession]:
    write_config(CONFIG)  # type: ignore[operator]
    community = LocalCommunity()
    community.now = clock.now
    seed(community)
    opened = await LocalSession.open(settings, clock=clock, community=community)
    yield opened
    await opened.app.close()


def moderation(session: LocalSession) -> ModerationCog:
    return next(c for c in session.app.dispatcher.cogs if isinstance(c, ModerationCog))


def repo(session: LocalSession) -> ModerationRepository:
    return ModerationRepository(session.app.services.db, session.app.services.audit)


async def breach(session: LocalSession, text: str = "darn it") -> tuple[LocalMessage, LocalMessage]:
    """Ben breaks a rule; returns his message and the flag posted for it."""
    c = session.community
    message = await c.post(c.member("Ben"), "#general", text)
    flag = c.read("#moderators")[-1]
    return message, flag


async def actions(session: LocalSession) -> list[str]:
    entries = await session.app.services.audit.recent(session.community.community.key)
    return [e.action for e in reversed(entries)]


async def test_reactions_from_non_moderators_are_removed_and_do_nothing(
    session: LocalSession,
) -> None:
    c = session.community
    message, flag = await breach(session)
    for name in ("Ben", "Amy"):
        await c.react(c.member(name), flag.number, "🔨")
        await c.react(c.member(name), flag.number, "✅")
    assert flag.reactions["🔨"] == ["botschafter"] and flag.reactions["✅"] == ["botschafter"]
    assert not flag.edited and not message.deleted and "ben" not in c.banned
    assert (await repo(session).flag(c.community.key, 1)).status is FlagStatus.OPEN  # type: ignore[union-attr]
    assert await actions(session) == []


async def test_an_admin_may_act_like_a_moderator(session: LocalSession) -> None:
    c = session.community
    _, flag = await breach(session)
    await c.react(c.member("Alice"), flag.number, "✅")
    assert "Dismissed, no action**, by Alice" in flag.text


async def test_a_moderator_cannot_decide_a_flag_about_their_own_message(
    session: LocalSession,
) -> None:
    c = session.community
    mo = c.member("Mo")
    await c.post(mo, "#general", "darn it")
    flag = c.read("#moderators")[-1]
    await c.react(mo, flag.number, "✅")
    assert "Open. React to decide" in flag.text
    # Answered privately, never next to the flag.
    assert "is about your own message" in c.direct_messages(mo)[-1].text
    assert c.read("#moderators") == [flag]
    await c.run(mo, "/flag resolve 1 dismiss")
    assert "is about your own message" in c.last_private(mo)
    assert await actions(session) == []
    await c.react(c.member("Max"), flag.number, "✅")
    assert "Dismissed, no action**, by Max" in flag.text


async def test_an_admin_may_settle_a_flag_about_their_own_message(
    session: LocalSession,
) -> None:
    c = session.community
    alice = c.member("Alice")
    await c.post(alice, "#general", "darn it")
    flag = c.read("#moderators")[-1]
    await c.react(alice, flag.number, "✅")
    assert "Dismissed, no action**, by Alice" in flag.text


async def test_dismiss_keeps_the_message_and_shows_who_decided_when(
    session: LocalSession,
) -> None:
    c = session.community
    message, flag = await breach(session)
    await c.react(c.member("Mo"), flag.number, "✅")
    assert not message.deleted
    assert "✅ **Dismissed, no action**, by Mo at 2026-01-05 09:00 UTC" in flag.text
    assert "React to decide" not in flag.text
    assert await repo(session).infractions(c.community.key, "ben", 10) == []
    assert await actions(session) == ["moderation.dismiss"]


async def test_delete_is_recorded_before_the_message_is_deleted(session: LocalSession) -> None:
    c = session.community
    message, flag = await breach(session)
    platform = session.app.services.platform(c.community)
    seen = []
    original = platform.delete

    async def delete(ref):  # type: ignore[no-untyped-def]
        stored = await repo(session).flag(c.community.key, 1)
        seen.append((stored.status, stored.outcome, await actions(session)))  # type: ignore[union-attr]
        await original(ref)

    platform.delete = delete  # type: ignore[method-assign]
    await c.react(c.member("Mo"), flag.number, "🗑️")
    assert message.deleted
    assert seen == [(FlagStatus.ACTING, "delete", ["moderation.delete"])]
    assert "🗑️ **Message deleted**, by Mo" in flag.text and "(deleted)" in flag.text


async def test_warn_tells_the_author_privately_which_rule(session: LocalSession) -> None:
    c = session.community
    ben = c.member("Ben")
    message, flag = await breach(session)
    await c.react(c.member("Mo"), flag.number, "⚠️")
    [dm] = c.direct_messages(ben)
    assert "warned you: your message breaks the rule “swearing”" in dm.text
    assert "“darn it”" in dm.text and "#rules" in dm.text
    assert message.deleted  # acting against the author removes the message too
    [infraction] = await repo(session).infractions(c.community.key, "ben", 10)
    assert (infraction.kind, infraction.moderator_id, infraction.flag_id) == ("warn", "mo", 1)
    assert "1 × warning in the last 90 days" in flag.text


async def test_the_author_is_shown_the_message_that_broke_the_rule(session: LocalSession) -> None:
    c = session.community
    ben = c.member("Ben")
    _, flag = await breach(session, "darn it")
    c.add_member("Zoe")
    later = await c.post(ben, "#tickets", "hello there")
    await c.run(c.member("Zoe"), f"/report {later.number} spam")  # folds into Ben's flag
    assert "Messages (2)" in flag.text
    await c.react(c.member("Mo"), flag.number, "⚠️")
    [dm] = c.direct_messages(ben)
    assert "Your message in #general: “darn it”" in dm.text and "hello there" not in dm.text


async def test_warn_with_closed_dms_mentions_the_author_in_the_channel(
    session: LocalSession,
) -> None:
    c = session.community
    ben = c.member("Ben")
    c.dms_closed.add(ben.id)
    _, flag = await breach(session)
    await c.react(c.member("Mo"), flag.number, "⚠️")
    [notice] = c.read("#general")
    assert notice.by_bot and notice.pinged == ("ben",)
    assert "a moderator warned you: your message breaks the rule “swearing”" in notice.text


async def test_timeout_uses_the_configured_default(session: LocalSession) -> None:
    c = session.community
    _, flag = await breach(session)
    await c.react(c.member("Mo"), flag.number, "🔇")
    assert c.timeouts["ben"].startswith("2026-01-05T10:00")
    assert "🔇 **Timed out for 1h**, by Mo" in flag.text
    [infraction] = await repo(session).infractions(c.community.key, "ben", 10)
    assert infraction.expires_at == session.clock.now() + timedelta(hours=1)
    assert "timed you out for 1h" in c.direct_messages(c.member("Ben"))[0].text


async def test_kick_removes_the_member_and_records_it(session: LocalSession) -> None:
    c = session.community
    _, flag = await breach(session)
    await c.react(c.member("Mo"), flag.number, "👢")
    assert "ben" not in c.members
    assert "👢 **Kicked**, by Mo" in flag.text
    assert await actions(session) == ["moderation.kick"]


async def test_a_ban_needs_a_second_moderator(session: LocalSession) -> None:
    c = session.community
    mo, max_ = c.member("Mo"), c.member("Max")
    _, flag = await breach(session)
    await c.react(mo, flag.number, "🔨")
    assert "ben" not in c.banned
    assert "🔨 ban proposed by Mo: 1 of 2 moderators agree" in flag.text
    await c.run(mo, "/flag resolve 1 ban")
    assert "You already voted to ban on flag #1" in c.last_private(mo)
    assert "ben" not in c.banned
    await c.react(max_, flag.number, "🔨")
    assert "ben" in c.banned
    assert "🔨 **Banned**, by Mo, Max" in flag.text
    assert await actions(session) == ["moderation.vote", "moderation.ban"]
    [infraction] = await repo(session).infractions(c.community.key, "ben", 10)
    assert infraction.kind == "ban"


async def test_taking_back_a_ban_reaction_withdraws_the_vote(session: LocalSession) -> None:
    c = session.community
    mo = c.member("Mo")
    _, flag = await breach(session)
    await c.react(mo, flag.number, "🔨")
    await c.unreact(mo, flag.number, "🔨")
    assert "proposed" not in flag.text
    await c.react(c.member("Max"), flag.number, "🔨")
    assert "ben" not in c.banned and "proposed by Max: 1 of 2" in flag.text


async def test_kick_can_require_a_quorum_too(
    settings: Settings, clock: VirtualClock, write_config: object
) -> None:
    write_config(CONFIG + "\n[moderation.quorum]\nkick = 2\nban = 3\n")  # type: ignore[operator]
    community = LocalCommunity()
    community.now = clock.now
    seed(community)
    session = await LocalSession.open(settings, clock=clock, community=community)
    try:
        _, flag = await breach(session)
        await community.react(community.member("Mo"), flag.number, "👢")
        assert "ben" in community.members and "1 of 2" in flag.text
        await community.react(community.member("Alice"), flag.number, "👢")
        assert "ben" not in community.members
    finally:
        await session.app.close()


async def test_two_moderators_reacting_at_once_cause_exactly_one_action(
    session: LocalSession,
) -> None:
    c = session.community
    message, flag = await breach(session)
    await asyncio.gather(
        c.react(c.member("Mo"), flag.number, "✅"),
        c.react(c.member("Max"), flag.number, "🗑️"),
    )
    decided = [
        a for a in await actions(session) if a in ("moderation.dismiss", "moderation.delete")
    ]
    assert len(decided) == 1
    assert message.deleted is (decided == ["moderation.delete"])
    # The late reaction is answered privately; the desk holds only the flag.
    assert c.read("#moderators") == [flag]
    late_notes = [
        m
        for name in ("Mo", "Max")
        for m in c.direct_messages(c.member(name))
        if "was already settled" in m.text
    ]
    assert len(late_notes) == 1


async def test_two_simultaneous_kicks_kick_once(session: LocalSession) -> None:
    c = session.community
    _, flag = await breach(session)
    await asyncio.gather(
        c.react(c.member("Mo"), flag.number, "👢"),
        c.react(c.member("Max"), flag.number, "👢"),
    )
    assert [line for line in c.transcript if line.startswith("(kicked ben")] != []
    assert len([line for line in c.transcript if line.startswith("(kicked ben")]) == 1
    assert len(await repo(session).infractions(c.community.key, "ben", 10)) == 1
    assert await actions(session) == ["moderation.kick"]


async def test_two_simultaneous_ban_votes_ban_once(session: LocalSession) -> None:
    c = session.community
    _, flag = await breach(session)
    await asyncio.gather(
        c.react(c.member("Mo"), flag.number, "🔨"),
        c.react(c.member("Max"), flag.number, "🔨"),
    )
    assert len([line for line in c.transcript if line.startswith("(banned ben")]) == 1
    assert (await actions(session)).count("moderation.ban") == 1


async def test_a_restart_between_flag_and_reaction_loses_nothing(
    session: LocalSession, settings: Settings, clock: VirtualClock
) -> None:
    c = session.community
    message, flag = await breach(session)
    await session.app.close()

    restarted = await LocalSession.open(settings, clock=clock, community=c)
    session.app = restarted.app  # the fixture closes whichever app is current
    await c.react(c.member("Mo"), flag.number, "🗑️")
    assert message.deleted and "Message deleted**, by Mo" in flag.text
    await c.react(c.member("Max"), flag.number, "⚠️")
    assert c.direct_messages(c.member("Ben")) == []
    assert await actions(restarted) == ["moderation.delete"]


async def test_an_action_claimed_before_a_crash_is_carried_out_once_after_restart(
    session: LocalSession, settings: Settings, clock: VirtualClock
) -> None:
    c = session.community
    _, flag = await breach(session)

    async def crash(*args: object) -> None:
        raise RuntimeError("power cut")

    # The claim and its outbox entries commit, then the process dies before delivering.
    session.app.services.outbox.deliver = crash  # type: ignore[method-assign]
    await c.react(c.member("Mo"), flag.number, "👢")
    assert "ben" in c.members
    await session.app.close()

    restarted = await LocalSession.open(settings, clock=clock, community=c)
    session.app = restarted.app
    # Whatever the stopped process still held is taken over at once, or at the latest when
    # its lease runs out (real time): the old "process" here shares this test's pid, so it
    # never looks dead, and on PostgreSQL its loop may have claimed the kick as it stopped.
    give_up_at = time.monotonic() + settings.lease_seconds + 2

    def carried_out() -> bool:
        return "ben" not in c.members and "👢 **Kicked**, by Mo" in flag.text

    await restarted.run_due_jobs()
    while not carried_out() and time.monotonic() < give_up_at:
        await asyncio.sleep(0.2)
        await restarted.run_due_jobs()
    assert "ben" not in c.members
    assert "👢 **Kicked**, by Mo" in flag.text
    await restarted.run_due_jobs()
    assert len([line for line in c.transcript if line.startswith("(kicked ben")]) == 1


async def test_a_refused_action_reopens_the_flag_and_says_why(session: LocalSession) -> None:
    c = session.community
    platform = session.app.services.platform(c.community)

    async def refuse(user: UserRef, reason: str, **options: object) -> None:
        raise MissingPermission("role hierarchy")

    platform.kick = refuse  # type: ignore[method-assign]
    _, flag = await breach(session)
    await c.react(c.member("Mo"), flag.number, "👢")
    assert "could not be carried out: the bot lacks the permission" in flag.text
    assert "React to decide" in flag.text
    assert "Could not kick on flag #1" in c.direct_messages(c.member("Mo"))[-1].text
    assert await repo(session).infractions(c.community.key, "ben", 10) == []
    await c.react(c.member("Max"), flag.number, "🔇")
    assert "ben" in c.timeouts
    assert await actions(session) == [
        "moderation.kick",
        "moderation.action_failed",
        "moderation.timeout",
    ]


async def test_a_refused_timeout_tells_the_author_nothing(session: LocalSession) -> None:
    c = session.community
    platform = session.app.services.platform(c.community)

    async def refuse(user: UserRef, duration: timedelta, reason: str, **options: object) -> None:
        raise MissingPermission("role hierarchy")

    platform.timeout = refuse  # type: ignore[method-assign]
    _, flag = await breach(session)
    await c.react(c.member("Mo"), flag.number, "🔇")
    assert "React to decide" in flag.text
    assert c.direct_messages(c.member("Ben")) == []  # no "you were timed out" that is untrue


async def test_a_moderators_other_emoji_is_left_alone(session: LocalSession) -> None:
    c = session.community
    _, flag = await breach(session)
    await c.react(c.member("Mo"), flag.number, "👀")
    assert flag.reactions["👀"] == ["mo"] and not flag.edited


async def test_reactions_on_other_messages_are_ignored(session: LocalSession) -> None:
    c = session.community
    message, _ = await breach(session)
    await c.react(c.member("Ben"), message.number, "🔨")
    assert message.reactions["🔨"] == ["ben"]


async def test_a_platform_without_bans_and_timeouts_offers_neither_and_says_what_instead(
    settings: Settings, clock: VirtualClock, write_config: object
) -> None:
    write_config(CONFIG)  # type: ignore[operator]
    community = LocalCommunity()
    community.now = clock.now
    seed(community)
    platform = LocalPlatform(community)
    platform.capabilities = frozenset(Capability) - {Capability.BAN, Capability.TIMEOUT}
    app = await App.create(settings, [platform], clock=clock)
    community.dispatch = app.dispatcher.dispatch
    try:
        await community.post(community.member("Ben"), "#general", "darn")
        [flag] = community.read("#moderators")
        assert set(flag.reactions) == {"✅", "🗑️", "⚠️", "👢"}
        assert "Not available on local mode" in flag.text
        assert (
            "🔨 ban: local mode has no bans for bots. Deactivate or remove the account" in flag.text
        )
        await community.react(community.member("Mo"), flag.number, "🔨")
        assert "ben" not in community.banned and "React to decide" in flag.text
        assert community.read("#moderators") == [flag]
        [note] = community.direct_messages(community.member("Mo"))
        assert "local mode cannot ban" in note.text
        await community.run(community.member("Mo"), "/flag resolve 1 timeout")
        assert "local mode cannot timeout" in community.last_private(community.member("Mo"))
    finally:
        await app.close()


async def test_a_warning_falls_back_to_the_configured_channel(session: LocalSession) -> None:
    c = session.community
    await session.app.services.config.set_override(
        c.community, "moderation.warn_fallback_channel", "welcome", "alice", session.clock.now()
    )
    c.dms_closed.add("ben")
    _, flag = await breach(session)
    await c.react(c.member("Mo"), flag.number, "⚠️")
    [notice] = c.read("#welcome")
    assert notice.pinged == ("ben",) and "a moderator warned you" in notice.text
    assert [m for m in c.read("#general") if m.by_bot] == []
