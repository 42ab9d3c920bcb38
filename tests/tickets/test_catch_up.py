"""Votes and ✅ on trackers made while the bot was away count once it is back, once."""

from __future__ import annotations

from storage.ticket_votes import TicketVoteRepository
from tests.tickets.desk import Desk


async def voters(desk: Desk, number: int) -> list[str]:
    repo = TicketVoteRepository(desk.session.app.services.db)
    return await repo.voters(desk.c.community.key, number)


async def test_votes_made_while_the_bot_was_away_count_once_it_is_back(desk: Desk) -> None:
    await desk.open("Ben")
    tracker = await desk.tracker(1)
    await desk.c.react(desk.c.member("Cy"), tracker.number, "👍")  # heard live
    desk.c.disconnect()
    await desk.c.react(desk.c.member("Dee"), tracker.number, "👍")
    await desk.c.react(desk.c.member("Ben"), tracker.number, "👍")  # his own ticket
    assert (await desk.ticket(1)).vote_count == 1

    await desk.c.connect()
    assert sorted(await voters(desk, 1)) == ["cy", "dee"]
    assert "Votes: 👍 2" in (await desk.tracker(1)).text
    assert "ben" not in (await desk.tracker(1)).reactions["👍"]  # refused and taken off, as live

    desk.c.disconnect()
    await desk.c.connect()  # a second reconnect acts on nothing
    assert await desk.history(1) == ["opened", "vote", "vote"]
    assert len(desk.dms("Ben")) == 1  # the one refusal


async def test_a_vote_taken_back_while_the_bot_was_away_is_withdrawn(desk: Desk) -> None:
    await desk.open("Ben")
    tracker = await desk.tracker(1)
    await desk.c.react(desk.c.member("Cy"), tracker.number, "👍")
    desk.c.disconnect()
    await desk.c.unreact(desk.c.member("Cy"), tracker.number, "👍")
    await desk.c.connect()
    assert await voters(desk, 1) == []
    assert await desk.history(1) == ["opened", "vote", "unvote"]


async def test_a_check_mark_made_while_the_bot_was_away_is_answered_once(desk: Desk) -> None:
    await desk.open("Ben")
    tracker = await desk.tracker(1)
    desk.c.disconnect()
    await desk.c.react(desk.c.member("Amy"), tracker.number, "✅")
    await desk.c.react(desk.c.member("Cy"), tracker.number, "✅")  # no ambassador
    await desk.c.connect()
    prompts = [m for m in desk.dms("Amy") if "#1" in m]
    assert len(prompts) == 1
    assert "cy" not in (await desk.tracker(1)).reactions["✅"]
    desk.c.disconnect()
    await desk.c.connect()
    assert len([m for m in desk.dms("Amy") if "#1" in m]) == 1


async def test_votes_made_while_the_bot_was_stopped_count_after_a_restart(desk: Desk) -> None:
    await desk.open("Ben")
    tracker = await desk.tracker(1)
    await desk.session.app.close()
    desk.c.dispatch = None  # nobody hears while the bot is stopped
    await desk.c.react(desk.c.member("Cy"), tracker.number, "👍")
    await desk.restart()
    assert await voters(desk, 1) == ["cy"]


async def test_only_the_newest_trackers_are_read(desk: Desk) -> None:
    config, now = desk.session.app.services.config, desk.clock.now()
    await config.set_override(desk.c.community, "tickets.catch_up_trackers", 1, "alice", now)
    await desk.open("Ben", "Dark mode")
    await desk.open("Ben", "Light mode")
    desk.c.disconnect()
    await desk.c.react(desk.c.member("Cy"), (await desk.tracker(1)).number, "👍")
    await desk.c.react(desk.c.member("Cy"), (await desk.tracker(2)).number, "👍")
    await desk.c.connect()
    assert await voters(desk, 2) == ["cy"]
    assert await voters(desk, 1) == []
