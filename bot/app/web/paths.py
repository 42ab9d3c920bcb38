"""Where each page lives. The board of community ``discord:123`` is ``/board/discord/123``;
its ticket #5 is ``/board/discord/123/5``, and each has an Atom feed beside it."""

from __future__ import annotations

from urllib.parse import urlencode

from bot.model import Community

STATIC = "/static"


def board(community: Community, **query: str | int) -> str:
    path = f"/board/{community.platform}/{community.id}"
    kept = {k: v for k, v in query.items() if v not in ("", None)}
    return f"{path}?{urlencode(kept)}" if kept else path


def ticket(community: Community, number: int) -> str:
    return f"/board/{community.platform}/{community.id}/{number}"


def board_feed(community: Community) -> str:
    return f"/board/{community.platform}/{community.id}/feed.atom"


def ticket_feed(community: Community, number: int) -> str:
    return f"{ticket(community, number)}/feed.atom"
