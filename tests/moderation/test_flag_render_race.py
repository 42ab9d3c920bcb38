"""A flag's message shows its latest state when two transactions render it at once
(PostgreSQL: a message deletion's continuation beside the kick's settling). The one that
read the flag before the other changed it runs again instead of writing the older state
last, where it would stay ("being carried out" on a flag long settled)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bot.delivery import Pending
from storage.database import Transaction
from tests.moderation.test_reactions import breach, moderation, session  # noqa: F401


async def test_a_flag_rendered_beside_its_settling_ends_up_showing_it_settled(
    session: Any,  # noqa: F811
    backend: str,
) -> None:
    if backend == "sqlite":
        pytest.skip("SQLite runs one write transaction at a time: no two renders overlap")
    c = session.community
    _, flag = await breach(session)
    outbox = session.app.services.outbox

    async def held(*entries: object) -> list[object]:
        return []

    outbox.deliver = held  # the claim commits; its kick waits in the outbox
    await c.react(c.member("Mo"), flag.number, "👢")
    del outbox.deliver
    shown = await session.app.services.db.fetch_all(
        "SELECT id FROM outbox WHERE kind = 'edit' AND status = 'pending'"
    )
    await outbox.deliver(*(row["id"] for row in shown))  # the flag shows the kick under way
    assert "being carried out" in flag.text
    cog = moderation(session)
    db = session.app.services.db
    read_first = asyncio.Event()
    settled = asyncio.Event()
    attempts = 0

    async def render(tx: Transaction) -> Pending | None:
        nonlocal attempts
        attempts += 1
        await tx.fetch_all("SELECT id FROM moderation_flags")  # its view: before the settling
        if attempts == 1:
            read_first.set()
            await settled.wait()
        return await cog.desk.publish(tx, c.community, 1)

    async def settle() -> None:
        await read_first.wait()
        await db.atomic(lambda tx: cog.settler.settle(tx, c.community, 1))
        await outbox.run_due()  # the kick, and the edit showing the flag settled, go out
        assert "👢 **Kicked**, by Mo" in flag.text
        settled.set()

    await asyncio.wait_for(asyncio.gather(db.atomic(render), settle()), timeout=10)
    await outbox.run_due()
    assert "👢 **Kicked**, by Mo" in flag.text
    assert "being carried out" not in flag.text
