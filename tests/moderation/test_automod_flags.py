"""Discord's AutoMod on the flag desk: its actions become one flag per message, settled
with the usual reactions (both database backends; the Discord wire path is tested in
tests/discord/test_automod_wire.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta

import pytest

from adapters.local import LocalCommunity
from adapters.local.community import LocalMessage
from bot.app.local_session import LocalSession
from bot.clock import VirtualClock
from bot.events import FilterActed, FilterAction
from bot.settings import Settings
from storage.moderation import FlagStatus, ModerationRepository

CONFIG = """
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
    for name, roles in (("Mo", ("Moderators",)), ("Ben", ()), ("Cleo", ())):
        community.add_member(name, roles=roles)
    opened = await LocalSession.open(settings, clock=clock, community=community)
    yield opened
    await opened.app.close()


def flags(session: LocalSession) -> list[LocalMessage]:
    return session.community.read("#moderators")


def acted(
    session: LocalSession,
    action: FilterAction,
    content: str = "buy cheap nitro here",
    *,
    message_id: str | None = None,
    alert_id: str | None = None,
    rule: str = "Botschafter: scams",
) -> FilterActed:
    c = session.community
    return FilterActed(
        member=c.member("Ben"),
        channel=c.ref(c.channel_named("#general")),
        rule_id="7001",
        rule_name=rule,
        action=action,
        content=content,
        matched="nitro",
        keyword="*nitro*",
        message_id=message_id,
        alert_id=alert_id,
        at=session.app.services.clock.now(),
    )


async def send(session: LocalSession, event: FilterActed) -> None:
    dispatch = session.community.dispatch
    assert dispatch is not None
    await dispatch(event)


async def test_a_blocked_message_becomes_a_flag_that_says_automod_blocked_it(
    session: LocalSession,
) -> None:
    await send(session, acted(session, FilterAction.BLOCK))
    [flag] = flags(session)
    assert "Ben in #general" in flag.text
    assert "“buy cheap nitro here”" in flag.text
    assert "**AutoMod: Botschafter: scams**: “nitro”" in flag.text
    assert "(blocked by Discord's AutoMod, never posted)" in flag.text
    assert "Discord's AutoMod matched '*nitro*'" in flag.text


async def test_a_block_and_its_alert_make_one_flag_entry(session: LocalSession) -> None:
    await send(session, acted(session, FilterAction.BLOCK))
    await send(session, acted(session, FilterAction.ALERT, alert_id="555"))
    await send(session, acted(session, FilterAction.TIMEOUT))
    [flag] = flags(session)
    assert flag.text.count("buy cheap nitro here") == 1
    assert flag.text.count("AutoMod: Botschafter: scams") == 1


async def test_an_alert_heard_twice_is_one_entry(session: LocalSession) -> None:
    """A replayed gateway event: the alert's own message id pairs it once."""
    await send(session, acted(session, FilterAction.BLOCK))
    for _ in range(2):
        await send(session, acted(session, FilterAction.ALERT, alert_id="558"))
    [flag] = flags(session)
    assert flag.text.count("buy cheap nitro here") == 1


async def test_the_same_text_blocked_twice_is_two_entries_on_one_flag(
    session: LocalSession,
) -> None:
    """Each block starts its own execution (the first has seen its block), so a member
    trying twice shows twice; both fold into the member's one open flag."""
    for _ in range(2):
        await send(session, acted(session, FilterAction.BLOCK))
        await send(session, acted(session, FilterAction.ALERT, alert_id="556"))
    [flag] = flags(session)
    assert "Messages (2)" in flag.text
    assert flag.text.count("buy cheap nitro here") == 2


async def test_a_message_automod_let_through_and_the_bots_own_rule_make_one_flag(
    session: LocalSession,
) -> None:
    c = session.community
    posted = await c.post(c.member("Ben"), "#general", "darn, cheap nitro")
    await send(
        session,
        acted(session, FilterAction.ALERT, "darn, cheap nitro", message_id=str(posted.number)),
    )
    [flag] = flags(session)
    assert "**swearing**" in flag.text and "**AutoMod: Botschafter: scams**" in flag.text
    assert flag.text.count("darn, cheap nitro") == 1


async def test_a_moderator_settles_an_automod_flag_with_the_usual_reaction(
    session: LocalSession,
) -> None:
    c = session.community
    await send(session, acted(session, FilterAction.BLOCK))
    [flag] = flags(session)
    await c.react(c.member("Cleo"), flag.number, "⚠️")  # a member: taken off, nothing done
    repo = ModerationRepository(session.app.services.db, session.app.services.audit)
    stored = await repo.flag(c.community.key, 1)
    assert stored is not None and stored.status is FlagStatus.OPEN
    await c.react(c.member("Mo"), flag.number, "🗑️")  # deletes nothing: it never existed
    stored = await repo.flag(c.community.key, 1)
    assert stored is not None and stored.status is FlagStatus.SETTLED
    assert stored.error == ""
    [flag] = flags(session)
    assert "never posted" in flag.text


async def test_an_alert_long_after_its_block_is_a_new_execution(
    session: LocalSession,
) -> None:
    """An alert long after a block (past the pairing window) is a new execution."""
    await send(session, acted(session, FilterAction.BLOCK))
    await session.advance(timedelta(minutes=20))
    await send(session, acted(session, FilterAction.ALERT, alert_id="557"))
    assert len(flags(session)) == 2  # the fold window (10 min) is over too: a new flag


async def test_a_timeout_heard_twice_is_one_entry(session: LocalSession) -> None:
    """A replayed timeout (it carries no id of its own) joins the execution that had it,
    instead of standing alone as a second blocked message."""
    await send(session, acted(session, FilterAction.BLOCK))
    await send(session, acted(session, FilterAction.ALERT, alert_id="559"))
    await send(session, acted(session, FilterAction.TIMEOUT))
    await send(session, acted(session, FilterAction.TIMEOUT))
    [flag] = flags(session)
    assert flag.text.count("buy cheap nitro here") == 1


async def test_a_secret_in_a_message_automod_blocked_never_reaches_the_flag(
    session: LocalSession,
) -> None:
    """A server's own AutoMod rule against tokens: the flag shows neither the token in the
    message nor the token it matched, as for the bot's own secrets rule."""
    token = "MTE2NjM4NzQ4OTg1NjA1MjI4OQ.GZxY1a.abcdefghijklmnopqrstuvwxyz0123456789AB"
    event = acted(session, FilterAction.BLOCK, f"my token {token} oops")
    await send(session, replace(event, matched=token, keyword=""))
    [flag] = flags(session)
    assert "my token" in flag.text
    assert "GZxY1a" not in flag.text and "abcdefghijklmnop" not in flag.text
