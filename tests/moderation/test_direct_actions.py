"""Moderators' direct actions: /warn, /timeout, /kick, /ban (by quorum), /unban, /untimeout."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from adapters.local import LocalCommunity
from bot.app.local_session import LocalSession
from bot.clock import VirtualClock
from bot.settings import Settings
from storage.moderation import ModerationRepository

CONFIG = """
[moderation.quorum]
ban = 2
"""


@pytest.fixture
async def session(
    settings: Settings, clock: VirtualClock, write_config: object
) -> AsyncIterator[LocalSession]:
    write_config(CONFIG)  # type: ignore[operator]
    community = LocalCommunity()
    community.now = clock.now
    community.add_member("Mo", roles=("Moderators",))
    community.add_member("Max", roles=("Moderators",))
    community.add_member("Ada", roles=("Moderators",))
    community.add_member("Amy", roles=("Ambassadors",))
    community.add_member("Ben")
    community.add_member("Zoe", locale="de")
    opened = await LocalSession.open(settings, clock=clock, community=community)
    yield opened
    await opened.app.close()


def repo(session: LocalSession) -> ModerationRepository:
    services = session.app.services
    return ModerationRepository(services.db, services.audit)


async def actions(session: LocalSession) -> list[str]:
    entries = await session.app.services.audit.recent(session.community.community.key)
    return [e.action for e in reversed(entries)]


async def test_members_and_ambassadors_cannot_act_directly(session: LocalSession) -> None:
    c = session.community
    for name in ("Ben", "Amy"):
        member = c.member(name)
        for line in (
            "/warn @zoe spam",
            "/timeout @zoe 1h spam",
            "/kick @zoe spam",
            "/ban @zoe spam",
            "/unban zoe sorry",
            "/untimeout @zoe sorry",
            "/note @zoe watch her",
            "/audit",
        ):
            await c.run(member, line)
            assert "only members with the moderator role" in c.last_private(member), line
    assert "zoe" not in c.banned and "zoe" not in c.timeouts
    assert c.direct_messages(c.member("Zoe")) == []
    assert await actions(session) == []


async def test_warn_records_an_infraction_tells_the_member_in_their_language_and_shows_the_record(
    session: LocalSession,
) -> None:
    c = session.community
    mo = c.member("Mo")
    await c.run(mo, "/warn @zoe please stop posting invite links")
    reply = c.last_private(mo)
    assert reply.startswith("⚠️ Zoe is warned (infraction #1, flag #1).")
    assert "They were told by direct message" in reply
    [notice] = c.direct_messages(c.member("Zoe"))
    assert "verwarnt" in notice.text and "please stop posting invite links" in notice.text
    [infraction] = await repo(session).infractions(c.community.key, "zoe", 10)
    assert (infraction.kind, infraction.moderator_id) == ("warn", "mo")
    assert "moderation.warn" in await actions(session)
    flag = c.read("#moderators")[-1]
    assert "Flag #1** · Zoe · action by Mo" in flag.text and "Warned" in flag.text
    await c.run(mo, "/infractions @zoe")
    assert "#1 · warning" in c.last_private(mo) and "by Mo" in c.last_private(mo)


async def test_a_warning_to_closed_dms_says_so_truthfully(session: LocalSession) -> None:
    c = session.community
    c.dms_closed.add("zoe")
    mo = c.member("Mo")
    await c.run(mo, "/warn @zoe spam")
    assert "direct messages are closed, so I warned them publicly" in c.last_private(mo)
    assert "They were told" not in c.last_private(mo)


async def test_timeout_kick_and_untimeout(session: LocalSession) -> None:
    c = session.community
    mo = c.member("Mo")
    await c.run(mo, "/timeout @zoe 2h flooding")
    assert "Zoe is timed out for 2h" in c.last_private(mo)
    assert "zoe" in c.timeouts
    await c.run(mo, "/untimeout @zoe it was a misunderstanding")
    assert "Zoe's timeout has ended" in c.last_private(mo)
    assert "zoe" not in c.timeouts
    assert "Timeout" in c.direct_messages(c.member("Zoe"))[-1].text
    await c.run(mo, "/kick @ben trolling")
    assert "Ben is kicked" in c.last_private(mo)
    assert "ben" not in c.members
    assert [a for a in await actions(session) if a != "moderation.pardon"] == [
        "moderation.timeout",
        "moderation.untimeout",
        "moderation.kick",
    ]


async def test_bad_input_changes_nothing(session: LocalSession) -> None:
    c = session.community
    mo, max_ = c.member("Mo"), c.member("Max")
    await c.run(mo, "/warn @mo testing")
    assert "cannot act against yourself" in c.last_private(mo)
    await c.run(mo, "/kick @max disagreement")
    assert "moderator too" in c.last_private(mo)
    await c.run(mo, "/timeout @zoe 99d too long")
    assert "at most" in c.last_private(mo)
    assert "max" in c.members and "zoe" not in c.timeouts
    assert await actions(session) == []
    await c.run(max_, "/untimeout @zoe nothing to lift")
    assert "Zoe's timeout has ended" in c.last_private(max_)


async def test_a_ban_needs_the_quorum_and_credits_every_voter(session: LocalSession) -> None:
    c = session.community
    mo, max_, ada = c.member("Mo"), c.member("Max"), c.member("Ada")
    await c.run(mo, "/ban @zoe hate speech")
    assert "1 of 2 moderators agree" in c.last_private(mo)
    assert "/ban @Zoe" in c.last_private(mo)
    assert "zoe" not in c.banned
    await c.run(mo, "/ban @zoe again")
    assert "You already voted to ban" in c.last_private(mo)
    await c.run(max_, "/ban @zoe confirmed")
    assert "Zoe is banned" in c.last_private(max_)
    assert "zoe" in c.banned
    [infraction] = await repo(session).infractions(c.community.key, "zoe", 10)
    assert set(infraction.credited) == {"mo", "max"}
    await c.run(ada, "/infractions zoe")
    assert "by Max, Mo" in c.last_private(ada)
    # A quorum's ban takes as many moderators to lift.
    await c.run(ada, "/unban zoe second chance")
    assert "1 of 2 moderators agree" in c.last_private(ada)
    assert "zoe" in c.banned
    await c.run(ada, "/unban zoe second chance")
    assert "You already voted to lift it" in c.last_private(ada)
    await c.run(mo, "/unban zoe agreed")
    assert "Zoe is unbanned" in c.last_private(mo)
    assert "zoe" not in c.banned


async def test_a_second_moderator_confirms_a_ban_by_reacting(session: LocalSession) -> None:
    c = session.community
    await c.run(c.member("Mo"), "/ban @zoe hate speech")
    flag = c.read("#moderators")[-1]
    assert "🔨 ban proposed by Mo: 1 of 2" in flag.text
    await c.react(c.member("Max"), flag.number, "🔨")
    assert "zoe" in c.banned and "Banned" in flag.text


async def test_a_pardon_of_a_quorum_ban_needs_the_quorum(session: LocalSession) -> None:
    c = session.community
    await c.run(c.member("Mo"), "/ban @zoe hate speech")
    await c.run(c.member("Max"), "/ban @zoe confirmed")
    ada = c.member("Ada")
    await c.run(ada, "/infraction pardon 1 mistaken identity")
    assert "1 of 2 moderators agree" in c.last_private(ada)
    [infraction] = await repo(session).infractions(c.community.key, "zoe", 10)
    assert infraction.status == "active"
    await c.run(c.member("Mo"), "/infraction pardon 1 yes")
    assert "is pardoned" in c.last_private(c.member("Mo"))


async def test_two_moderators_banning_at_once_make_one_proposal_and_one_ban(
    session: LocalSession,
) -> None:
    c = session.community
    await asyncio.gather(
        c.run(c.member("Mo"), "/ban @zoe spam"), c.run(c.member("Max"), "/ban @zoe spam")
    )
    assert "zoe" in c.banned
    [infraction] = await repo(session).infractions(c.community.key, "zoe", 10)
    assert set(infraction.credited) == {"mo", "max"}
    assert (await actions(session)).count("moderation.ban") == 1
    flags = [m for m in c.read("#moderators") if "**Flag #" in m.text]
    assert len(flags) == 1


async def test_an_appeal_sent_twice_at_once_is_filed_once(session: LocalSession) -> None:
    c = session.community
    await c.run(c.member("Mo"), "/warn @ben spam")
    ben = c.member("Ben")
    await asyncio.gather(c.run(ben, "/appeal 1 sorry"), c.run(ben, "/appeal 1 sorry!"))
    assert (await actions(session)).count("moderation.appeal") == 1
    assert len([m for m in c.read("#moderators") if "Appeal #" in m.text]) == 1
