"""Small helpers for composing rich text out of catalog lines and lists."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TypeVar

from bot.outgoing import Markup, Rich, Segment

NEWLINE = Markup("\n")
T = TypeVar("T")


def lines(parts: Iterable[Rich]) -> Rich:
    """Join rich lines with line breaks."""
    return joined(parts, NEWLINE)


def joined(parts: Iterable[Rich | Segment], separator: Segment) -> Rich:
    out: list[Segment] = []
    for index, part in enumerate(parts):
        if index:
            out.append(separator)
        if isinstance(part, tuple):
            out.extend(part)
        else:
            out.append(part)
    return tuple(out)


def capped(items: Sequence[T], limit: int) -> tuple[Sequence[T], int]:
    """The first `limit` items and how many were left out."""
    return items[:limit], max(len(items) - limit, 0)
