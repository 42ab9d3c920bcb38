"""One interaction's ``trigger_id``: the bot's single chance to open a modal, for 3 s.

Slack lets a trigger_id open one modal (views.open) within three seconds of the command,
click or message action that carried it, however quickly the request was acknowledged.
Before a handler asks for its form, the member is looked up (users.info), the community's
configuration is read, and some handlers check the database first (a report's duplicate
check, a ticket's status). That takes milliseconds on a good day and seconds on a bad one:
a busy database, a rate-limited lookup.

So a `Trigger` keeps its own clock from the moment the payload arrived. If by
`PLACEHOLDER_AFTER` the handler has neither opened a form nor answered, it spends the
trigger on a small "one moment" modal while the trigger is still good; the form, when it
comes, replaces that modal (views.update needs no trigger, only the view's id), and an
answer instead of a form is shown in it. A form asked for too late, or refused by Slack as
expired, is a polite `FormTooLate` ("please run the command again"), never a crash.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import texts
from adapters.slack.errors import call, code_of, translate
from adapters.slack.render import MODAL_TITLE_LIMIT, SECTION_LIMIT
from bot.errors import UserError
from bot.text import excerpt

log = logging.getLogger(__name__)

# Slack's limit (api.slack.com/docs/triggers), counted by Slack from the interaction, so
# ours (counted from the payload's arrival) is a little generous: Slack has the last word.
TRIGGER_LIFETIME = 3.0
# Half the lifetime: time enough for every quick handler to open its own form, and room
# for the placeholder's views.open round trip to reach Slack before the trigger runs out.
PLACEHOLDER_AFTER = 1.5
# views.open's answers for a trigger that cannot be used any more (Slack's method docs).
# invalid_trigger_id is a malformed id, a bug rather than a slow moment: not listed here.
SPENT = frozenset({"expired_trigger_id", "exchanged_trigger_id"})


class FormTooLate(UserError):
    """The form could not open in time; the member is asked to try again."""


class Trigger:
    def __init__(
        self,
        client: AsyncWebClient,
        trigger_id: str,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._trigger_id = trigger_id
        self._clock = clock
        self._received = clock()
        self._lock = asyncio.Lock()
        self._spent = False  # used for a modal, or given up
        self._placeholder: str | None = None  # the "one moment" modal's view id
        self._form_shown = False
        self._answer: str | None = None  # the last reply's mrkdwn
        self._timer: asyncio.Task[None] | None = None
        self._waiting = False
        # The member's locale once known; the placeholder may open before the member is.
        self.locale: str | None = None

    def watch(self) -> None:
        """Start the clock's watch: the placeholder opens if nothing happened in time."""
        self._waiting = True
        self._timer = asyncio.ensure_future(self._hold())

    async def open(self, view: dict[str, Any]) -> None:
        """Show `view` as the member's modal, or raise `FormTooLate`."""
        async with self._lock:
            if self._placeholder is not None:
                await call(
                    "open a form",
                    self._client.views_update(view_id=self._placeholder, view=view),
                )
                self._form_shown = True
                return
            if self._spent or self._clock() - self._received >= TRIGGER_LIFETIME:
                raise self._too_late()
            self._spent = True
            try:
                await self._client.views_open(trigger_id=self._trigger_id, view=view)
            except SlackApiError as error:
                if code_of(error) in SPENT:
                    raise self._too_late() from None
                raise translate(error, "open a form") from None
            self._form_shown = True

    def answered(self, mrkdwn: str) -> None:
        """The handler replied; a placeholder will show this instead of waiting."""
        self._answer = mrkdwn

    async def close(self) -> None:
        """The handler is done: a placeholder that got no form shows the answer."""
        timer = self._timer
        if timer is not None and not timer.done():
            if self._waiting:
                timer.cancel()
            await asyncio.gather(timer, return_exceptions=True)
        async with self._lock:
            if self._placeholder is None or self._form_shown:
                return
            view = _notice(
                texts.text("done_title", self.locale),
                self._answer or texts.text("done_text", self.locale),
            )
            try:
                await self._client.views_update(view_id=self._placeholder, view=view)
            except SlackApiError as error:
                # The member may have closed it already; the answer went out anyway.
                log.info("could not update the waiting modal: %s", code_of(error))

    async def _hold(self) -> None:
        await asyncio.sleep(max(0.0, self._received + PLACEHOLDER_AFTER - self._clock()))
        self._waiting = False
        async with self._lock:
            if self._spent or self._answer is not None:
                return
            self._spent = True
            view = _notice(
                texts.text("wait_title", self.locale), texts.text("wait_text", self.locale)
            )
            try:
                response = await self._client.views_open(trigger_id=self._trigger_id, view=view)
            except SlackApiError as error:
                log.info("could not open the waiting modal: %s", code_of(error))
                return
            self._placeholder = str(response["view"]["id"])

    def _too_late(self) -> FormTooLate:
        return FormTooLate(texts.text("form_too_late", self.locale))


def _notice(title: str, mrkdwn: str) -> dict[str, Any]:
    """A modal that only shows text, with Slack's own close button."""
    return {
        "type": "modal",
        "title": {"type": "plain_text", "text": excerpt(title, MODAL_TITLE_LIMIT)},
        "close": {"type": "plain_text", "text": "OK"},
        "blocks": [
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": excerpt(mrkdwn, SECTION_LIMIT) or " "},
            }
        ],
    }
