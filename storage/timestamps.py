"""One text form for timestamps, so string order is time order in every backend."""

from __future__ import annotations

from datetime import UTC, datetime

_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
_LENGTH = len("2026-12-05T18:00:00.000000Z")


def to_db(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime(_FORMAT)


def from_db(text: str) -> datetime:
    """`datetime.fromisoformat` for the form `to_db` writes (twenty times faster than
    ``strptime``, and every outbox entry claimed reads several); anything else goes
    through ``strptime``, which refuses what is not that form."""
    if len(text) == _LENGTH and text[10] == "T" and text[-1] == "Z":
        return datetime.fromisoformat(text)
    return datetime.strptime(text, _FORMAT).replace(tzinfo=UTC)


def optional_from_db(text: str | None) -> datetime | None:
    return None if text is None else from_db(text)
