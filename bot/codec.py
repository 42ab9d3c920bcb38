"""JSON for the neutral values an outbox entry carries (messages, references, durations).

Only the types registered here can be decoded, so a stored payload can never name an
arbitrary class. Tuples come back as tuples (every neutral value is frozen); dataclasses
and enums are tagged with their name.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from enum import Enum
from typing import Any

from bot.model import ChannelRef, Community, MessageRef, UserRef
from bot.outgoing import (
    Button,
    ButtonStyle,
    ChannelMention,
    Field,
    Link,
    Markup,
    Mention,
    OutgoingMessage,
    Plain,
    RoleMention,
)

_DATACLASSES: dict[str, type] = {
    kind.__name__: kind
    for kind in (
        Community,
        UserRef,
        ChannelRef,
        MessageRef,
        OutgoingMessage,
        Field,
        Button,
        Plain,
        Markup,
        Mention,
        ChannelMention,
        RoleMention,
        Link,
    )
}
_ENUMS: dict[str, type[Enum]] = {ButtonStyle.__name__: ButtonStyle}
# Each registered dataclass's field names, worked out once: `dataclasses.fields` per value
# was most of the time every outbox entry spent being encoded (a flag is dozens of values).
_FIELDS: dict[type, tuple[str, ...]] = {
    kind: tuple(f.name for f in dataclasses.fields(kind)) for kind in _DATACLASSES.values()
}


def encode(value: Any) -> Any:
    """A JSON-ready form of `value`."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    names = _FIELDS.get(type(value))
    if names is not None:
        fields = {name: encode(getattr(value, name)) for name in names}
        return {"~type": type(value).__name__, **fields}
    if isinstance(value, Enum):
        return {"~enum": type(value).__name__, "v": value.value}
    if isinstance(value, tuple | list):
        return [encode(item) for item in value]
    if isinstance(value, dict):
        return {"~dict": {str(k): encode(v) for k, v in value.items()}}
    if isinstance(value, datetime):
        return {"~datetime": value.isoformat()}
    if isinstance(value, timedelta):
        return {"~seconds": value.total_seconds()}
    raise TypeError(f"{type(value).__name__} cannot be stored in the outbox")


def decode(data: Any) -> Any:
    """The inverse of `encode`."""
    if isinstance(data, list):
        return tuple(decode(item) for item in data)
    if not isinstance(data, dict):
        return data
    if "~type" in data:
        kind = _DATACLASSES[data["~type"]]
        return kind(**{k: decode(v) for k, v in data.items() if k != "~type"})
    if "~enum" in data:
        return _ENUMS[data["~enum"]](data["v"])
    if "~dict" in data:
        return {k: decode(v) for k, v in data["~dict"].items()}
    if "~datetime" in data:
        return datetime.fromisoformat(data["~datetime"])
    if "~seconds" in data:
        return timedelta(seconds=data["~seconds"])
    raise ValueError(f"unknown stored value: {sorted(data)}")
