"""/ticket list (filters, sorting, pages, the team's queue across platforms) and show."""

from __future__ import annotations

from datetime import timedelta

from bot.model import Community
from storage.tickets import Actor, NewTicket
from tests.tickets.desk import Desk


def numbers(reply: str) -> list[str]:
    """The ticket numbers of a list reply, in order."""
    return [line.split("**")[1] for line in reply.splitlines() if line.startswith("**#")]


async def seed(desk: Desk) -> None:
    """Six tickets an hour apart: #1..#6, with votes 0,2,1,3,0,1 and #5 resolved."""
    for index, (who, title, category) in enumerate(
        [
            ("Ben", "Dark mode", "app"),
            ("Cy", "CSV export", "billing"),
            ("Ben", "Faster login", "app"),
            ("Dee", "Invoice address", "billing"),
            ("Cy", "Typo on home page", ""),
            ("Dee", "Offline mode", "app"),
        ]
    ):
        extra = f"category:{category}" if category else ""
        await desk.open(who, title, extra)
        await desk.advance(timedelta(hours=1))
        assert (await desk.latest()) == await desk.ticket(index + 1)
    for number, voters in {
        2: ("Ben", "Dee"),
        3: ("Cy",),
        4: ("Ben", "Cy", "Mo"),
        6: ("Ben",),
    }.items():
        for voter in voters:
            await desk.run(voter, f"/ticket vote #{number}")
    await desk.run("Amy", "/ticket claim #2")
    await desk.run("Bo", "/ticket claim #4")
    await desk.run("Amy", "/ticket resolve #5 Fixed the typo")


async def test_the_open_queue_is_sorted_by_votes_and_paginated(desk: Desk) -> None:
    await seed(desk)
    first = await desk.run("Cy", "/ticket list")
    assert first.splitlines()[0] == "**Tickets**: 5, page 1 of 1"
    assert numbers(first) == ["#4", "#2", "#3", "#6", "#1"]
    line = next(line for line in first.splitlines() if line.startswith("**#4**"))
    assert line.startswith("**#4** Invoice address · 🔵 claimed · Bo · 👍 3 · 3h")
    assert line.endswith((await desk.ticket(4)).tracker_url)

    await desk.open("Mo", "Seventh")
    first = await desk.run("Cy", "/ticket list")
    assert first.splitlines()[0] == "**Tickets**: 6, page 1 of 2"
    assert first.splitlines()[-1] == "More: add page:2"
    assert numbers(await desk.run("Cy", "/ticket list page:2")) == ["#7"]
    assert "There are only 2 page(s)." in await desk.run("Cy", "/ticket list page:3")


async def test_filters_and_sort_orders(desk: Desk) -> None:
    await seed(desk)
    assert numbers(await desk.run("Cy", "/ticket list sort:age")) == ["#1", "#2", "#3", "#4", "#6"]
    assert numbers(await desk.run("Cy", "/ticket list sort:newest")) == [
        "#6",
        "#4",
        "#3",
        "#2",
        "#1",
    ]
    assert numbers(await desk.run("Cy", "/ticket list resolved")) == ["#5"]
    assert numbers(await desk.run("Cy", "/ticket list claimed sort:age")) == ["#2", "#4"]
    assert len(numbers(await desk.run("Cy", "/ticket list all page:2"))) == 1
    assert numbers(await desk.run("Ben", "/ticket list mine:yes")) == ["#3", "#1"]
    assert numbers(await desk.run("Ben", "/ticket list owner:@Amy all")) == ["#2", "#5"]
    assert numbers(await desk.run("Ben", "/ticket list category:Billing")) == ["#4", "#2"]
    assert "No tickets match." in await desk.run("Ben", "/ticket list withdrawn")
    assert "<status> must be one of" in await desk.run("Ben", "/ticket list pending")
    reply = await desk.run("Ben", "/ticket list category:bililng")
    assert reply == "“bililng” is not a category here. Choose one of: app, billing."


async def test_a_category_dropped_from_the_configuration_still_lists_its_tickets(
    desk: Desk,
) -> None:
    await desk.open("Ben", "Dark mode", "category:app")
    config = desk.session.app.services.config
    await config.set_override(
        desk.c.community, "tickets.categories", ["billing"], "alice", desk.clock.now()
    )
    assert numbers(await desk.run("Ben", "/ticket list category:app")) == ["#1"]


async def test_ambassadors_see_every_platforms_tickets_with_platform_and_link(
    desk: Desk,
) -> None:
    await desk.open("Ben", "Dark mode")
    slack = Community("slack", "T1")
    discord = Community("discord", "99")
    for community, title, url in (
        (slack, "Slack huddles in the app", "https://acme.slack.com/archives/C1/p1"),
        (discord, "Discord stage events", "https://discord.com/channels/99/5/6"),
    ):
        desk.clock.advance(timedelta(seconds=1))  # sort:age needs distinct times to be stable
        ticket = await desk.repo.open(
            community.key, NewTicket(title, "", "", Actor("u1", "Una"), None), desk.clock.now()
        )
        await desk.repo.set_tracker(
            community.key, ticket.number, channel_id="c", message_id="m", thread_id=None, url=url
        )
    reply = await desk.run("Amy", "/ticket list everywhere:yes sort:age")
    assert reply.splitlines()[0] == "**Tickets across the team**: 3, page 1 of 1"
    lines = reply.splitlines()[1:]
    assert lines[0].startswith("[local mode] **#1** Dark mode")
    assert lines[1].startswith("[Slack] **#1** Slack huddles in the app · 🟢 open · — · 👍 0")
    assert lines[1].endswith("https://acme.slack.com/archives/C1/p1")
    assert lines[2].startswith("[Discord] **#1** Discord stage events")

    # A team name narrows the queue to the communities that share it.
    config = desk.session.app.services.config
    now = desk.clock.now()
    await config.set_override(desk.c.community, "tickets.team", "acme", "alice", now)
    await config.set_override(slack, "tickets.team", "acme", "alice", now)
    await config.set_override(discord, "tickets.team", "other", "alice", now)
    reply = await desk.run("Amy", "/ticket list everywhere:yes sort:age")
    shown = [line.split(" **")[0] for line in reply.splitlines()[1:]]
    assert shown == ["[local mode]", "[Slack]"]


async def test_show_gives_the_facts_details_and_history(desk: Desk) -> None:
    await desk.run("Ben", '/ticket open "Dark mode" details:"Too bright at night"')
    await desk.run("Amy", "/ticket claim #1")
    await desk.run("Amy", "/ticket update #1 Talked to the team next:7d")
    shown = await desk.run("Cy", "/ticket show #1")
    assert shown.startswith("**Ticket #1:** Dark mode\nToo bright at night")
    assert f"Tracker: {(await desk.ticket(1)).tracker_url}" in shown
    assert "`2026-01-05 09:00 UTC` Amy claimed it (🟢 open → 🔵 claimed)" in shown
    assert "Amy posted an update: Talked to the team" in shown
    assert "Next update promised by: 2026-01-12 09:00 UTC" in shown


def history_lines(shown: str) -> list[str]:
    """The history part of a /ticket show reply (the tracker's fields follow, indented)."""
    lines = shown.splitlines()
    return [line for line in lines[lines.index("**History**") + 1 :] if not line.startswith(" ")]


async def test_show_says_how_many_older_history_entries_it_leaves_out(desk: Desk) -> None:
    await desk.open("Ben", "Dark mode")
    for index in range(1, 17):  # with "opened": 17 entries, two more than are shown
        await desk.run("Amy", f"/ticket update #1 Progress report {index}")
    history = history_lines(await desk.run("Cy", "/ticket show #1"))
    assert history[0] == "… 2 older entries are not shown."
    assert len(history) == 1 + 15
    assert history[1].endswith("Amy posted an update: Progress report 2")
    assert history[-1].endswith("Amy posted an update: Progress report 16")

    await desk.run("Amy", "/ticket update #1 Progress report 17")
    shown = await desk.run("Dee", "/ticket show #1")
    assert "… 3 ältere Einträge werden nicht angezeigt." in shown


async def test_show_adds_no_note_when_the_whole_history_fits(desk: Desk) -> None:
    await desk.open("Ben", "Dark mode")
    for index in range(1, 15):  # 15 entries: all shown
        await desk.run("Amy", f"/ticket update #1 Progress report {index}")
    history = history_lines(await desk.run("Cy", "/ticket show #1"))
    assert len(history) == 15 and history[0].endswith("Ben opened it")
    await desk.run("Amy", "/ticket update #1 Progress report 15")
    assert history_lines(await desk.run("Cy", "/ticket show #1"))[0] == (
        "… 1 older entry is not shown."
    )
