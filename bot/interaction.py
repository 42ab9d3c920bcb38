"""What a cog's command, button, form or message-action handler receives.

It bundles the member, their resolved locale and community configuration, the platform and
the responder, so a handler can reply in the member's language in one line, and word a
public post in the community's.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from bot.commands import Arguments
from bot.config import EffectiveConfig
from bot.events import Responder
from bot.i18n import I18n
from bot.model import ChannelRef, Community, Member, MessageRef, PostedMessage
from bot.outgoing import Form, OutgoingMessage, Rich, Segment
from bot.platform import Platform
from bot.templates import Value


@dataclass(frozen=True)
class Interaction:
    member: Member
    locale: str
    config: EffectiveConfig
    platform: Platform
    responder: Responder
    i18n: I18n
    private_by_default: bool = True
    channel: ChannelRef | None = None
    args: Arguments = field(default_factory=Arguments)
    message: MessageRef | None = None
    target: PostedMessage | None = None
    action_id: str = ""
    form_values: Mapping[str, str] = field(default_factory=dict)
    # The language of public posts here: the channel's (bot/languages.py), else empty for
    # the community's.
    public_locale: str = ""

    @property
    def community(self) -> Community:
        return self.member.community

    def t(self, key: str, /, **values: Value) -> Rich:
        return self.i18n.t(key, self.locale, **values)

    @property
    def community_locale(self) -> str:
        """The language of what the bot posts in public here, whoever asked: the channel's
        where it has one (``[community.languages]``), else the community's."""
        return self.public_locale or self.config.community.locale

    def t_public(self, key: str, /, **values: Value) -> Rich:
        """A catalog text for a public post (kudos, boards, trackers): every reader sees
        the channel's or community's language, not that of the member who caused it."""
        return self.i18n.t(key, self.community_locale, **values)

    async def reply(
        self,
        content: OutgoingMessage | Rich | Iterable[Segment] | str,
        *,
        private: bool | None = None,
    ) -> None:
        """Answer the member; private unless the command was declared public."""
        message = content if isinstance(content, OutgoingMessage) else OutgoingMessage.of(content)
        await self.responder.reply(
            message, private=self.private_by_default if private is None else private
        )

    async def say(self, key: str, /, *, private: bool | None = None, **values: Value) -> None:
        """Reply with a catalog text in the member's locale."""
        await self.reply(self.t(key, **values), private=private)

    async def open_form(self, form: Form) -> None:
        await self.responder.open_form(form)
