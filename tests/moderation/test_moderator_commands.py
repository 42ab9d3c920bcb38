"""Slash equivalents for moderators, the infraction record and the escalation ladder."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from adapters.local import LocalCommunity
from bot.app.local_session import LocalSession
from bot.clock import VirtualClock
from bot.errors import MissingPermission
from bot.settings import Settings
from storage.moderation import ModerationRepository

CONFIG = """
[[moderation.rules]]
name = "swearing"
type = "keywords"
keywords = ["darn", "heck"]

[[moderation.escalation]]
count = 3
kind = "warn"
within = "30d"
then = "timeout"
duration = "1d"
"""


async def open_session(
    settings: Settings, clock: VirtualClock, write_config: object, config: str
) -> LocalSession:
    write_config(config)  # type: ignore[operator]
    community = LocalCommunity()
    community.now = clock.now
    community.add_member("Mo", roles=("Moderators",))
    community.add_member("Max", roles=("Moderators",))
    community.add_member("Amy", roles=("Ambassadors",))
    community.add_member("Ben")
    community.add_member("Zoe")
    return await LocalSession.open(settings, clock=clock, community=community)


@pytest.fixture
async def session(
    settings: Settings, clock: VirtualClock, write_config: object
) -> AsyncIterator[LocalSession]:
    opened = await open_session(settings, clock, write_config, CONFIG)
    yield opened
    await opened.app.close()


async def test_members_and_ambassadors_cannot_use_moderator_commands(
    session: LocalSession,
) -> None:
    c = session.community
    await c.post(c.member("Zoe"), "#general", "darn")
    for name in ("Ben", "Amy"):
        member = c.member(name)
        for line in ("/flags open", "/flag resolve 1 ban", "/infractions @zoe"):
            await c.run(member, line)
            assert "only members with the moderator role" in c.last_private(member)
    assert "zoe" not in c.banned
    assert await session.app.services.audit.recent(c.community.key) == []


async def test_flags_open_lists_unsettled_flags_oldest_first(session: LocalSession) -> None:
    c = session.community
    mo = c.member("Mo")
    await c.run(mo, "/flags open")
    assert c.last_private(mo) == "No open flags. 🎉"
    await c.post(c.member("Zoe"), "#general", "darn")
    await session.advance(timedelta(minutes=30))
    reported = await c.post(c.member("Ben"), "#general", "you are all clowns")
    await c.run(c.member("Amy"), f"/report {reported.number} rude")
    await c.run(mo, "/flags open")
    lines = c.last_private(mo).splitlines()
    assert lines[0] == "**Open flags: 2**"
    assert lines[1].startswith("#1 · Zoe · swearing · open for 30m")
    assert "Go to flag <local:/moderators/" in lines[1]
    assert lines[2].startswith("#2 · Ben · member report · 1 report · open for 1m")


async def test_flag_resolve_settles_with_a_reason_the_author_sees(session: LocalSession) -> None:
    c = session.community
    mo, zoe = c.member("Mo"), c.member("Zoe")
    await c.post(zoe, "#general", "darn")
    await c.run(mo, "/flag resolve 1 warn please keep it friendly")
    assert c.last_private(mo) == "Flag #1: Warned."
    [dm] = c.direct_messages(zoe)
    assert "Moderator's note: please keep it friendly" in dm.text
    [flag] = c.read("#moderators")
    assert "Warned**, by Mo" in flag.text and "Reason: please keep it friendly" in flag.text
    await c.run(c.member("Max"), "/flag resolve 1 dismiss")
    assert "Flag #1 was already settled by Mo: Warned." in c.last_private(c.member("Max"))


async def test_flag_resolve_refuses_bad_input(session: LocalSession) -> None:
    c = session.community
    mo = c.member("Mo")
    await c.run(mo, "/flag resolve 7 dismiss")
    assert "There is no flag #7 here" in c.last_private(mo)
    await c.run(mo, "/flag resolve 1 obliterate")
    assert "<action> must be one of: dismiss, delete, warn, timeout, kick, ban" in c.last_private(
        mo
    )
    await c.run(mo, "/flag resolve one dismiss")
    assert "<flag> must be a number" in c.last_private(mo)


async def test_infractions_lists_a_members_record(session: LocalSession) -> None:
    c = session.community
    mo = c.member("Mo")
    await c.run(mo, "/infractions @zoe")
    assert c.last_private(mo) == "Zoe has no infractions on record."
    await c.post(c.member("Zoe"), "#general", "darn")
    await c.react(mo, c.read("#moderators")[0].number, "⚠️")
    await session.advance(timedelta(hours=2))
    await c.post(c.member("Zoe"), "#general", "heck")
    await c.run(mo, "/flag resolve 2 timeout shouting at people")
    await c.run(mo, "/infractions @zoe")
    lines = c.last_private(mo).splitlines()
    assert lines[0] == "**Infractions of Zoe** (2 shown; 2 in the last 90 days)"
    assert lines[1] == (
        "#2 · timeout · 2026-01-05 11:00 UTC · by Mo · shouting at people · flag #2"
        " · until 2026-01-05 12:00 UTC"
    )
    assert lines[2] == "#1 · warning · 2026-01-05 09:00 UTC · by Mo · swearing · flag #1"
    await c.run(mo, "/infractions nobody")
    assert "“nobody” is neither a member nor anyone with a record" in c.last_private(mo)


async def test_a_mistaken_warning_can_be_pardoned_and_stops_counting(
    session: LocalSession,
) -> None:
    c = session.community
    mo, max_, zoe = c.member("Mo"), c.member("Max"), c.member("Zoe")
    for n in range(2):
        await c.post(zoe, "#general", f"darn {n}")
        await c.run(mo, f"/flag resolve {n + 1} warn")
    await c.run(max_, "/infraction pardon 2 meant to dismiss, sorry")
    assert c.last_private(max_) == (
        "Infraction #2 (warning of Zoe) is pardoned: it no longer counts towards the"
        " escalation ladder or the author's record."
    )
    await c.run(mo, "/infractions Zoe")
    lines = c.last_private(mo).splitlines()
    assert lines[0] == "**Infractions of Zoe** (2 shown; 1 in the last 90 days)"
    assert lines[1].endswith("flag #2 · pardoned by Max: meant to dismiss, sorry")
    await c.post(zoe, "#general", "darn 3")
    assert "1 × warning in the last 90 days" in c.read("#moderators")[-1].text
    await c.run(mo, "/flag resolve 3 warn")
    assert "ladder suggests" not in c.read("#moderators")[-1].text  # 2 warnings count, not 3
    await c.run(mo, "/infraction pardon 2")
    assert c.last_private(mo) == "Infraction #2 is pardoned already."
    await c.run(mo, "/infraction pardon 99")
    assert "There is no infraction #99 here" in c.last_private(mo)
    entries = await session.app.services.audit.recent(c.community.key)
    assert [e.action for e in entries].count("moderation.pardon") == 1


async def test_pardons_are_for_moderators_and_never_for_their_own_record(
    session: LocalSession,
) -> None:
    c = session.community
    mo, max_ = c.member("Mo"), c.member("Max")
    await c.post(max_, "#general", "darn")
    await c.run(mo, "/flag resolve 1 timeout")
    await c.run(c.member("Zoe"), "/infraction pardon 1")
    assert "only members with the moderator role" in c.last_private(c.member("Zoe"))
    await session.advance(timedelta(hours=1))  # a timed-out member runs no commands
    await c.run(max_, "/infraction pardon 1")
    assert "is your own" in c.last_private(max_)
    await c.run(mo, "/infraction pardon 1")
    assert "The timeout itself stays until it ends" in c.last_private(mo)


async def test_the_record_of_a_banned_member_stays_readable(session: LocalSession) -> None:
    c = session.community
    mo = c.member("Mo")
    await c.post(c.member("Zoe"), "#general", "darn")
    await c.react(mo, c.read("#moderators")[0].number, "🔨")
    await c.react(c.member("Max"), c.read("#moderators")[0].number, "🔨")
    assert "zoe" in c.banned
    for line in ("/infractions Zoe", "/infractions zoe", "/infractions @zoe"):
        await c.run(mo, line)
        assert c.last_private(mo).startswith("**Infractions of Zoe** (1 shown")


async def test_the_ladder_suggests_a_timeout_after_three_warnings(session: LocalSession) -> None:
    c = session.community
    mo, zoe = c.member("Mo"), c.member("Zoe")
    for n in range(3):
        await c.post(zoe, "#general", f"darn {n}")
        await c.run(mo, f"/flag resolve {n + 1} warn")
        await session.advance(timedelta(hours=1))
    suggestion = c.read("#moderators")[-1]
    assert "Flag #4** · Zoe" in suggestion.text
    assert "3 × warning within 30 days: the ladder suggests 🔇 timeout 1d" in suggestion.text
    assert "zoe" not in c.timeouts
    await c.react(c.member("Max"), suggestion.number, "🔇")
    assert c.timeouts["zoe"].startswith("2026-01-06T12:00")
    assert "you received 3 × warning within 30 days" in c.direct_messages(zoe)[-1].text


async def test_a_ladder_flag_has_no_message_so_it_offers_no_delete(session: LocalSession) -> None:
    c = session.community
    mo = c.member("Mo")
    for n in range(3):
        await c.post(c.member("Zoe"), "#general", f"darn {n}")
        await c.run(mo, f"/flag resolve {n + 1} warn")
    suggestion = c.read("#moderators")[-1]
    assert "Flag #4** · Zoe" in suggestion.text
    assert "🗑️" not in suggestion.reactions and "🗑️ delete" not in suggestion.text
    await c.run(mo, "/flag resolve 4 delete")
    assert "no message to delete" in c.last_private(mo)
    await c.react(c.member("Max"), suggestion.number, "🗑️")
    assert "no message to delete" in c.direct_messages(c.member("Max"))[-1].text
    assert "Open. React to decide" in suggestion.text


async def test_warnings_spread_over_more_than_the_window_do_not_escalate(
    session: LocalSession,
) -> None:
    c = session.community
    mo, zoe = c.member("Mo"), c.member("Zoe")
    for n in range(3):
        await c.post(zoe, "#general", f"darn {n}")
        await c.run(mo, f"/flag resolve {n + 1} warn")
        await session.advance(timedelta(days=16))
    assert len(c.read("#moderators")) == 3


async def test_the_ladder_can_apply_its_step_by_itself(
    settings: Settings, clock: VirtualClock, write_config: object
) -> None:
    session = await open_session(
        settings,
        clock,
        write_config,
        CONFIG.replace('duration = "1d"', 'duration = "1d"\napply = true'),
    )
    try:
        c = session.community
        mo, zoe = c.member("Mo"), c.member("Zoe")
        for n in range(3):
            await c.post(zoe, "#general", f"darn {n}")
            await c.run(mo, f"/flag resolve {n + 1} warn")
        assert "zoe" in c.timeouts
        ladder = c.read("#moderators")[-1]
        assert "🔇 **Timed out for 1d**, by the escalation ladder" in ladder.text
        repo = ModerationRepository(session.app.services.db, session.app.services.audit)
        record = await repo.infractions(c.community.key, "zoe", 10)
        assert (record[0].kind, record[0].moderator_id) == ("timeout", "escalation-ladder")
        await session.app.services.config.set_override(
            c.community, "community.locale", "de", "alice", clock.now()
        )
        await c.run(mo, "/flag resolve 4 dismiss")
        # German: a name without an article, since it stands after "von" and as a subject.
        assert "Fall #4 hat Botschafter (Eskalationsstufen) schon entschieden" in c.last_private(mo)
    finally:
        await session.app.close()


async def test_flag_resolve_takes_a_timeout_duration(session: LocalSession) -> None:
    c = session.community
    mo = c.member("Mo")
    await c.post(c.member("Zoe"), "#general", "darn")
    await c.run(mo, "/flag resolve 1 warn duration:2d rude")
    assert c.last_private(mo) == (
        "A duration only goes with a timeout: /flag resolve 1 timeout duration:2h reason."
    )
    await c.run(mo, "/flag resolve 1 timeout duration:2d keeps swearing")
    assert c.last_private(mo) == "Flag #1: Timed out for 2d."
    assert c.timeouts["zoe"].startswith("2026-01-07T09:00")
    assert "Timed out for 2d**, by Mo" in c.read("#moderators")[0].text


async def test_a_timeout_longer_than_platforms_allow_is_refused_before_anything_happens(
    session: LocalSession,
) -> None:
    c = session.community
    mo, zoe = c.member("Mo"), c.member("Zoe")
    await c.post(zoe, "#general", "darn")
    await c.run(mo, "/flag resolve 1 timeout duration:99d")
    # The way on names this flag, not an example number.
    assert c.last_private(mo) == (
        "A timeout lasts at most 28d. Time them out for that long: /flag resolve 1 timeout"
        " duration:28d reason; for longer, kick or ban: /flag resolve 1 ban reason."
    )
    assert "zoe" not in c.timeouts and c.direct_messages(zoe) == []
    assert "Open. React to decide" in c.read("#moderators")[0].text
    assert (
        await ModerationRepository(session.app.services.db, session.app.services.audit).infractions(
            c.community.key, "zoe", 10
        )
        == []
    )


async def test_a_ladder_step_the_platform_refuses_goes_to_the_moderators(
    settings: Settings, clock: VirtualClock, write_config: object
) -> None:
    session = await open_session(
        settings,
        clock,
        write_config,
        CONFIG.replace('duration = "1d"', 'duration = "1d"\napply = true'),
    )
    try:
        c = session.community

        async def refuse(*args: object, **options: object) -> None:
            raise MissingPermission("Zoe's role is above the bot's")

        session.app.services.platform(c.community).timeout = refuse  # type: ignore[method-assign]
        for n in range(3):
            await c.post(c.member("Zoe"), "#general", f"darn {n}")
            await c.run(c.member("Mo"), f"/flag resolve {n + 1} warn")
        ladder = c.read("#moderators")[-1]
        assert "the ladder suggests 🔇 timeout 1d" in ladder.text
        assert "could not be carried out: the bot lacks the permission" in ladder.text
        assert "React to decide" in ladder.text and set(ladder.reactions) >= {"🔇", "👢"}
    finally:
        await session.app.close()
