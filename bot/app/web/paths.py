"""Where each page lives. The board of community ``discord:123`` is ``/board/discord/123``;
its ticket #5 is ``/board/discord/123/5``, and each has an Atom feed beside it."""

from __future__ import annotations

from urllib.parse import urlencode

from bot.board import board_path, ticket_path
from bot.model import Community

STATIC = "/static"


def board(community: Community, **query: str | int) -> str:
    path = board_path(community)
    kept = {k: v for k, v in query.items() if v not in ("", None)}
    return f"{path}?{urlencode(kept)}" if kept else path


def ticket(community: Community, number: int) -> str:
    return ticket_path(community, number)


def board_feed(community: Community) -> str:
    return f"{board_path(community)}/feed.atom"


def ticket_feed(community: Community, number: int) -> str:
    return f"{ticket(community, number)}/feed.atom"
