"""Answering the member behind a slash command, shortcut, button or form on Slack.

Private replies are ephemeral: through the interaction's ``response_url`` where Slack gave
one (it works in any channel, even where the bot is not a member; a 429 from it is waited
out like the Web API's, see `adapters.slack.rate_limits`), else chat.postEphemeral, else a
direct message. Public replies are ordinary bot posts in the channel; where the bot
was not invited, the response_url posts them visibly instead. Forms open as modals through
the interaction's `Trigger`, which keeps Slack's three seconds even when the handler is
slow to ask for its form.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from slack_sdk.errors import SlackApiError
from slack_sdk.webhook.async_client import AsyncWebhookClient

from adapters.slack.errors import code_of, translate
from adapters.slack.ids import split_channel
from adapters.slack.rate_limits import retry_handlers
from adapters.slack.render import QUIET, SlackMessage, render_modal
from adapters.slack.trigger import Trigger
from bot.errors import Unsupported
from bot.i18n import normalise_locale
from bot.model import ChannelRef, Member
from bot.outgoing import Form, OutgoingMessage
from bot.platform import Capability

if TYPE_CHECKING:
    from adapters.slack.platform import SlackPlatform

log = logging.getLogger(__name__)

# Labels of the modal's own buttons; Slack allows 24 characters.
MODAL_BUTTONS = {"en": ("Submit", "Cancel"), "de": ("Absenden", "Abbrechen")}
# Posting where the bot is not a member fails with these; the response_url still works.
NOT_THERE = frozenset({"not_in_channel", "channel_not_found", "is_archived"})


@dataclass
class SlackResponder:
    platform: SlackPlatform
    member: Member
    channel: ChannelRef | None
    response_url: str | None = None
    trigger: Trigger | None = None

    async def reply(self, message: OutgoingMessage, *, private: bool) -> None:
        rendered = self.platform.render(message)
        if self.trigger is not None:
            self.trigger.answered(rendered.text)
        if private or self.channel is None:
            await self._ephemeral(message, rendered)
            return
        base, thread_ts = split_channel(self.channel)
        try:
            await self.platform.client.chat_postMessage(
                channel=base, thread_ts=thread_ts, **rendered.as_kwargs(), **QUIET
            )
            return
        except SlackApiError as error:
            if code_of(error) not in NOT_THERE:
                raise translate(error, "reply in the channel") from None
        if not await self._via_response_url(rendered, "in_channel"):
            await self._ephemeral(message, rendered)

    async def open_form(self, form: Form) -> None:
        if self.trigger is None:
            raise Unsupported(self.platform.name, Capability.FORMS)
        submit, cancel = MODAL_BUTTONS.get(
            normalise_locale(self.member.locale) or "en", MODAL_BUTTONS["en"]
        )
        metadata = {"channel": self.channel.id if self.channel else ""}
        view = render_modal(form, submit=submit, cancel=cancel, private_metadata=metadata)
        await self.trigger.open(view)

    async def _ephemeral(self, message: OutgoingMessage, rendered: SlackMessage) -> None:
        if await self._via_response_url(rendered, "ephemeral"):
            return
        if self.channel is not None:
            base, thread_ts = split_channel(self.channel)
            try:
                await self.platform.client.chat_postEphemeral(
                    channel=base, user=self.member.id, thread_ts=thread_ts, **rendered.as_kwargs()
                )
                return
            except SlackApiError as error:
                if code_of(error) not in NOT_THERE:
                    raise translate(error, "answer privately") from None
        await self.platform.send_direct(self.member.ref, message)

    async def _via_response_url(self, rendered: SlackMessage, response_type: str) -> bool:
        if not self.response_url:
            return False
        body: dict[str, Any] = {
            "response_type": response_type,
            "replace_original": False,
            **rendered.as_kwargs(),
        }
        webhook = AsyncWebhookClient(self.response_url, retry_handlers=retry_handlers())
        response = await webhook.send_dict(body)
        if response.status_code == 200:
            return True
        log.warning("response_url refused a reply: %s %s", response.status_code, response.body)
        return False
