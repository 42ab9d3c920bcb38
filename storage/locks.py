"""Turns: one transaction at a time decides from the same rows, on every backend.

With several bot processes on one database, a decision read from rows and then written
(is this join the one that makes a wave? has this giver reached the limit?) can be made
twice: under PostgreSQL's READ COMMITTED two transactions read the same rows, neither sees
the other's uncommitted insert, and both act. `take_turn` makes such a decision wait for
the other: it updates one row per community and scope first, and the row lock is held until
commit. A waiting transaction continues after the other committed and, as its next
statements read afresh (READ COMMITTED) or it is retried on a serialization failure
(REPEATABLE READ and above), decides from what the other wrote. On SQLite every write
transaction already runs alone (``BEGIN IMMEDIATE``); the turn costs one small write.

Take the turn FIRST in the transaction, before reading what decides: rows read before it
may be stale. Where the decision is about one existing row (a flag, a ticket), lock that row
instead (`lock_row` in its repository): no extra table, and the row read is the latest.
"""

from __future__ import annotations

from storage.database import Transaction


async def take_turn(tx: Transaction, community: str, scope: str) -> None:
    """Wait until no other transaction holds (`community`, `scope`), then hold it until
    `tx` ends."""
    await tx.execute(
        "INSERT INTO serial_locks (community, scope, turns) VALUES (?, ?, 1)"
        " ON CONFLICT (community, scope) DO UPDATE SET turns = serial_locks.turns + 1",
        (community, scope),
    )
