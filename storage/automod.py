"""Pairing the events of one AutoMod execution on a blocked message (migration 0025).

Discord sends one gateway event per action it took, and a blocked message has no id to
tie them together. `pair` gives each event the id of the execution it belongs to: the
oldest recent one with the same rule, member, channel and text that has not yet seen this
kind of action (a block's alert joins the block; the same text sent again, whose block
the first execution has already seen, starts a new one). An alert carries the id of the
message it posted, so an alert heard twice is paired once; a timeout that every recent
execution has seen already is one heard twice, as each execution starts with its block; a
block carries no id at all, so here a block heard twice cannot be told from the same text
sent twice: the Discord adapter drops a block the gateway replays, by its frame's session
and sequence number (adapters/discord/automod_events.py), so every block that reaches
this is a real attempt and starts its own execution. Events of one message
arrive within a second of each other; `PAIRING_WINDOW` is generous for a slow gateway.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from storage.database import Transaction
from storage.locks import take_turn
from storage.timestamps import to_db

PAIRING_WINDOW = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class ExecutionEvent:
    community: str
    rule_id: str
    user_id: str
    channel_id: str
    content: str
    action: str  # "block", "alert", "timeout", ...
    alert_message_id: str | None
    at: datetime


@dataclass(frozen=True, slots=True)
class Paired:
    execution_id: int
    new: bool  # the first event of this execution


async def pair(tx: Transaction, event: ExecutionEvent) -> Paired:
    """The execution `event` belongs to, recorded in `tx`."""
    # Two processes hearing the block and the alert at once must pair them, not start two.
    await take_turn(tx, event.community, "moderation:automod")
    if event.alert_message_id is not None:
        # An alert names its own message: the same alert heard again (a replayed event)
        # joins the execution it was first paired with.
        seen = await tx.fetch_one(
            "SELECT id FROM moderation_automod_executions"
            " WHERE community = ? AND alert_message_id = ?",
            (event.community, event.alert_message_id),
        )
        if seen is not None:
            return Paired(int(seen["id"]), new=False)
    digest = hashlib.sha256(event.content.encode()).hexdigest()
    row = await tx.fetch_one(
        "SELECT id, actions FROM moderation_automod_executions WHERE community = ?"
        " AND rule_id = ? AND user_id = ? AND channel_id = ? AND content_hash = ? AND at >= ?"
        " AND actions NOT LIKE ? ORDER BY id LIMIT 1",
        (
            event.community,
            event.rule_id,
            event.user_id,
            event.channel_id,
            digest,
            to_db(event.at - PAIRING_WINDOW),
            f"%,{event.action},%",
        ),
    )
    if row is None and event.action != "block" and event.alert_message_id is None:
        # Every execution on a blocked message starts with its block, so a timeout (or an
        # alert without its id) that no recent execution still lacks is that execution's
        # event heard again (a replayed gateway event): it joins the newest, not a new entry.
        seen = await tx.fetch_one(
            "SELECT id FROM moderation_automod_executions WHERE community = ?"
            " AND rule_id = ? AND user_id = ? AND channel_id = ? AND content_hash = ?"
            " AND at >= ? ORDER BY id DESC LIMIT 1",
            (
                event.community,
                event.rule_id,
                event.user_id,
                event.channel_id,
                digest,
                to_db(event.at - PAIRING_WINDOW),
            ),
        )
        if seen is not None:
            return Paired(int(seen["id"]), new=False)
    if row is None:
        execution_id = await tx.insert(
            "INSERT INTO moderation_automod_executions (community, rule_id, user_id,"
            " channel_id, content_hash, actions, alert_message_id, at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                event.community,
                event.rule_id,
                event.user_id,
                event.channel_id,
                digest,
                f",{event.action},",
                event.alert_message_id,
                to_db(event.at),
            ),
        )
        return Paired(execution_id, new=True)
    await tx.execute(
        "UPDATE moderation_automod_executions SET actions = actions || ?,"
        " alert_message_id = COALESCE(alert_message_id, ?) WHERE id = ?",
        (f"{event.action},", event.alert_message_id, row["id"]),
    )
    return Paired(int(row["id"]), new=False)
