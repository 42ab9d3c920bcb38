"""Which outbox entry is carrying a flag's post right now, so a change made while the post
is on its way can queue its edit behind that entry (the desk, cogs/moderation/desk.py)."""

from __future__ import annotations

from storage.database import Transaction
from storage.outbox import PENDING, RUNNING


async def post_under_way(tx: Transaction, key_prefix: str) -> int | None:
    """The id of the post whose key starts with `key_prefix` that is still to be carried
    out (waiting or running), if any. A flag has at most one: a post is written only when
    none is under way."""
    value = await tx.fetch_one(
        "SELECT id FROM outbox WHERE idempotency_key LIKE ? AND kind = 'post'"
        " AND status IN (?, ?) ORDER BY id DESC LIMIT 1",
        (key_prefix.replace("%", "") + "%", PENDING, RUNNING),
    )
    return None if value is None else int(value["id"])
