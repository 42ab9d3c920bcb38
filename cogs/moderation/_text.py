"""Joining rich text: flags, lists and notices are built from lines of segments."""

from __future__ import annotations

from collections.abc import Iterable

from bot.outgoing import Markup, Rich, Segment


def join(parts: Iterable[Rich], separator: str = "\n") -> Rich:
    out: list[Segment] = []
    for index, part in enumerate(parts):
        if index:
            out.append(Markup(separator))
        out.extend(part)
    return tuple(out)
