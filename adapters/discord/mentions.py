"""Command references in the bot's own texts as Discord command mentions.

The catalogs name commands in English ("run /ticket claim #4"), but Discord shows each
member the command's name in their language. A mention (``</ticket claim:ID>``) is shown by
Discord in the reader's locale and can be clicked, so a reply never contradicts the menu.
Only the bot's own text (`Markup`) is converted, never what members wrote (`Plain`), and
never inside a code span; a command whose id this run has not learned (from the server's
bulk overwrite) stays as text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

from bot.outgoing import Markup, OutgoingMessage, Rich

CHAT_INPUT = 1
SUB_COMMAND = 1
SUB_COMMAND_GROUP = 2
_BACKTICKS = re.compile(r"(`+)")


def command_paths(registered: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """Each invocable slash command path (``ticket claim``) → its top-level command's id, from
    the command objects Discord returned; groups and message actions cannot be mentioned."""
    paths: dict[str, str] = {}
    for command in registered:
        if command.get("type", CHAT_INPUT) != CHAT_INPUT or "id" not in command:
            continue
        for path in _leaves(command["name"], command.get("options") or ()):
            paths[path] = str(command["id"])
    return paths


def _leaves(path: str, options: Iterable[Mapping[str, Any]]) -> Iterable[str]:
    nested = [o for o in options if o.get("type") in (SUB_COMMAND, SUB_COMMAND_GROUP)]
    if not nested:
        yield path
    for option in nested:
        yield from _leaves(f"{path} {option['name']}", option.get("options") or ())


class CommandMentions:
    """The command ids this run learned, per server, and the conversion they allow."""

    def __init__(self) -> None:
        self._patterns: dict[str, tuple[re.Pattern[str], dict[str, str]]] = {}

    def record(self, community_id: str, registered: Iterable[Mapping[str, Any]]) -> None:
        """Remember a server's commands as Discord returned them after registering."""
        paths = command_paths(registered)
        if not paths:
            self._patterns.pop(community_id, None)
            return
        # Longest first, so "/ticket claim" wins over "/ticket".
        names = "|".join(re.escape(p) for p in sorted(paths, key=len, reverse=True))
        pattern = re.compile(rf"(?<![\w/<])/({names})(?![\w-])")
        self._patterns[community_id] = (pattern, paths)

    def apply(self, community_id: str, message: OutgoingMessage) -> OutgoingMessage:
        """The message with its command references as mentions, where the ids are known."""
        known = self._patterns.get(community_id)
        if known is None:
            return message

        def converted(text: Rich) -> Rich:
            return with_mentions(text, *known)

        return replace(
            message,
            text=converted(message.text),
            fields=tuple(replace(f, value=converted(f.value)) for f in message.fields),
        )


def with_mentions(text: Rich, pattern: re.Pattern[str], ids: Mapping[str, str]) -> Rich:
    """Markup segments with ``/path`` outside code spans turned into ``</path:id>``."""
    fence = ""
    out = []
    for segment in text:
        if not isinstance(segment, Markup):
            out.append(segment)
            continue
        pieces = []
        for piece in _BACKTICKS.split(segment.text):
            if piece.startswith("`"):
                fence = "" if piece == fence else (fence or piece)
            elif not fence:
                piece = pattern.sub(lambda m: f"</{m[1]}:{ids[m[1]]}>", piece)
            pieces.append(piece)
        out.append(Markup("".join(pieces)))
    return tuple(out)
