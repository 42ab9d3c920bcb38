"""Reasons where people read them: a flag in the community's language, a notice in its
recipient's, and flags stored before reasons were data still readable."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from adapters.local import LocalCommunity
from adapters.local.community import LocalMessage
from bot.app.local_session import LocalSession
from bot.clock import VirtualClock
from bot.settings import Settings
from cogs.moderation.cog import ModerationCog

RULES = """
[[moderation.rules]]
name = "{swearing}"
type = "keywords"
keywords = ["darn"]

[[moderation.rules]]
name = "{flooding}"
type = "burst"
max_messages = 4
window_seconds = 10

[[moderation.rules]]
name = "{mentions}"
type = "mass_mentions"

[[moderation.rules]]
name = "{secrets}"
type = "credentials"
action = "flag"
"""
GERMAN = '[community]\nlocale = "de"\n' + RULES.format(
    swearing="Schimpfwörter", flooding="Flut", mentions="Massenerwähnungen", secrets="Geheimnisse"
)
ENGLISH = '[community]\nlocale = "en"\n' + RULES.format(
    swearing="swearing", flooding="flooding", mentions="mass mentions", secrets="secrets"
)
SLACK_TOKEN = "xoxb-1234567890-abcdefghijklmnopqrst"
# What the flag shows of a quoted @everyone: defused, so it pings nobody.
EVERYONE = "@\u200beveryone"


async def open_session(settings: Settings, clock: VirtualClock) -> LocalSession:
    community = LocalCommunity()
    community.now = clock.now
    for name, roles, locale in (("Mo", ("Moderators",), None), ("Ben", (), None)):
        community.add_member(name, roles=roles, locale=locale)
    community.add_member("Lena", locale="de")
    community.add_member("Liam", locale="en")
    return await LocalSession.open(settings, clock=clock, community=community)


@pytest.fixture
async def german(
    settings: Settings, clock: VirtualClock, write_config: Callable[[str], Path]
) -> AsyncIterator[LocalSession]:
    write_config(GERMAN)
    session = await open_session(settings, clock)
    yield session
    await session.app.close()


@pytest.fixture
async def english(
    settings: Settings, clock: VirtualClock, write_config: Callable[[str], Path]
) -> AsyncIterator[LocalSession]:
    write_config(ENGLISH)
    session = await open_session(settings, clock)
    yield session
    await session.app.close()


def flags(session: LocalSession) -> list[LocalMessage]:
    return session.community.read("#moderators")


async def breach_everything(session: LocalSession, member: str) -> None:
    """A keyword with @everyone, a leaked token, then a burst: four reasons on one flag."""
    c = session.community
    author = c.member(member)
    await c.post(author, "#general", "what the d.a.r.n @everyone")
    await c.post(author, "#general", f"my token {SLACK_TOKEN}")
    for n in range(3):
        await c.post(author, "#general", f"more news {n}")


async def test_a_german_communitys_flag_gives_every_reason_in_german(
    german: LocalSession,
) -> None:
    await breach_everything(german, "Ben")
    [flag] = flags(german)
    assert "**Schimpfwörter**: „d.a.r.n“ (Schlüsselwort „darn“)" in flag.text
    assert f"**Massenerwähnungen**: „{EVERYONE}“ (erwähnt {EVERYONE})" in flag.text
    assert "**Geheimnisse**: „xoxb-1…“ (Slack-Token)" in flag.text
    assert "**Flut**: 5 Nachrichten innerhalb von 10 s (Limit 4)" in flag.text
    for english in ("keyword", "mentions", "Slack token", "messages within", "limit"):
        assert english not in flag.text


async def test_an_english_communitys_flag_reads_as_before(english: LocalSession) -> None:
    await breach_everything(english, "Lena")  # the author's own language does not matter
    [flag] = flags(english)
    assert "**swearing**: “d.a.r.n” (keyword 'darn')" in flag.text
    assert f"**mass mentions**: “{EVERYONE}” (mentions {EVERYONE})" in flag.text
    assert "**secrets**: “xoxb-1…” (Slack token)" in flag.text
    assert "**flooding**: 5 messages within 10 s (limit 4)" in flag.text


async def test_a_flag_shows_the_latest_burst_count_in_the_communitys_language(
    german: LocalSession,
) -> None:
    c = german.community
    for n in range(8):
        await c.post(c.member("Ben"), "#general", f"spam {n}")
    [flag] = flags(german)
    assert "**Flut**: 8 Nachrichten innerhalb von 10 s (Limit 4)" in flag.text
    assert "5 Nachrichten" not in flag.text


async def test_a_secret_notice_names_the_kind_in_the_authors_language_not_the_communitys(
    settings: Settings, clock: VirtualClock, write_config: Callable[[str], Path]
) -> None:
    write_config('[community]\nlocale = "de"\n')  # the default rules: secrets are removed
    session = await open_session(settings, clock)
    try:
        c = session.community
        lena, liam = c.member("Lena"), c.member("Liam")
        await c.post(lena, "#general", f"hier {SLACK_TOKEN}")
        await c.post(liam, "#general", f"here {SLACK_TOKEN}")
        [german] = c.direct_messages(lena)
        [english] = c.direct_messages(liam)
        assert "Sie enthielt ein Geheimnis (Slack-Token)." in german.text
        assert "it contained a secret (Slack token)." in english.text
    finally:
        await session.app.close()


async def test_a_flag_stored_before_reasons_were_data_still_shows_its_reason(
    german: LocalSession,
) -> None:
    c = german.community
    await c.post(c.member("Ben"), "#general", "darn")
    db = german.app.services.db
    # As migration 0007 leaves a hit stored by an earlier release: its reason in words.
    await db.execute("UPDATE moderation_hits SET reasons = '[]', reason = 'keyword ''darn'''")
    cog = next(cog for cog in german.app.dispatcher.cogs if isinstance(cog, ModerationCog))
    async with db.transaction() as tx:
        edit = await cog.desk.publish(tx, c.community, 1)
    assert edit is not None
    await german.app.services.outbox.deliver(edit)
    [flag] = flags(german)
    assert flag.edited
    assert "**Schimpfwörter**: „darn“ (keyword 'darn')" in flag.text
