"""A newcomer's first message is noted once (for the insights' "posted within 7 days")."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.app.local_session import LocalSession
from bot.model import Community, Member
from cogs.welcome.first_posts import FIRST_WEEK, FirstPosts
from storage.timestamps import to_db


async def first_post(session: LocalSession, member: Member) -> str | None:
    value = await session.app.services.db.fetch_value(
        "SELECT first_post_at FROM welcome_members WHERE community = ? AND member_id = ?",
        (member.community.key, member.id),
    )
    return None if value is None else str(value)


async def test_the_first_message_after_joining_is_noted_and_later_ones_change_nothing(
    session: LocalSession,
) -> None:
    c, clock = session.community, session.app.services.clock
    zoe = await c.join("Zoe")
    assert await first_post(session, zoe) is None
    clock.advance(timedelta(hours=3))
    first = clock.now()
    await c.post(zoe, "general", "hello everyone")
    clock.advance(timedelta(days=2))
    await c.post(zoe, "general", "me again")
    assert await first_post(session, zoe) == to_db(first)


async def test_a_rejoin_counts_from_the_new_join(session: LocalSession) -> None:
    c, clock = session.community, session.app.services.clock
    zoe = await c.join("Zoe")
    await c.post(zoe, "general", "hi")
    await c.leave(zoe)
    clock.advance(timedelta(days=30))
    zoe = await c.join("Zoe")
    assert await first_post(session, zoe) is None
    clock.advance(timedelta(hours=1))
    await c.post(zoe, "general", "back again")
    assert await first_post(session, zoe) == to_db(clock.now())


async def test_a_member_the_welcome_never_saw_join_gets_no_row(session: LocalSession) -> None:
    c = session.community
    alice = c.member("Alice")
    await c.post(alice, "general", "morning")
    count = await session.app.services.db.fetch_value(
        "SELECT COUNT(*) FROM welcome_members WHERE member_id = ?", (alice.id,)
    )
    assert count == 0


class Counting:
    """A stand-in for the repository that counts the UPDATEs asked of it."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    async def record_first_post(self, community: str, member_id: str, at: datetime) -> None:
        self.asked.append(member_id)


async def test_members_known_to_have_posted_cost_no_write_and_the_memory_is_bounded() -> None:
    repository = Counting()
    posts = FirstPosts(repository, remembered=2)  # type: ignore[arg-type]
    at = datetime(2026, 1, 5, 9)
    community = Community("local", "demo")
    a, b, d = (Member(community, name, name) for name in ("a", "b", "d"))
    for author in (a, a, b, a, d, b):
        await posts.posted(author, at)
    # a twice costs one write; d pushes out b (a was seen more lately), so b costs another.
    assert repository.asked == ["a", "b", "d", "b"]
    await posts.posted(d, at)  # remembered: no write
    posts.joined(d)  # a rejoin: the next message is a first post again
    await posts.posted(d, at)
    assert repository.asked == ["a", "b", "d", "b", "d"]


async def test_members_who_joined_over_a_week_ago_cost_no_write() -> None:
    """Their first post cannot count any more: after a restart, the regulars' first
    messages go by without touching the database."""
    repository = Counting()
    posts = FirstPosts(repository)  # type: ignore[arg-type]
    at = datetime(2026, 1, 5, 9)
    community = Community("local", "demo")
    regular = Member(community, "r", "r", joined_at=at - FIRST_WEEK - timedelta(minutes=1))
    newcomer = Member(community, "n", "n", joined_at=at - FIRST_WEEK)
    unknown = Member(community, "u", "u")  # a platform that does not say when they joined
    for author in (regular, newcomer, unknown, regular):
        await posts.posted(author, at)
    assert repository.asked == ["n", "u"]
