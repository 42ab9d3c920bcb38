"""Where the public web board (bot/app/web) shows a community and its tickets, and whether
it shows them: the rule the web server and a ticket's tracker link both follow."""

from __future__ import annotations

from typing import Literal

from bot.model import Community

# Communities on these platforms have their board on unless an admin turns it off
# (``community.board = "auto"``); everywhere else an admin must turn it on.
BOARD_BY_DEFAULT = frozenset({"local"})


def board_on(setting: Literal["auto"] | bool, community: Community) -> bool:
    """`setting` is the community's ``community.board``."""
    if setting == "auto":
        return community.platform in BOARD_BY_DEFAULT
    return bool(setting)


def board_path(community: Community) -> str:
    return f"/board/{community.platform}/{community.id}"


def ticket_path(community: Community, number: int) -> str:
    return f"{board_path(community)}/{number}"
