"""Member reports: by command and message action, once per message, rate-limited, folded."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from adapters.local import LocalCommunity, LocalPlatform
from adapters.local.community import LocalMessage
from bot.app.application import App
from bot.app.local_session import LocalSession
from bot.clock import VirtualClock
from bot.platform import Capability
from bot.settings import Settings

CONFIG = """
[moderation.reports]
limit = 3
per = "1h"

[[moderation.rules]]
name = "swearing"
type = "keywords"
keywords = ["darn"]
"""


@pytest.fixture
async def session(
    settings: Settings, clock: VirtualClock, write_config: object
) -> AsyncIterator[LocalSession]:
    write_config(CONFIG)  # type: ignore[operator]
    community = LocalCommunity()
    community.now = clock.now
    community.add_member("Mo", roles=("Moderators",))
    for name in ("Ben", "Amy", "Zoe"):
        community.add_member(name, locale="de" if name == "Zoe" else None)
    opened = await LocalSession.open(settings, clock=clock, community=community)
    yield opened
    await opened.app.close()


def flags(session: LocalSession) -> list[LocalMessage]:
    return session.community.read("#moderators")


async def test_a_report_creates_a_flag_and_a_private_confirmation(session: LocalSession) -> None:
    c = session.community
    amy = c.member("Amy")
    message = await c.post(c.member("Ben"), "#general", "you are all idiots")
    await c.run(amy, f"/report {message.number} insults everyone")
    [flag] = flags(session)
    assert "“you are all idiots”" in flag.text
    assert "Reports (1)" in flag.text and "Amy: “insults everyone”" in flag.text
    [reply] = c.private_replies(amy)
    assert "Your report went to the moderators" in reply.text
    assert reply.private_to == amy.id


async def test_reports_and_rules_on_one_message_fold_into_one_flag(session: LocalSession) -> None:
    c = session.community
    message = await c.post(c.member("Ben"), "#general", "darn you")
    await c.run(c.member("Amy"), f"/report {message.number} rude")
    await c.run(c.member("Zoe"), f"/report {message.number} unhöflich")
    [flag] = flags(session)
    assert "**swearing**" in flag.text and "Reports (2)" in flag.text
    assert flag.edited


async def test_one_report_per_member_per_message(session: LocalSession) -> None:
    c = session.community
    amy = c.member("Amy")
    message = await c.post(c.member("Ben"), "#general", "hmm")
    await c.run(amy, f"/report {message.number} rude")
    await c.run(amy, f"/report {message.number} really rude")
    assert "already reported this message" in c.last_private(amy)
    [flag] = flags(session)
    assert "Reports (1)" in flag.text and "really rude" not in flag.text


async def test_reports_are_rate_limited_per_member_with_a_clear_error(
    session: LocalSession,
) -> None:
    c = session.community
    amy, ben = c.member("Amy"), c.member("Ben")
    posted = [await c.post(ben, "#general", f"message {n}") for n in range(5)]
    for message in posted[:3]:
        await c.run(amy, f"/report {message.number} spam")
    await c.run(amy, f"/report {posted[3].number} spam")
    assert c.last_private(amy) == (
        "You have sent 3 reports within 1h, which is the limit. You can report again in 1h. "
        "If something is urgent, contact a moderator directly."
    )
    await c.run(c.member("Zoe"), f"/report {posted[3].number} spam")  # others still can
    await session.advance(timedelta(minutes=61))
    await c.run(amy, f"/report {posted[4].number} spam")
    assert "Your report went to the moderators" in c.last_private(amy)
    first, later = flags(session)  # a new flag once the first went quiet for 10 minutes
    assert "Reports (4)" in first.text and "Reports (1)" in later.text


async def test_moderators_are_not_rate_limited(session: LocalSession) -> None:
    c = session.community
    mo, ben = c.member("Mo"), c.member("Ben")
    for n in range(5):
        message = await c.post(ben, "#general", f"message {n}")
        await c.run(mo, f"/report {message.number} note for the team")
    assert "Your report went to the moderators" in c.last_private(mo)


async def test_bad_report_targets_are_refused_politely(session: LocalSession) -> None:
    c = session.community
    amy = c.member("Amy")
    own = await c.post(amy, "#general", "my own words")
    await c.run(amy, f"/report {own.number} oops")
    assert "cannot report your own message" in c.last_private(amy)
    await c.run(amy, "/report 999 gone")
    assert "is not a link to a message in this community" in c.last_private(amy)
    await c.run(amy, "/report 1")
    assert "Missing <reason>" in c.last_private(amy)
    bot_message = c.private_replies(amy)[0]
    await c.run(amy, f"/report {bot_message.number} the bot is rude")
    assert "from a bot" in c.last_private(amy)
    assert flags(session) == []


async def test_a_deleted_message_cannot_be_reported(session: LocalSession) -> None:
    c = session.community
    message = await c.post(c.member("Ben"), "#general", "soon gone")
    message.deleted = True
    await c.run(c.member("Amy"), f"/report {message.number} rude")
    assert "cannot find that message" in c.last_private(c.member("Amy"))


async def test_the_message_action_asks_for_a_reason_in_a_form(session: LocalSession) -> None:
    c = session.community
    amy = c.member("Amy")
    message = await c.post(c.member("Ben"), "#general", "nasty words")
    await c.message_action(amy, "Report message", message.number)
    assert c.open_forms[amy.id].title == "Report message"
    await c.submit(amy, {"reason": "harassment"})
    [flag] = flags(session)
    assert "Amy: “harassment”" in flag.text
    assert "Your report went to the moderators" in c.last_private(amy)


async def test_the_message_action_refuses_before_the_form_when_it_cannot_report(
    session: LocalSession,
) -> None:
    c = session.community
    amy = c.member("Amy")
    message = await c.post(c.member("Ben"), "#general", "nasty words")
    await c.run(amy, f"/report {message.number} harassment")
    await c.message_action(amy, "Report message", message.number)
    assert amy.id not in c.open_forms  # no reason to type for nothing
    assert "already reported this message" in c.last_private(amy)
    for n in range(2):
        other = await c.post(c.member("Ben"), "#general", f"more {n}")
        await c.run(amy, f"/report {other.number} again")
    last = await c.post(c.member("Ben"), "#general", "one more")
    await c.message_action(amy, "Report message", last.number)
    assert amy.id not in c.open_forms
    assert "You can report again in 1h" in c.last_private(amy)


async def test_the_reporter_hears_in_their_language_when_the_flag_is_settled(
    session: LocalSession,
) -> None:
    c = session.community
    zoe, amy = c.member("Zoe"), c.member("Amy")
    message = await c.post(c.member("Ben"), "#general", "nasty words")
    await c.run(zoe, f"/report {message.number} gemein")
    await c.run(amy, f"/report {message.number} mean")
    flag = flags(session)[0]
    await c.react(c.member("Mo"), flag.number, "✅")
    [note_de] = c.direct_messages(zoe)
    assert "Danke für deine Meldung" in note_de.text and "keinen Handlungsbedarf" in note_de.text
    [note_en] = c.direct_messages(amy)
    assert "decided no action was needed" in note_en.text


async def test_a_reporter_of_several_messages_on_one_flag_hears_once(
    session: LocalSession,
) -> None:
    c = session.community
    ben, amy = c.member("Ben"), c.member("Amy")
    first = await c.post(ben, "#general", "you people are clowns")
    second = await c.post(ben, "#general", "total clowns")
    await c.run(amy, f"/report {first.number} insult")
    await c.run(amy, f"/report {second.number} and again")
    [flag] = flags(session)
    assert "Reports (2)" in flag.text
    await c.react(c.member("Mo"), flag.number, "⚠️")
    [note] = c.direct_messages(amy)
    assert "took action" in note.text


async def test_reporters_are_not_told_when_the_community_turned_it_off(
    settings: Settings, clock: VirtualClock, write_config: object
) -> None:
    write_config(CONFIG)  # type: ignore[operator]
    session = await LocalSession.open(settings, clock=clock)
    try:
        await session.app.services.config.set_override(
            session.community.community,
            "moderation.reports.notify_on_settle",
            False,
            "x",
            clock.now(),
        )
        c = session.community
        message = await c.post(c.member("Ben"), "#general", "nasty")
        await c.run(c.member("Amy"), f"/report {message.number} mean")
        assert "they will look at it soon" in c.last_private(c.member("Amy"))
        await c.react(c.member("Mo"), flags(session)[0].number, "🗑️")
        assert c.direct_messages(c.member("Amy")) == []
    finally:
        await session.app.close()


async def test_without_forms_the_message_action_reports_at_once(
    settings: Settings, clock: VirtualClock, write_config: object
) -> None:
    write_config(CONFIG)  # type: ignore[operator]
    community = LocalCommunity()
    community.now = clock.now
    for name in ("Ben", "Amy"):
        community.add_member(name)
    platform = LocalPlatform(community)
    platform.capabilities = frozenset(Capability) - {Capability.FORMS}
    app = await App.create(settings, [platform], clock=clock)
    community.dispatch = app.dispatcher.dispatch
    try:
        message = await community.post(community.member("Ben"), "#general", "nasty")
        await community.message_action(community.member("Amy"), "Report message", message.number)
        [flag] = community.read("#moderators")
        assert "Amy (no reason given)" in flag.text
    finally:
        await app.close()
