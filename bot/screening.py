"""Text a member gives the bot to post in public passes the community's rules first.

A ticket title, an update or a kudos reason is posted by the bot, in the bot's name, so the
platform and the moderation cog's message check never see it as the member's message. The
moderation cog registers a screener here at start-up; the cogs that post member text ask
`TextScreen.allowed` before they write anything. The hook lives in the core so that no cog
imports another (see ARCHITECTURE.md); without the moderation cog every text passes.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace

from bot.errors import UserError
from bot.model import ChannelRef, Member


@dataclass(frozen=True, slots=True)
class Submission:
    """One piece of member text the bot is about to post."""

    member: Member
    text: str
    # What the text is, as a key the screener words for the member and for moderators:
    # ticket_title, ticket_details, ticket_update, kudos_reason, ...
    field: str
    channel: ChannelRef | None = None  # where the member gave it, if anywhere


@dataclass(frozen=True, slots=True)
class Screened:
    """The verdict: post `text` (as given, or with parts redacted), or refuse with a reason
    worded for the member."""

    text: str
    refusal: str | None = None


Screener = Callable[[Submission, str], Awaitable[Screened]]


class TextScreen:
    """The screeners every piece of public member text goes through, in order."""

    def __init__(self) -> None:
        self._screeners: list[Screener] = []

    def register(self, screener: Screener) -> None:
        self._screeners.append(screener)

    async def screen(self, submission: Submission, locale: str) -> Screened:
        """The first refusal wins; a redaction is what the next screener sees."""
        text = submission.text
        for screener in self._screeners:
            verdict = await screener(replace(submission, text=text), locale)
            if verdict.refusal is not None:
                return verdict
            text = verdict.text
        return Screened(text)

    async def allowed(
        self,
        member: Member,
        locale: str,
        field: str,
        text: str,
        channel: ChannelRef | None = None,
    ) -> str:
        """`text` as it may be posted (maybe redacted); a refusal is raised as a
        `UserError` in the member's language, so nothing is stored or posted."""
        if not text.strip():
            return text
        verdict = await self.screen(Submission(member, text, field, channel), locale)
        if verdict.refusal is not None:
            raise UserError(verdict.refusal)
        return verdict.text
