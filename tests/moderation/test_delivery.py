"""Moderation through the outbox: flags posted once, decisions carried out once, members
told only what happened, and the truth when the moderators' channel is broken."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest

from adapters.local import LocalCommunity, LocalPlatform
from bot.app.local_session import LocalSession
from bot.clock import VirtualClock
from bot.errors import MissingPermission
from bot.settings import Settings
from storage.moderation import FlagStatus, ModerationRepository

CONFIG = """
[[moderation.rules]]
name = "swearing"
type = "keywords"
keywords = ["darn", "heck"]
"""


@pytest.fixture
async def session(
    settings: Settings, clock: VirtualClock, write_config: object
) -> AsyncIterator[LocalSession]:
    write_config(CONFIG)  # type: ignore[operator]
    community = LocalCommunity()
    community.now = clock.now
    community.add_member("Alice", roles=("Admins",))
    community.add_member("Mo", roles=("Moderators",))
    community.add_member("Max", roles=("Moderators",))
    community.add_member("Ben")
    community.add_member("Zoe")
    opened = await LocalSession.open(settings, clock=clock, community=community)
    yield opened
    await opened.app.close()


def repo(session: LocalSession) -> ModerationRepository:
    return ModerationRepository(session.app.services.db, session.app.services.audit)


def kicks(session: LocalSession, who: str) -> int:
    return len([line for line in session.community.transcript if line.startswith(f"(kicked {who}")])


async def crash_cut_off(session: LocalSession, kind: str) -> None:
    """As if the process died while the last `kind` entry was being carried out: the
    platform did it, the outcome was never recorded; then the restart's recovery."""
    services = session.app.services
    row = await services.db.fetch_one(
        "SELECT id FROM outbox WHERE kind = ? ORDER BY id DESC LIMIT 1", (kind,)
    )
    assert row is not None
    await services.db.execute("UPDATE outbox SET status = 'running' WHERE id = ?", (row["id"],))


async def test_a_flag_posted_before_a_crash_is_not_posted_again_and_its_reactions_count(
    session: LocalSession,
) -> None:
    c = session.community
    services = session.app.services
    await c.post(c.member("Ben"), "#general", "darn")
    # The post went out, but the crash came before its message id was stored.
    await services.db.execute("UPDATE moderation_flags SET post_message_id = NULL")
    await crash_cut_off(session, "post")
    await services.outbox.start()
    await services.outbox.run_due()

    [flag] = c.read("#moderators")
    await c.react(c.member("Mo"), flag.number, "✅")
    assert "Dismissed, no action**, by Mo" in flag.text


async def test_a_kick_cut_off_by_a_crash_counts_as_done_not_failed(
    session: LocalSession,
) -> None:
    c = session.community
    services = session.app.services
    await c.post(c.member("Ben"), "#general", "darn")
    [flag] = c.read("#moderators")
    platform = services.platform(c.community)
    original = platform.kick

    async def kick_then_die(user: Any, reason: str, **options: Any) -> None:
        await original(user, reason, **options)
        raise RuntimeError("killed right after the kick")

    platform.kick = kick_then_die  # type: ignore[method-assign]
    await c.react(c.member("Mo"), flag.number, "👢")
    platform.kick = original  # type: ignore[method-assign]
    await crash_cut_off(session, "kick")
    await services.outbox.start()
    await session.advance(timedelta(minutes=1))

    stored = await repo(session).flag(c.community.key, 1)
    assert stored is not None and stored.status is FlagStatus.SETTLED
    assert "👢 **Kicked**, by Mo" in flag.text
    [infraction] = await repo(session).infractions(c.community.key, "ben", 10)
    assert infraction.kind == "kick" and infraction.status == "active"
    assert kicks(session, "ben") == 1


async def test_a_refused_ban_tells_the_member_nothing(session: LocalSession) -> None:
    c = session.community
    platform = session.app.services.platform(c.community)

    async def refuse(*args: object, **options: object) -> None:
        raise MissingPermission("Ben's role is above the bot's")

    platform.ban = refuse  # type: ignore[method-assign]
    await c.post(c.member("Ben"), "#general", "darn")
    [flag] = c.read("#moderators")
    await c.react(c.member("Mo"), flag.number, "🔨")
    await c.react(c.member("Max"), flag.number, "🔨")
    assert c.direct_messages(c.member("Ben")) == []  # never "You were banned" untrue
    assert "React to decide" in flag.text


async def test_a_banned_member_who_cannot_be_told_shows_as_not_notified(
    session: LocalSession,
) -> None:
    c = session.community
    ben = c.member("Ben")
    await c.post(ben, "#general", "darn")
    [flag] = c.read("#moderators")
    await c.react(c.member("Mo"), flag.number, "🔨")
    await c.react(c.member("Max"), flag.number, "🔨")
    assert "ben" in c.banned
    assert c.direct_messages(ben) == []  # the ban came first; the DM could not follow
    assert "Ben was not notified of the ban" in c.read("#moderators")[-1].text


async def test_a_timeout_is_told_after_it_took_effect_and_an_untranslated_error_only_delays_it(
    session: LocalSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    c = session.community
    original = LocalPlatform.timeout
    failures = [TimeoutError("raw socket timeout"), RuntimeError("HTTP 502")]

    async def flaky(self: LocalPlatform, *args: Any, **options: Any) -> None:
        if failures:
            raise failures.pop()
        await original(self, *args, **options)

    monkeypatch.setattr(LocalPlatform, "timeout", flaky)
    await c.post(c.member("Ben"), "#general", "darn")
    await c.run(c.member("Mo"), "/flag resolve 1 timeout")
    assert "will be carried out as soon as it does" in c.last_private(c.member("Mo"))
    assert c.direct_messages(c.member("Ben")) == []
    stored = await repo(session).flag(c.community.key, 1)
    assert stored is not None and stored.status is FlagStatus.ACTING

    for _ in range(2):  # the outbox's first retries: after 5 s, then 30 s
        await session.advance(timedelta(minutes=1))

    assert c.timeouts["ben"].startswith("2026-01-05T10:00")  # the clock did not restart
    [dm] = c.direct_messages(c.member("Ben"))
    assert "timed you out for 1h" in dm.text
    assert "Timed out for 1h**, by Mo" in c.read("#moderators")[0].text


async def test_a_broken_moderators_channel_is_told_truthfully_and_flags_follow_once_fixed(
    session: LocalSession,
) -> None:
    c = session.community
    services = session.app.services
    zoe = c.member("Zoe")
    await services.config.set_override(
        c.community, "community.channels.moderators", "mods-gone", "alice", session.clock.now()
    )
    message = await c.post(c.member("Ben"), "#general", "you are all idiots")
    await c.run(zoe, f"/report {message.number} insults")
    assert "has not reached the moderators yet" in c.last_private(zoe)
    await c.post(c.member("Max"), "#general", "heck")
    [alert] = c.read("#ambassadors")  # once for the outage, not once per flag
    assert "cannot be posted in #mods-gone" in alert.text

    c.add_channel("mods-gone")
    await session.advance(timedelta(hours=2))

    posted = c.read("#mods-gone")
    assert sorted(m.text.split("**")[1] for m in posted) == ["Flag #1", "Flag #2"]
    await session.advance(timedelta(days=2))
    assert len(c.read("#mods-gone")) == 2
    await c.react(c.member("Mo"), posted[0].number, "✅")
    assert "Dismissed" in posted[0].text
