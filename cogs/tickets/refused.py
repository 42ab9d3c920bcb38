"""Posts the platform refused for good, written again a little later, a few times.

The outbox retries an outage by itself; a refusal (a missing permission, a channel not
found) is final for it. For posts to a channel an admin configures (the ambassadors'
channel, the digest's, a ticket's thread) a refusal is often fixed within minutes, so the
continuation of such a post writes it again `REFUSED_RETRY` later, up to
`REFUSED_RETRIES` times, under keys derived from the first one (`again_key`): a re-run adds
nothing twice, and a caller that must withdraw the post knows every key it may have.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from bot.codec import decode, encode
from bot.delivery import Cancelled, Outbox, Outcome, Then
from bot.effects import Post
from storage.database import Transaction

log = logging.getLogger(__name__)

REFUSED_RETRY = timedelta(minutes=1)
REFUSED_RETRIES = 5
# The continuation of a post with no other business than being written again.
POSTED_AGAIN = "tickets.posted-again"


def retry_data(post: Post, key: str) -> dict[str, Any]:
    """What `post_again` needs to write `post` again: the post and its first key."""
    return {
        "post": {
            "channel": encode(post.channel),
            "message": encode(post.message),
            "allow_pings": post.allow_pings,
        },
        "key": key,
        "retries": 0,
    }


def again_key(key: str, retries: int) -> str:
    """The key of try `retries` of the post first written under `key` (0: the first)."""
    return key if retries == 0 else f"{key}:again{retries}"


def all_keys(key: str) -> list[str]:
    """Every key the post first written under `key` may be written under."""
    return [again_key(key, retries) for retries in range(REFUSED_RETRIES + 1)]


async def post_again(
    outbox: Outbox,
    tx: Transaction,
    outcome: Outcome,
    data: dict[str, Any],
    then_kind: str = POSTED_AGAIN,
) -> bool:
    """From a continuation: write a refused post (`data` from `retry_data`) again later.
    False when it is not written again: it went out, was cancelled, or the tries are used
    up (logged)."""
    if outcome.delivered or isinstance(outcome.error, Cancelled):
        return False
    retries = int(data["retries"]) + 1
    if retries > REFUSED_RETRIES:
        log.error("post %s refused %d times (%s); giving up", data["key"], retries, outcome.error)
        return False
    post = Post(
        decode(data["post"]["channel"]),
        decode(data["post"]["message"]),
        bool(data["post"]["allow_pings"]),
    )
    await outbox.add(
        tx,
        post,
        key=again_key(data["key"], retries),
        then=Then(then_kind, {**data, "retries": retries}),
        after=REFUSED_RETRY,
    )
    return True
