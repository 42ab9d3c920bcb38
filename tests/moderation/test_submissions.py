"""Text a member gives the bot to post (ticket titles, updates, kudos reasons) passes the
community's rules first: a breach is refused with the rule named and flagged like a
message; a secret is cut out and the rest posted."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from adapters.local import LocalCommunity
from bot.app.local_session import LocalSession
from bot.clock import VirtualClock
from bot.settings import Settings

CONFIG = """
[[moderation.rules]]
name = "swearing"
type = "keywords"
keywords = ["darn", "heck*"]

[[moderation.rules]]
name = "rude"
type = "keywords"
keywords = ["idiot*"]
action = "delete_and_flag"

[[moderation.rules]]
name = "secrets"
type = "credentials"

[[moderation.rules]]
name = "refunds"
type = "watch_words"
keywords = ["refund*"]
"""

SLACK_TOKEN = "xoxb-1234567890-abcdefghijklmnopqrst"


@pytest.fixture
async def session(
    settings: Settings, clock: VirtualClock, write_config: object
) -> AsyncIterator[LocalSession]:
    write_config(CONFIG)  # type: ignore[operator]
    community = LocalCommunity()
    community.now = clock.now
    for name, roles in (("Alice", ("Admins",)), ("Mo", ("Moderators",)), ("Amy", ("Ambassadors",))):
        community.add_member(name, roles=roles)
    community.add_member("Ben")
    opened = await LocalSession.open(settings, clock=clock, community=community)
    yield opened
    await opened.app.close()


async def test_a_ticket_title_that_breaks_a_rule_is_refused_and_flagged(
    session: LocalSession,
) -> None:
    c = session.community
    ben = c.member("Ben")
    await c.run(ben, "/ticket open Darn dark mode is missing")
    assert c.last_private(ben) == (
        "Not posted: your ticket title breaks the community rule “swearing”. Please word it"
        " differently; the moderators can see what was written."
    )
    assert c.read("#tickets") == []
    assert not [ch for ch in c.channels.values() if ch.parent_id]  # no thread took its name
    [flag] = c.read("#moderators")
    assert "Ben" in flag.text and "Darn dark mode is missing" in flag.text
    assert "**swearing**" in flag.text


async def test_two_rules_broken_are_named_in_the_plural(session: LocalSession) -> None:
    c = session.community
    ben = c.member("Ben")
    await c.run(ben, '/ticket open Dark mode details:"darn you idiots"')
    assert c.last_private(ben).startswith("Not posted: your ticket details breaks")
    assert "rules “swearing”, “rude”" in c.last_private(ben)
    assert c.read("#tickets") == []


async def test_a_form_field_is_checked_like_a_typed_option(session: LocalSession) -> None:
    c = session.community
    ben = c.member("Ben")
    await c.run(ben, "/ticket open")
    await c.submit(ben, {"title": "Heck, no dark mode", "details": ""})
    assert "rule “swearing”" in c.last_private(ben)
    assert c.read("#tickets") == []


async def test_a_secret_in_the_details_is_cut_out_and_the_rest_posted(
    session: LocalSession,
) -> None:
    c = session.community
    ben = c.member("Ben")
    await c.run(ben, f'/ticket open Login broken details:"my token is {SLACK_TOKEN} help"')
    [tracker] = [m for m in c.read("#tickets") if m.text.startswith("**Ticket #1:**")]
    assert SLACK_TOKEN not in tracker.text
    assert all(SLACK_TOKEN not in m.text for m in c.messages)
    [told] = c.direct_messages(ben)
    assert "ticket details looked like a secret (rule “secrets”)" in told.text
    assert "[…]" in told.text and SLACK_TOKEN not in told.text


async def test_a_clean_text_sends_no_note_about_secrets(session: LocalSession) -> None:
    c = session.community
    ben = c.member("Ben")
    await c.run(ben, "/ticket open Login broken details:it says token expired")
    assert c.direct_messages(ben) == []


async def test_clean_text_and_watch_words_pass_unchanged(session: LocalSession) -> None:
    c = session.community
    await c.run(c.member("Ben"), "/ticket open Refund for the double charge")
    assert c.read("#tickets")[0].text.startswith("**Ticket #1:** Refund for the double charge")
    assert c.read("#moderators") == []


async def test_an_ambassadors_update_is_checked_too(session: LocalSession) -> None:
    c = session.community
    amy = c.member("Amy")
    await c.run(c.member("Ben"), "/ticket open Dark mode")
    await c.run(amy, "/ticket update #1 The darn app team said no")
    assert "ticket update breaks the community rule “swearing”" in c.last_private(amy)
    public = [m for m in c.messages if m.by_bot and m.channel_id != "moderators"]
    assert all("darn" not in m.text for m in public if m.private_to is None)
    assert "The darn app team said no" in c.read("#moderators")[-1].text


async def test_a_kudos_reason_that_breaks_a_rule_is_refused(session: LocalSession) -> None:
    c = session.community
    ben = c.member("Ben")
    await c.run(ben, "/kudos give @Amy for being a darn good help")
    assert "kudos reason breaks the community rule “swearing”" in c.last_private(ben)
    assert c.read("#general") == []
    await c.run(ben, "/kudos give @Amy for being a great help")
    assert c.read("#general")[-1].text.startswith("🙌 Ben thanks @Amy")


async def test_a_german_member_is_told_in_german(session: LocalSession) -> None:
    c = session.community
    jonas = c.add_member("Jonas", locale="de")
    await c.run(jonas, "/ticket open Darn")
    assert c.last_private(jonas) == (
        "Nicht gepostet: Das verstößt gegen die Regel „swearing“ der Community (Tickettitel)."
        " Bitte formuliere es anders; die Moderation sieht, was geschrieben wurde."
    )


async def test_deleting_a_refused_text_touches_no_message(
    session: LocalSession, caplog: pytest.LogCaptureFixture
) -> None:
    """The 🗑️ on a flag of a refused title settles it without asking the platform to delete a
    message that never existed (which failed and logged a warning for the operator)."""
    c = session.community
    await c.run(c.member("Ben"), "/ticket open Heck, no dark mode")
    [flag] = c.read("#moderators")
    await c.react(c.member("Mo"), flag.number, "🗑️")
    assert "Message deleted" in c.message(flag.number).text
    assert "failed" not in caplog.text
