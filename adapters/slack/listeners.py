"""The slack-bolt side: acknowledge every request at once, do the work afterwards.

Slack wants an answer within three seconds or it shows the member an error (commands,
buttons, forms) or retries the delivery (events). Each listener therefore only calls
``ack()``; the real work is a bolt *lazy listener*. Bolt starts lazy listeners through a
runner we supply, which keeps every started task in `Work`, so shutdown can let
in-flight work finish, and tests can wait for exactly the work a request caused.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.app.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.lazy_listener.async_internals import to_runnable_function
from slack_bolt.lazy_listener.async_runner import AsyncLazyListenerRunner
from slack_bolt.request.async_request import AsyncBoltRequest

from adapters.slack.inbox import Inbox
from adapters.slack.shapes import Unusable, kind_of

log = logging.getLogger(__name__)

# Events the adapter subscribes to (the manifest lists the same).
EVENTS = (
    "message",
    "reaction_added",
    "reaction_removed",
    "team_join",
    "member_joined_channel",
    "user_change",
)
_ANY = re.compile(r".+")


class Work:
    """The tasks started for requests already acknowledged."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()

    def start(self, work: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def idle(self) -> None:
        """Return once every started task (and any it started) has finished."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    def __len__(self) -> int:
        return len(self._tasks)


class TrackedLazyRunner(AsyncLazyListenerRunner):
    """Bolt's asyncio lazy runner, except that it remembers what it started."""

    def __init__(self, logger: logging.Logger, work: Work) -> None:
        self.logger = logger
        self._work = work

    def start(self, function: Callable[..., Awaitable[None]], request: AsyncBoltRequest) -> None:
        self._work.start(
            to_runnable_function(internal_func=function, logger=self.logger, request=request)
        )


def register(bolt: AsyncApp, inbox: Inbox, work: Work) -> None:
    """Wire every listener: ack immediately, hand the body to the inbox lazily."""
    bolt.listener_runner.lazy_listener_runner = TrackedLazyRunner(bolt.logger, work)

    async def acknowledge(ack: AsyncAck) -> None:
        await ack()

    async def acknowledged_already() -> None:
        """Events API listeners are acknowledged by bolt before they run."""

    def lazy(handle: Callable[[dict[str, Any]], Awaitable[None]]) -> Callable[..., Any]:
        async def run(body: dict[str, Any]) -> None:
            try:
                await handle(body)
            except Unusable as unusable:
                log.debug("ignoring a Slack %s payload: %s", kind_of(body), unusable)
            except Exception:
                log.exception("could not handle a Slack %s payload", body.get("type"))

        run.__name__ = f"lazy_{handle.__name__}"
        return run

    bolt.command(_ANY)(ack=acknowledge, lazy=[lazy(inbox.command)])
    bolt.shortcut(_ANY)(ack=acknowledge, lazy=[lazy(inbox.shortcut)])
    bolt.action(_ANY)(ack=acknowledge, lazy=[lazy(inbox.action)])
    bolt.view_submission(_ANY)(ack=acknowledge, lazy=[lazy(inbox.view_submission)])
    for event_type in EVENTS:
        bolt.event(event_type)(ack=acknowledged_already, lazy=[lazy(inbox.event)])

    async def ignore(body: dict[str, Any]) -> None:
        """Any other event (an app_mention, a member leaving, tokens revoked) is no news to
        the bot: acknowledged, one DEBUG line, instead of bolt's warning and a 404 that
        would make Slack retry."""
        log.debug("ignoring a Slack %s event", kind_of(body))

    bolt.event(_ANY)(ignore)
