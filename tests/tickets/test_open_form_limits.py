"""`/ticket open` without a title opens a form; the opener's limits are checked first,
so a member never types out a ticket that is then refused and lost."""

from __future__ import annotations

from datetime import timedelta

from tests.tickets.desk import Desk


async def test_a_member_cooling_down_is_told_before_the_form_opens(desk: Desk) -> None:
    await desk.run("Alice", "/config set tickets.cooldown 10m")
    await desk.open("Ben", "One")
    reply = await desk.run("Ben", "/ticket open")
    assert "Please wait another 10m before opening the next one." in reply
    assert "ben" not in desk.c.open_forms
    await desk.advance(timedelta(minutes=10, seconds=1))
    await desk.run("Ben", "/ticket open")
    assert "ben" in desk.c.open_forms


async def test_a_member_at_the_limit_is_told_before_the_form_opens(desk: Desk) -> None:
    await desk.run("Alice", "/config set tickets.max_open_per_member 1")
    await desk.open("Ben", "One")
    reply = await desk.run("Ben", "/ticket open")
    assert "ben" not in desk.c.open_forms
    assert reply == (await desk.run("Ben", "/ticket open Two"))
    # Ambassadors open on others' behalf: no limit, so their form opens.
    await desk.open("Amy", "Mine")
    await desk.run("Amy", "/ticket open")
    assert "amy" in desk.c.open_forms
