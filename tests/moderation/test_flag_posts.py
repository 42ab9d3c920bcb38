"""A flag that changes while its post is on its way: the change waits behind the post as
an edit, shows on the posted message, and goes with the post if the post fails (whose
retry then posts the flag as it is by then)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from bot.app.local_session import LocalSession
from bot.errors import MissingPermission, PlatformError, PlatformUnavailable


@pytest.fixture
def session(swearing_session: LocalSession) -> LocalSession:
    return swearing_session


def refuse_posts(session: LocalSession, *errors: PlatformError) -> None:
    """Answer the platform's next posts with `errors`, one each, then post as usual."""
    platform = session.app.services.platform(session.community.community)
    original = platform.send
    waiting = list(errors)

    async def send(*args: Any, **kwargs: Any) -> Any:
        if waiting:
            raise waiting.pop(0)
        return await original(*args, **kwargs)

    platform.send = send  # type: ignore[method-assign]


async def flag_entries(session: LocalSession) -> list[tuple[str, str]]:
    """Flag #1's post and what was written for its message: (kind, status), oldest first."""
    rows = await session.app.services.db.fetch_all(
        "SELECT kind, status FROM outbox WHERE kind = 'edit'"
        " OR idempotency_key LIKE 'moderation:flag:1:%' ORDER BY id"
    )
    return [(row["kind"], row["status"]) for row in rows]


async def test_a_change_made_while_the_post_is_on_its_way_shows_on_the_posted_flag(
    session: LocalSession,
) -> None:
    c = session.community
    refuse_posts(session, PlatformUnavailable("Discord answered 503"))
    await c.post(c.member("Ben"), "#general", "darn")
    assert c.read("#moderators") == []  # the post waits for the outage to pass
    await c.post(c.member("Ben"), "#general", "oh heck")  # the same flag, one more message

    await session.advance(timedelta(minutes=1))

    [flag] = c.read("#moderators")
    assert "darn" in flag.text and "oh heck" in flag.text
    assert list(flag.reactions)[:2] == ["✅", "🗑️"]
    assert await flag_entries(session) == [
        ("post", "delivered"),
        ("edit", "delivered"),
        ("react_all", "delivered"),
    ]


async def test_only_the_latest_change_made_while_the_post_waits_is_applied(
    session: LocalSession,
) -> None:
    c = session.community
    refuse_posts(session, PlatformUnavailable("Discord answered 503"))
    for text in ("darn", "heck", "darn it", "heck no"):
        await c.post(c.member("Ben"), "#general", text)

    await session.advance(timedelta(minutes=1))

    [flag] = c.read("#moderators")
    assert "heck no" in flag.text
    assert await flag_entries(session) == [
        ("post", "delivered"),
        ("edit", "superseded"),
        ("edit", "superseded"),
        ("edit", "delivered"),
        ("react_all", "delivered"),
    ]


async def test_a_refused_post_takes_its_waiting_edit_along_and_the_retry_shows_the_change(
    session: LocalSession,
) -> None:
    c = session.community
    refuse_posts(
        session,
        PlatformUnavailable("Discord answered 503"),
        MissingPermission("no Send Messages in #moderators"),
    )
    await c.post(c.member("Ben"), "#general", "darn")
    await c.post(c.member("Ben"), "#general", "oh heck")

    await session.advance(timedelta(minutes=1))  # refused for good, then the desk's retry

    [flag] = c.read("#moderators")
    assert "darn" in flag.text and "oh heck" in flag.text
    assert set(flag.reactions) >= {"✅", "🗑️"}
    assert await flag_entries(session) == [
        ("post", "failed"),
        ("edit", "failed"),  # it could never go: its post did not happen
        ("post", "delivered"),  # the retry, as the flag is by then
        ("react_all", "delivered"),
    ]


async def test_a_post_written_by_an_older_version_is_brought_up_to_date_once_posted(
    session: LocalSession,
) -> None:
    """Older versions queued no edit behind a post on its way (the post's continuation
    compared renders instead): such a post, delivered after an upgrade, is edited once."""
    c = session.community
    refuse_posts(session, PlatformUnavailable("Discord answered 503"))
    await c.post(c.member("Ben"), "#general", "darn")
    await session.app.services.db.execute(
        "UPDATE outbox SET then_data = ? WHERE kind = 'post'",
        ('{"community": "local:demo", "flag": 1, "shown": "0123456789abcdef", "retry": ""}',),
    )

    await session.advance(timedelta(minutes=1))

    [flag] = c.read("#moderators")
    assert "darn" in flag.text and flag.edited
    assert list(flag.reactions)[:2] == ["✅", "🗑️"]
    assert await flag_entries(session) == [
        ("post", "delivered"),
        ("edit", "delivered"),
        ("react_all", "delivered"),
    ]
