"""Compare a crashed-and-restarted run with the uninterrupted one (see docs/reliability.md).

Both runs end in a snapshot (`benchmarks._crash_child.take_snapshot`). What members and
moderators saw becomes a multiset of *items*, each with an identity (which message, thread
or action it is) and a content (its final text, buttons, reactions, flags). Message numbers
and platform ids are normalised away: after a crash the bot's posts may come in another
order, and that alone is no difference.

- an identity of the reference run missing from the crashed run is **lost**, and so is an
  item whose final content differs (a lost edit, reaction, archive);
- a second copy of an identity the reference run has is **duplicated**;
- an identity only the crashed run has at all is **unexpected** (e.g. a member a lost
  kick left in the community).

Stored rows (every table; autoincrement ids, platform message ids and retry bookkeeping
dropped) are compared as multisets per table; any difference is an integrity failure, except
a finished job only the restarted run has (recovery work; what it did is compared above).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

Item = tuple[tuple[Any, ...], tuple[Any, ...]]  # (identity, content)

# Keys may name a platform message by its number, which differs between runs.
_DIGITS = re.compile(r"\d+")
_LINK = re.compile(r"local:/([\w-]+)/\d+")
_THREAD = re.compile(r"thread-\d+")
_ID_FIELD = re.compile(r'("\w*(?:message|thread)\w*"\s*:\s*)("[^"]*"|\d+)')
# Columns that hold platform message or thread ids, row ids, or how often a job was tried:
# they legitimately differ after a restart. Everything else must match.
_DROPPED = re.compile(
    r"^(id|.*message_id|thread_id|tracker_url|permalink|attempts|last_error|lease_owner|lease_expires)$"
)
# Tables that coordinate processes rather than hold state: how many turns a lock row counted
# (a transaction cut off by a kill and run again takes another) or which process holds a
# shard says nothing about what members see or what the bot remembers.
_COORDINATION = frozenset({"serial_locks", "process_claims"})


@dataclass
class Difference:
    lost: list[tuple[Any, ...]] = field(default_factory=list)
    duplicated: list[tuple[Any, ...]] = field(default_factory=list)
    unexpected: list[tuple[Any, ...]] = field(default_factory=list)
    stored: list[str] = field(default_factory=list)
    corrupt: bool = False  # SQLite's integrity check failed


def compare(reference: dict[str, Any], crashed: dict[str, Any]) -> Difference:
    interrupted = crashed.get("interrupted_line")
    difference = Difference()
    _compare_items(
        visible_items(reference, interrupted), visible_items(crashed, interrupted), difference
    )
    if crashed["integrity"] != "ok":
        difference.corrupt = True
        difference.stored.append(f"PRAGMA integrity_check: {crashed['integrity']}")
    before, after = stored_rows(reference), stored_rows(crashed)
    for table in sorted(before.keys() | after.keys()):
        missing = before.get(table, Counter()) - after.get(table, Counter())
        extra = after.get(table, Counter()) - before.get(table, Counter())
        difference.stored += [f"{table}: missing {row}" for row in missing.elements()]
        difference.stored += [
            f"{table}: extra {row}" for row in extra.elements() if not _bookkeeping(table, row)
        ]
    return difference


def visible_items(snapshot: dict[str, Any], interrupted: int | None) -> list[Item]:
    """Everything members and moderators can see, as (identity, content) items."""
    state = snapshot["community"]
    channels = {c["id"]: c for c in state["channels"]}
    name = {cid: c["name"] for cid, c in channels.items()}
    items: list[Item] = []
    for message in state["messages"]:
        origin = snapshot["origin"].get(str(message["number"]))
        if message["private_to"] and interrupted is not None and origin == interrupted:
            continue  # the answer a killed process owed; the platform says "did not respond"
        items.append(_message_item(message, name))
    for channel in channels.values():
        if channel["parent_id"] is not None:
            identity = ("thread", channel["name"], name.get(channel["parent_id"]))
            items.append((identity, (channel["archived"], channel["locked"])))
    for action in snapshot["actions"]:
        *what, until = action
        items.append((("action", *what), (until,)))
    for member in state["members"]:
        roles = tuple(sorted(role for _, role in member["roles"]))
        items.append((("present", member["id"]), roles))
    items += [(("banned", member), ()) for member in state["banned"]]
    items += [(("timeout", member), (until,)) for member, until in state["timeouts"].items()]
    return items


def _message_item(message: dict[str, Any], channel_names: dict[str, str]) -> Item:
    text = _normalise(message["text"])
    where = channel_names.get(message["channel_id"], message["channel_id"])
    reactions = tuple(
        sorted((emoji, tuple(sorted(users))) for emoji, users in message["reactions"].items())
    )
    reactions = tuple((emoji, users) for emoji, users in reactions if users)
    if message["author_id"] == "botschafter":
        identity = ("bot", where, message["private_to"], text.split("\n", 1)[0])
        buttons = tuple(b["label"] for b in message["buttons"])
        return identity, (text, buttons, reactions, message["deleted"])
    identity = ("member", where, message["author_id"], text)
    return identity, (reactions, message["deleted"])


def stored_rows(snapshot: dict[str, Any]) -> dict[str, Counter[str]]:
    return {
        table: Counter(
            _outbox_row(row) if table == "outbox" else _row(row)
            for row in rows
            if _stored_state(table, row)
        )
        for table, rows in snapshot["stored"].items()
        if table not in _COORDINATION
    }


def _stored_state(table: str, row: dict[str, Any]) -> bool:
    """An edit re-applies the latest state: how often the bot re-rendered a message (e.g.
    once more after a restart) is not state; the message's final text is compared above."""
    return not (table == "outbox" and row["kind"] == "edit")


def _outbox_row(row: dict[str, Any]) -> str:
    """An outbox entry as far as it is state: what it does and whether it happened. Its
    timing, tries, lane, results (platform ids), random keys and the numbers in its key
    (a key may name a platform message) are bookkeeping, and an edit superseded by a newer
    one left the same message as one delivered."""
    key = row["idempotency_key"]
    status = "delivered" if row["status"] == "superseded" else row["status"]
    kept = {
        "community": row["community"],
        "kind": row["kind"],
        "status": status,
        "key": "auto" if key.startswith("auto:") else _DIGITS.sub("#", key),
    }
    return json.dumps(kept, ensure_ascii=False, sort_keys=True)


def _row(row: dict[str, Any]) -> str:
    kept = {
        column: _normalise(value) if isinstance(value, str) else value
        for column, value in row.items()
        if not _DROPPED.match(column)
    }
    return json.dumps(kept, ensure_ascii=False, sort_keys=True)


def _bookkeeping(table: str, row: str) -> bool:
    """A job only the restarted run has, and that finished: recovery work (e.g. a flag's
    refresh after a restart), not a difference in state; what it did shows up as items."""
    return table == "jobs" and json.loads(row)["status"] == "done"


def _normalise(text: str) -> str:
    text = _LINK.sub(r"local:/\1/#", text)
    text = _THREAD.sub("thread-#", text)
    return _ID_FIELD.sub(r'\1"#"', text)


def _compare_items(reference: Iterable[Item], crashed: Iterable[Item], out: Difference) -> None:
    reference, crashed = list(reference), list(crashed)
    ref_ids = Counter(identity for identity, _ in reference)
    new_ids = Counter(identity for identity, _ in crashed)
    out.lost += list((ref_ids - new_ids).elements())
    for identity in (new_ids - ref_ids).elements():
        (out.duplicated if ref_ids[identity] else out.unexpected).append(identity)
    # Present as often as in the reference, but not in the same final state: a lost edit.
    changed = Counter(reference) - Counter(crashed)
    for identity, content in changed.elements():
        if new_ids[identity] >= ref_ids[identity]:
            out.lost.append((*identity, "final state", *content[:1]))
