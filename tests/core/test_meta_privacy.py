"""/privacy: a member learns what is kept and asks for a copy or erasure; admins confirm."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from adapters.local.platform import LocalPlatform
from bot.app.local_session import LocalSession
from bot.errors import PlatformUnavailable
from storage import privacy


def fail_sends(monkeypatch: pytest.MonkeyPatch, times: int) -> None:
    """The local platform's next `times` posts fail as an outage would."""
    original = LocalPlatform.send
    left = [times]

    async def flaky(self: LocalPlatform, *args: Any, **kwargs: Any) -> Any:
        if left[0] > 0:
            left[0] -= 1
            raise PlatformUnavailable("the platform is down")
        return await original(self, *args, **kwargs)

    monkeypatch.setattr(LocalPlatform, "send", flaky)


async def test_privacy_info_says_what_is_kept_and_for_how_long(session: LocalSession) -> None:
    c = session.community
    ben = c.member("Ben")
    await c.run(ben, "/privacy info")
    told = c.last_private(ben)
    assert "kept 90 days after the flag is settled" in told
    assert "finished scheduled work and delivered messages 30 days" in told
    assert "/privacy request erase" in told
    assert c.read("general") == []


async def test_a_request_reaches_the_admins_before_the_member_is_told_so(
    session: LocalSession,
) -> None:
    c = session.community
    ben = c.member("Ben")
    await c.run(ben, "/privacy request erase")
    [notice] = c.read("moderators")
    assert "**Privacy request #1**" in notice.text and "asks for erasure" in notice.text
    assert c.last_private(ben) == (
        "Your request #1 (erasure of your data) reached the admins."
        " An admin confirms it and carries it out."
    )
    await c.run(ben, "/privacy request erase")
    assert "already asked" in c.last_private(ben)
    assert len(c.read("moderators")) == 1  # no second notice
    [row] = await session.app.services.db.fetch_all(
        "SELECT kind, status, notice_channel_id, notice_message_id FROM privacy_requests"
    )
    assert tuple(row) == ("erase", "pending", "moderators", str(notice.number))


async def test_during_an_outage_the_member_hears_it_waits_and_it_is_posted_later(
    session: LocalSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    c = session.community
    ben = c.member("Ben")
    fail_sends(monkeypatch, 1)
    await c.run(ben, "/privacy request export")
    assert "cannot be reached right now" in c.last_private(ben)
    assert c.read("moderators") == []
    await session.advance(timedelta(minutes=5))
    [notice] = c.read("moderators")
    assert "asks for a copy of their data" in notice.text


async def test_only_admins_confirm_and_an_erasure_is_carried_out_at_once(
    session: LocalSession,
) -> None:
    c = session.community
    ben, mo, alice = c.member("Ben"), c.member("Mo"), c.member("Alice")
    await c.run(ben, "/kudos give @Alice for the very patient onboarding call")
    await c.run(ben, "/privacy request erase")
    for someone in (ben, mo):
        await c.run(someone, "/privacy confirm 1")
        assert c.last_private(someone).startswith("Sorry, only")
    db = session.app.services.db
    assert await privacy.communities_of(db, ben.id) == [c.community.key]

    await c.run(alice, "/privacy confirm 1")
    told = c.last_private(alice)
    assert told.startswith("Request #1 carried out:") and "forgotten-" in told
    assert await privacy.communities_of(db, ben.id) == []
    [kudos] = await db.fetch_all("SELECT giver_id, reason FROM kudos")
    assert kudos["giver_id"].startswith("forgotten-") and kudos["reason"] == ""
    await c.run(alice, "/privacy confirm 1")
    assert "already confirmed" in c.last_private(alice)
    await c.run(alice, "/privacy confirm 7")
    assert c.last_private(alice) == "There is no privacy request #7 in this community."


async def test_a_confirmed_export_names_the_command_that_writes_the_file(
    session: LocalSession,
) -> None:
    c = session.community
    ben, alice = c.member("Ben"), c.member("Alice")
    await c.run(ben, "/privacy request export")
    await c.run(alice, "/privacy confirm 1")
    told = c.last_private(alice)
    assert (
        f"`python -m bot privacy export {ben.id} --community {c.community.key}"
        " --out privacy-1.json`" in told
    )
    [entry] = await session.app.services.audit.recent(c.community.key)
    assert (entry.action, entry.subject) == ("privacy.export", ben.id)


async def test_an_erasure_that_fails_leaves_the_request_waiting_and_the_data_whole(
    session: LocalSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    c = session.community
    ben, alice = c.member("Ben"), c.member("Alice")
    await c.run(ben, "/kudos give @Alice for the very patient onboarding call")
    await c.run(ben, "/privacy request erase")
    db = session.app.services.db
    original = privacy._sweep

    async def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("disk full")

    monkeypatch.setattr(privacy, "_sweep", broken)
    await c.run(alice, "/privacy confirm 1")
    assert "carried out" not in c.last_private(alice)
    [request] = await db.fetch_all("SELECT status, member_id FROM privacy_requests")
    assert (request["status"], request["member_id"]) == ("pending", ben.id)
    [kudos] = await db.fetch_all("SELECT giver_id FROM kudos")
    assert kudos["giver_id"] == ben.id  # nothing half-erased

    monkeypatch.setattr(privacy, "_sweep", original)
    await c.run(alice, "/privacy confirm 1")
    assert c.last_private(alice).startswith("Request #1 carried out:")
    assert await privacy.communities_of(db, ben.id) == []
