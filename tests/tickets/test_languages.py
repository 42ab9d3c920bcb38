"""Tickets carry a language (the channel they are opened in, an explicit language:, or
the opener's); the language's team is asked first in the opening post and everyone after
the first-response target; /ticket list filters by language."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from pathlib import Path

import pytest

from adapters.local import LocalMessage
from bot.app.local_session import LocalSession
from bot.clock import VirtualClock
from bot.settings import Settings
from cogs.tickets.export import ticket_row
from tests.tickets.desk import TICKETS_CONFIG, Desk, new_community

LANGUAGES = """
[community.languages]
channels = { "general-de" = "de" }
roles = { de = ["Team DE"] }
"""


@pytest.fixture
async def desk(
    settings: Settings, clock: VirtualClock, write_config: Callable[[str], Path]
) -> AsyncIterator[Desk]:
    write_config(TICKETS_CONFIG + 'languages = { de = "team-de" }\n' + LANGUAGES)
    community = new_community()
    community.add_channel("general-de")
    community.add_channel("team-de")
    community.add_member("Lena", roles=("Ambassadors", "Team DE"))
    community.now = clock.now
    session = await LocalSession.open(settings, clock=clock, community=community)
    opened = Desk(session, settings, clock)
    yield opened
    await opened.session.app.close()


def pings(desk: Desk) -> list[str]:
    return [m for m in desk.channel("ambassadors") if "without an ambassador" in m]


async def test_a_ticket_from_a_german_channel_asks_the_german_team_then_everyone(desk: Desk):
    await desk.run("Ben", '/ticket open "Dunkler Modus"', channel="general-de")
    ticket = await desk.ticket(1)
    assert ticket.language == "de"
    opening = (await desk.thread(1))[0]
    assert opening.text == (
        "@Ben opened ticket #1. An ambassador will pick it up and report back here.\n\n"
        "@Team DE this ticket is in **German**, a language you handle. Can one of you take it? "
        "If nobody claims it in time, all ambassadors are asked."
    )
    assert "Team DE" in opening.pinged
    assert pings(desk) == []  # everyone is asked only after the first-response target
    await desk.advance(timedelta(hours=23))
    assert pings(desk) == []
    await desk.advance(timedelta(hours=2))
    [ping] = [m for m in desk.c.read("ambassadors") if "without an ambassador" in m.text]
    assert ping.pinged == ("Ambassadors",)


async def test_the_team_claiming_in_time_spares_everyone_the_ping(desk: Desk):
    await desk.run("Ben", '/ticket open "Dunkler Modus"', channel="general-de")
    await desk.advance(timedelta(hours=3))
    await desk.run("Lena", "/ticket claim #1")
    await desk.advance(timedelta(days=2))
    assert pings(desk) == []


async def test_declared_members_are_asked_with_the_role(desk: Desk):
    await desk.run("Amy", "/languages set de")
    await desk.run("Ben", '/ticket open "Dunkler Modus" language:DE')
    opening = (await desk.thread(1))[0]
    assert opening.pinged == ("ben", "Team DE", "amy")


async def test_the_language_is_typed_or_the_openers_and_a_ticket_without_a_team_asks_nobody(
    desk: Desk,
):
    await desk.run("Dee", '/ticket open "Dunkler Modus"')  # Dee's locale is German
    assert (await desk.ticket(1)).language == "de"
    await desk.run("Cy", '/ticket open "Dark mode"')
    cy = await desk.ticket(2)
    assert cy.language == "en"
    opening = (await desk.thread(2))[0]
    assert opening.text.endswith("An ambassador will pick it up and report back here.")
    assert opening.pinged == ("cy",)


async def test_an_unknown_language_is_refused_and_nothing_is_opened(desk: Desk):
    reply = await desk.run("Ben", '/ticket open "Dark mode" language:klingon')
    assert reply.startswith("“klingon” is not a language I speak. Use one of: en, de")
    assert await desk.latest() is None


async def test_the_list_filters_by_language(desk: Desk):
    await desk.run("Ben", '/ticket open "Dunkler Modus"', channel="general-de")
    await desk.run("Cy", '/ticket open "Export to CSV"')
    listed = await desk.run("Amy", "/ticket list language:de")
    assert "Dunkler Modus" in listed and "Export to CSV" not in listed
    listed = await desk.run("Amy", "/ticket list language:en")
    assert "Export to CSV" in listed and "Dunkler Modus" not in listed
    refused = await desk.run("Amy", "/ticket list language:xx")
    assert refused.startswith("“xx” is not a language I speak.")


async def test_the_digest_is_posted_per_language_channel_in_its_language(desk: Desk):
    await desk.run("Ben", '/ticket open "Dunkler Modus"', channel="general-de")
    await desk.run("Cy", '/ticket open "Export to CSV"')
    await desk.run("Dee", "/ticket vote #1")
    await desk.run("Ben", "/ticket vote #2")
    await desk.advance(timedelta(days=7))
    [everyone] = [m for m in desk.channel("ambassadors") if m.startswith("**Ticket digest")]
    assert "Opened: **2**" in everyone
    assert "Dunkler Modus" in everyone and "Export to CSV" in everyone
    [german] = desk.channel("team-de")
    assert german.startswith("**Ticket-Wochenbericht")
    assert "Eröffnet: **1**" in german
    assert "Dunkler Modus" in german and "Export to CSV" not in german


async def test_an_ambassador_previews_the_digest_of_one_language(desk: Desk):
    await desk.run("Ben", '/ticket open "Dunkler Modus"', channel="general-de")
    await desk.run("Cy", '/ticket open "Export to CSV"')
    assert "Opened: **1**" in await desk.run("Amy", "/ticket digest language:de")
    assert "Opened: **2**" in await desk.run("Amy", "/ticket digest")
    refused = await desk.run("Amy", "/ticket digest language:zz")
    assert refused.startswith("“zz” is not a language I speak.")


async def test_the_export_names_each_tickets_language(desk: Desk):
    await desk.run("Ben", '/ticket open "Dunkler Modus"', channel="general-de")
    row = ticket_row(await desk.ticket(1))
    assert row["language"] == "de"
    assert list(row)[-1] == "language"  # new columns go last: imports by position still work


# -- reminders ask the team first; the tracker names the language -----------------------

# The follow-up of an unclaimed ticket comes (at 3d) before its first-response target.
LATE_TARGET = TICKETS_CONFIG.replace(
    'first_response_target = "24h"', 'first_response_target = "3d12h"'
)


@pytest.fixture
async def patient_desk(
    settings: Settings, clock: VirtualClock, write_config: Callable[[str], Path]
) -> AsyncIterator[Desk]:
    write_config(LATE_TARGET + LANGUAGES)
    community = new_community()
    community.add_channel("general-de")
    community.add_member("Lena", roles=("Ambassadors", "Team DE"))
    community.now = clock.now
    session = await LocalSession.open(settings, clock=clock, community=community)
    opened = Desk(session, settings, clock)
    yield opened
    await opened.session.app.close()


def follow_ups(thread: list[LocalMessage]) -> list[LocalMessage]:
    return [m for m in thread if "still waits for an ambassador" in m.text]


async def test_a_reminder_before_the_target_asks_the_team_and_after_it_everyone(
    patient_desk: Desk,
):
    desk = patient_desk
    await desk.run("Amy", "/languages set de")
    await desk.run("Ben", '/ticket open "Dunkler Modus"', channel="general-de")
    await desk.advance(timedelta(days=3))
    [before] = follow_ups(await desk.thread(1))
    assert before.text == (
        "@Team DE @Amy ⏰ Ticket #1 has had no public update for 3d and still waits for an "
        "ambassador."
    )
    assert before.pinged == ("Team DE", "amy")
    assert pings(desk) == []  # the target has not passed: everyone is not asked yet
    await desk.advance(timedelta(days=1))
    [ping] = [m for m in desk.c.read("ambassadors") if "without an ambassador" in m.text]
    assert ping.pinged == ("Ambassadors",)
    [_, after] = follow_ups(await desk.thread(1))
    assert after.text == (
        "⏰ Ticket #1 has had no public update for 4d and still waits for an ambassador."
    )
    assert after.pinged == ()


async def test_a_reminder_about_a_ticket_without_a_team_asks_nobody_in_particular(
    patient_desk: Desk,
):
    desk = patient_desk
    await desk.run("Cy", '/ticket open "Export to CSV"')  # English: nobody declared it
    await desk.advance(timedelta(days=3))
    [reminder] = follow_ups(await desk.thread(1))
    assert reminder.text.startswith("⏰ Ticket #1 has had")
    assert reminder.pinged == ()


async def test_the_tracker_names_the_language_by_its_own_name(desk: Desk):
    await desk.run("Ben", '/ticket open "Dunkler Modus"', channel="general-de")
    tracker = (await desk.tracker(1)).text
    assert "Status: 🟢 open\n  Language: Deutsch\n  Opened by: @Ben" in tracker
    await desk.run("Amy", "/ticket claim #1")  # edited in place: still there
    assert "Language: Deutsch" in (await desk.tracker(1)).text
    assert "Language: Deutsch" in await desk.run("Amy", "/ticket show #1")


async def test_a_community_without_languages_sees_no_language_on_the_tracker(
    settings: Settings, clock: VirtualClock, write_config: Callable[[str], Path]
):
    write_config(TICKETS_CONFIG)
    community = new_community()
    community.now = clock.now
    session = await LocalSession.open(settings, clock=clock, community=community)
    desk = Desk(session, settings, clock)
    try:
        await desk.run("Dee", '/ticket open "Dunkler Modus"')  # Dee writes German
        assert (await desk.ticket(1)).language == "de"
        assert "Language" not in (await desk.tracker(1)).text
        assert "Language" not in await desk.run("Amy", "/ticket show #1")
    finally:
        await session.app.close()
