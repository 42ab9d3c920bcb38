"""Small helpers for composing the welcome's messages."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from bot.outgoing import Markup

NEWLINE = Markup("\n")
T = TypeVar("T")


def capped(items: Sequence[T], limit: int) -> tuple[Sequence[T], int]:
    """The first `limit` items and how many were left out."""
    return items[:limit], max(len(items) - limit, 0)
