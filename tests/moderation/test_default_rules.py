"""Out of the box, with no rules configured, the two breaches no community wants are caught."""

from __future__ import annotations

from bot.app.local_session import LocalSession

# The shape of a Discord bot token; not a real one.
FAKE_TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GabcDE.abcdefghijklmnopqrstuvwxyz0123456789AB"


async def test_a_leaked_token_is_removed_without_any_configuration(session: LocalSession) -> None:
    c = session.community
    ben = c.member("Ben")
    posted = await c.post(ben, "general", f"my bot does not work, token is {FAKE_TOKEN}")
    assert posted.deleted
    assert any("token" in m.text.lower() for m in c.direct_messages(ben))
    assert all(FAKE_TOKEN not in m.text for m in c.messages if not m.deleted)


async def test_an_everyone_ping_is_flagged_without_any_configuration(
    session: LocalSession,
) -> None:
    c = session.community
    await c.post(c.member("Ben"), "general", "@everyone look at this")
    flags = c.read("moderators")
    assert len(flags) == 1
    assert "mass mentions" in flags[0].text
    assert flags[0].pinged == ()
