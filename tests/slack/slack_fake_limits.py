"""What makes the fake Slack strict: rate-limit budgets, cursor pagination and scopes.

Real Slack answers a method called too often with HTTP 429 and a ``Retry-After`` header,
hands out every list in pages joined by ``response_metadata.next_cursor``, and refuses a
method the granted scopes do not cover with ``missing_scope`` (naming what is ``needed``
and what was ``provided``). Code that works against a lenient fake fails on a real
workspace the first time a list outgrows a page or a busy minute runs out of calls, so
the fake does all three.

Budgets follow Slack's tiers (docs.slack.dev/apis/web-api/rate-limits): calls per minute,
per method. They are far above what one test makes, so the default suite never waits; a
rate-limit test sets a tiny budget with ``Retry-After: 1`` (`RateLimits.set`).
"""

from __future__ import annotations

import base64
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

T = TypeVar("T")

# Calls per minute of each tier ("20+ per minute" for tier 2, and so on).
TIER_PER_MINUTE = {1: 1, 2: 20, 3: 50, 4: 100}
# The tier of each method the adapter calls, from each method's page in Slack's docs.
# chat.postMessage is "special": about one message per second per channel, with bursts.
TIER_OF = {
    "auth.test": 4,
    "users.info": 4,
    "users.list": 2,
    "users.conversations": 3,
    "conversations.list": 2,
    "conversations.info": 3,
    "conversations.members": 4,
    "conversations.history": 3,
    "conversations.replies": 3,
    "conversations.open": 3,
    "conversations.join": 3,
    "conversations.kick": 3,
    "usergroups.list": 2,
    "usergroups.users.list": 2,
    "usergroups.users.update": 2,
    "chat.update": 3,
    "chat.delete": 3,
    "chat.postEphemeral": 4,
    "chat.getPermalink": 4,
    "reactions.add": 3,
    "reactions.remove": 2,
    "reactions.get": 3,
    "views.open": 4,
}
# chat.postMessage's budget per channel and minute (one a second, as a minute's worth).
POSTS_PER_CHANNEL_MINUTE = 60
MINUTE = 60.0

# A page when the caller gives no ``limit`` (Slack's default for most list methods), and
# the most Slack hands out in one page whatever ``limit`` asks for.
DEFAULT_PAGE = 100
MAX_PAGE = 1000


@dataclass
class Budget:
    """At most `calls` calls per `window` seconds; then 429 with `retry_after` seconds
    (or, if None, the seconds until the oldest call leaves the window)."""

    calls: int
    window: float = MINUTE
    retry_after: int | None = None
    made: dict[str, list[float]] = field(default_factory=dict)


class RateLimits:
    """Per-method budgets, counted per method (and per channel for chat.postMessage)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self.budgets: dict[str, Budget] = {
            method: Budget(TIER_PER_MINUTE[tier]) for method, tier in TIER_OF.items()
        }
        self.budgets["chat.postMessage"] = Budget(POSTS_PER_CHANNEL_MINUTE)
        self._refusals: dict[str, list[int]] = {}

    def set(
        self, method: str, calls: int, *, retry_after: int | None = 1, window: float = MINUTE
    ) -> None:
        """Allow `calls` calls of `method` per `window`, then answer 429 with `retry_after`."""
        self.budgets[method] = Budget(calls, window, retry_after)

    def refuse(self, method: str, *, times: int = 1, retry_after: int = 1) -> None:
        """Answer the next `times` calls of `method` with 429, whatever the budget says
        (a busy minute of other apps' calls, as at a restart)."""
        self._refusals.setdefault(method, []).extend([retry_after] * times)

    def check(self, method: str, params: dict[str, Any]) -> int | None:
        """Count a call; the seconds to wait if it is over budget (it then does not count)."""
        if self._refusals.get(method):
            return self._refusals[method].pop(0)
        budget = self.budgets.get(method)
        if budget is None:
            return None
        key = str(params.get("channel", "")) if method == "chat.postMessage" else ""
        now = self._clock()
        made = [at for at in budget.made.get(key, []) if now - at < budget.window]
        if len(made) >= budget.calls:
            budget.made[key] = made
            if budget.retry_after is not None:
                return budget.retry_after
            return max(1, math.ceil(budget.window - (now - made[0])))
        budget.made[key] = [*made, now]
        return None


class InvalidCursor(ValueError):
    """A cursor the fake never handed out (Slack answers ``invalid_cursor``)."""


def page(items: Sequence[T], params: dict[str, Any]) -> tuple[list[T], dict[str, str]]:
    """One page of `items` for the request's ``limit`` and ``cursor``, and the
    ``response_metadata`` to send with it (an empty ``next_cursor`` on the last page)."""
    limit = int(params.get("limit") or 0) or DEFAULT_PAGE
    limit = min(limit, MAX_PAGE)
    start = _offset(str(params.get("cursor") or ""))
    end = start + limit
    more = end < len(items)
    next_cursor = _cursor(end) if more else ""
    return list(items[start:end]), {"next_cursor": next_cursor}


def _cursor(offset: int) -> str:
    return base64.b64encode(f"offset:{offset}".encode()).decode()


def _offset(cursor: str) -> int:
    if not cursor:
        return 0
    try:
        kind, _, number = base64.b64decode(cursor.encode(), validate=True).decode().partition(":")
        if kind != "offset":
            raise ValueError(kind)
        return int(number)
    except ValueError:
        raise InvalidCursor(cursor) from None


def needed_scopes(method: str, params: dict[str, Any], private: set[str]) -> tuple[str, ...]:
    """The bot scopes Slack wants for this call; `private` holds the private channels."""
    channel = str(params.get("channel", ""))
    match method:
        case "users.list" | "users.info":
            return ("users:read",)
        case "conversations.list" | "users.conversations":
            types = str(params.get("types") or "public_channel").split(",")
            kinds = {"public_channel": "channels:read", "private_channel": "groups:read"}
            return tuple(kinds[t] for t in types if t in kinds)
        case "conversations.info" | "conversations.members":
            return (_by_kind(channel, private, "channels:read", "groups:read", "im:read"),)
        case "conversations.history" | "conversations.replies":
            return (_by_kind(channel, private, "channels:history", "groups:history", "im:history"),)
        case "conversations.kick":
            return (_by_kind(channel, private, "channels:manage", "groups:write", "im:write"),)
        case "conversations.open":
            return ("im:write",)
        case "chat.postMessage" | "chat.update" | "chat.delete" | "chat.postEphemeral":
            return ("chat:write",)
        case "reactions.add" | "reactions.remove":
            return ("reactions:write",)
        case "reactions.get":
            return ("reactions:read",)
        case "usergroups.list" | "usergroups.users.list":
            return ("usergroups:read",)
        case "usergroups.users.update":
            return ("usergroups:write",)
    return ()


def _by_kind(channel: str, private: set[str], public: str, group: str, direct: str) -> str:
    if channel.startswith("D"):
        return direct
    return group if channel in private else public


def missing_scope(needed: Sequence[str], scopes: str) -> dict[str, Any] | None:
    """Slack's answer when `scopes` (comma-separated, as granted) lack one of `needed`."""
    granted = {s.strip() for s in scopes.split(",")}
    missing = [s for s in needed if s not in granted]
    if not missing:
        return None
    return {"ok": False, "error": "missing_scope", "needed": ",".join(missing), "provided": scopes}
