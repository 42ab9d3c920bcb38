"""Welcome on join: where it goes, what it says, whom it skips."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest

from adapters.local.platform import LocalPlatform
from bot.app.local_session import LocalSession
from bot.errors import MissingPermission, PlatformUnavailable
from bot.model import Community
from cogs.welcome import WelcomeCog
from cogs.welcome.greeting import LATER_AFTER, SHIPPED_VARIANTS

SPACED = timedelta(minutes=5)  # far apart enough that joins never form a wave


async def test_newcomer_is_welcomed_in_the_welcome_channel(session: LocalSession, cog: WelcomeCog):
    c = session.community
    zoe = await c.join("Zoe")
    welcomes = c.read("#welcome")
    assert len(welcomes) == 1
    assert welcomes[0].by_bot
    assert "@Zoe" in welcomes[0].text
    assert zoe.id in welcomes[0].pinged
    assert c.direct_messages(zoe) == []


async def test_placeholders_are_filled(session: LocalSession, cog: WelcomeCog, configure):
    await configure(
        {
            "community.name": "Rocket Club",
            "welcome.templates.en": [
                "Hi {member} ({name})! {community} has {member_count} members; see {rules}."
            ],
        }
    )
    c = session.community
    await c.join("Zoe")
    # Alice, Mo, Amy, Ben and Zoe are members: five.
    assert c.read("#welcome")[0].text == ("Hi @Zoe (Zoe)! Rocket Club has 5 members; see #rules.")


async def test_member_text_cannot_inject_placeholders_or_pings(
    session: LocalSession, cog: WelcomeCog, configure
):
    await configure({"welcome.templates.en": ["Hi {name}, welcome to {community}"]})
    c = session.community
    await c.join("{community} @everyone")
    text = c.read("#welcome")[0].text
    assert text.startswith("Hi {community} @\u200beveryone, welcome to Botschafter Demo")


async def test_dm_only_sends_a_direct_message_and_nothing_in_the_channel(
    session: LocalSession, cog: WelcomeCog, configure
):
    await configure({"welcome.dm": True, "welcome.public": False})
    c = session.community
    zoe = await c.join("Zoe")
    assert c.read("#welcome") == []
    dms = c.direct_messages(zoe)
    assert len(dms) == 1
    assert "@Zoe" in dms[0].text


async def test_closed_dms_fall_back_to_the_channel_without_an_error(
    session: LocalSession, cog: WelcomeCog, configure
):
    await configure({"welcome.dm": True, "welcome.public": False})
    c = session.community
    c.dms_closed.add("zoe")
    zoe = await c.join("Zoe")
    assert c.direct_messages(zoe) == []
    welcomes = c.read("#welcome")
    assert len(welcomes) == 1
    assert "@Zoe" in welcomes[0].text
    assert c.private_replies(zoe) == []


async def test_dm_and_public_send_both_and_closed_dms_do_not_double_the_post(
    session: LocalSession, cog: WelcomeCog, configure
):
    await configure({"welcome.dm": True, "welcome.public": True})
    c = session.community
    zoe = await c.join("Zoe")
    assert len(c.direct_messages(zoe)) == 1
    assert len(c.read("#welcome")) == 1
    c.dms_closed.add("sam")
    await session.advance(SPACED)
    await c.join("Sam")
    assert len(c.read("#welcome")) == 2


async def test_configured_channel_is_used(session: LocalSession, cog: WelcomeCog, configure):
    await configure({"welcome.channel": "general"})
    c = session.community
    await c.join("Zoe")
    assert c.read("#welcome") == []
    assert "@Zoe" in c.read("#general")[0].text


async def test_missing_welcome_channel_is_not_an_error(
    session: LocalSession, cog: WelcomeCog, configure
):
    await configure({"welcome.channel": "does-not-exist"})
    c = session.community
    zoe = await c.join("Zoe")
    assert [m for m in c.messages if m.by_bot] == []
    assert c.private_replies(zoe) == []


async def test_bots_are_not_welcomed(session: LocalSession, cog: WelcomeCog):
    c = session.community
    await c.join("Helperbot", is_bot=True)
    assert c.read("#welcome") == []


async def test_welcomes_can_be_switched_off(session: LocalSession, cog: WelcomeCog, configure):
    await configure({"welcome.enabled": False})
    await session.community.join("Zoe")
    assert session.community.read("#welcome") == []


async def test_rejoining_within_a_day_is_not_welcomed_twice(session: LocalSession, cog: WelcomeCog):
    c = session.community
    zoe = await c.join("Zoe")
    await session.app.services.platform(c.community).kick(zoe.ref, "test")
    await session.advance(timedelta(hours=2))
    await c.join("Zoe")
    assert len(c.read("#welcome")) == 1
    await session.advance(timedelta(days=2))
    await c.join("Zoe")
    assert len(c.read("#welcome")) == 2


async def test_variants_are_picked_from_the_injected_random_source(
    session: LocalSession, cog: WelcomeCog, configure
):
    variants = ["A {name}", "B {name}", "C {name}"]
    await configure({"welcome.templates.en": variants})
    cog.greeter.random = random.Random(1234)
    expected_rng = random.Random(1234)
    expected = [expected_rng.choice(variants)[0] for _ in range(9)]
    c = session.community
    for number in range(9):
        await c.join(f"Newcomer{number}")
        await session.advance(SPACED)
    picked = [m.text[0] for m in c.read("#welcome")]
    assert picked == expected
    assert len(set(picked)) > 1


async def test_shipped_variants_are_used_without_templates(session: LocalSession, cog: WelcomeCog):
    c = session.community
    kinds = []
    for number in range(8):
        await c.join(f"Newcomer{number}")
        await session.advance(SPACED)
        text = c.read("#welcome")[-1].text
        openings = {
            "👋 Welcome to **Botschafter Demo**, @Newcomer": 1,
            f"Hello @Newcomer{number}, great to have you": 2,
            f"@Newcomer{number} just arrived: welcome!": 3,
        }
        kind = next((k for opening, k in openings.items() if text.startswith(opening)), None)
        assert kind is not None, text
        kinds.append(kind)
    assert len(set(kinds)) > 1
    assert len(SHIPPED_VARIANTS) == 3


async def test_a_dm_the_platform_refuses_otherwise_also_falls_back_to_the_channel(
    session: LocalSession, cog: WelcomeCog, configure, monkeypatch: pytest.MonkeyPatch
):
    await configure({"welcome.dm": True, "welcome.public": False})
    platform = session.app.services.platform(session.community.community)

    async def rate_limited(*args: object, **kwargs: object) -> None:
        raise MissingPermission("too many direct messages right now")

    monkeypatch.setattr(platform, "send_direct", rate_limited)
    await session.community.join("Zoe")
    [welcome] = session.community.read("#welcome")
    assert "@Zoe" in welcome.text


def count_unavailable(monkeypatch: pytest.MonkeyPatch, times: int) -> list[int]:
    """The platform cannot say how many members there are for the next `times` asks (on
    Slack: the running count is still being seeded after a start, or users.list is
    rate-limited); returns how many times it was asked."""
    original = LocalPlatform.member_count
    asked = [0]

    async def counting(self: LocalPlatform, community: Community) -> int:
        asked[0] += 1
        if asked[0] <= times:
            raise PlatformUnavailable("still counting the workspace's members")
        return await original(self, community)

    monkeypatch.setattr(LocalPlatform, "member_count", counting)
    return asked


async def test_a_welcome_without_the_count_does_not_ask_for_it(
    session: LocalSession, cog: WelcomeCog, configure, monkeypatch: pytest.MonkeyPatch
):
    await configure({"welcome.templates.en": ["Hi {member}, welcome to {community}!"]})
    asked = count_unavailable(monkeypatch, times=100)
    c = session.community
    await c.join("Zoe")
    assert [m.text for m in c.read("#welcome")] == ["Hi @Zoe, welcome to Botschafter Demo!"]
    assert asked == [0]


async def test_a_welcome_waiting_for_the_count_arrives_later_once_with_it(
    session: LocalSession, cog: WelcomeCog, configure, monkeypatch: pytest.MonkeyPatch
):
    await configure({"welcome.templates.en": ["Hi {member}, you are member {member_count}!"]})
    count_unavailable(monkeypatch, times=2)  # at the join, and at the first retry
    c = session.community
    await c.join("Zoe")
    assert c.read("#welcome") == []  # not now, and not dropped:
    await session.advance(LATER_AFTER)
    assert c.read("#welcome") == []  # the platform still cannot say; tried again later
    await session.advance(timedelta(minutes=5))
    assert [m.text for m in c.read("#welcome")] == ["Hi @Zoe, you are member 5!"]
    await session.advance(timedelta(hours=1))
    assert len(c.read("#welcome")) == 1


async def test_a_delayed_welcome_is_not_sent_to_a_member_who_has_left(
    session: LocalSession, cog: WelcomeCog, configure, monkeypatch: pytest.MonkeyPatch
):
    await configure({"welcome.templates.en": ["Hi {member}, you are member {member_count}!"]})
    count_unavailable(monkeypatch, times=1)
    c = session.community
    zoe = await c.join("Zoe")
    del c.members[zoe.id]  # left before the platform could say how many there are
    await session.advance(timedelta(minutes=5))
    assert c.read("#welcome") == []
