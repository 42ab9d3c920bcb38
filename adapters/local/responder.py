"""Private replies and forms for a member acting in the local community."""

from __future__ import annotations

from typing import TYPE_CHECKING

from adapters.local.identity import BOT_ID
from adapters.local.render import render_message
from bot.outgoing import Form, OutgoingMessage

if TYPE_CHECKING:
    from adapters.local.community import LocalChannel, LocalCommunity
    from bot.model import Member


class LocalResponder:
    def __init__(self, community: LocalCommunity, member: Member, channel: LocalChannel) -> None:
        self._community = community
        self._member = member
        self._channel = channel

    async def reply(self, message: OutgoingMessage, *, private: bool) -> None:
        names = {m.id: m.shown_name for m in self._community.members.values()}
        text, pinged = render_message(message, names)
        recorded = self._community.record(
            self._channel.id,
            BOT_ID,
            text,
            buttons=message.buttons,
            private_to=self._member.id if private else None,
            pinged=pinged,
        )
        where = f"only {self._member.name} sees" if private else f"#{self._channel.name}"
        self._community.log(f"[{where}] {recorded.number} Botschafter: {text}")

    async def open_form(self, form: Form) -> None:
        self._community.open_forms[self._member.id] = form
        fields = ", ".join(f.label for f in form.fields)
        self._community.log(f"[form for {self._member.name}] {form.title}: {fields}")
