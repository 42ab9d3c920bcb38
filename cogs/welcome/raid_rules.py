"""The rules first during a raid: newcomers of the raid post only after accepting the rules.

While a raid state with `require_rules` lasts, a message from a member who joined during
it and has not accepted the rules (`[welcome.rules]`: the button on the welcome, or
``/welcome accept``) is removed, and its author is told why by direct message, once per
message. Accepting lifts it for them at once; ending or undoing the raid state lifts it for
everyone. Moderators and admins are never held.

Messages are the hot path, so whether a community has such a raid is looked up at most once
per `RECHECK` and remembered in memory; only then is the author's join read. A raid state
raised by another process is noticed within that time.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import timedelta

from bot.cog import Services
from bot.commands import Permission
from bot.delivery import Pending
from bot.effects import Delete, DirectMessage
from bot.model import PostedMessage
from bot.outgoing import OutgoingMessage
from bot.permissions import has_permission
from cogs.welcome.greeting import settings_of
from cogs.welcome.raid_view import DONE, RULES
from storage.raids import Raid, RaidRepository
from storage.welcome import WelcomeRepository

# How long a community's "is a raid holding newcomers to the rules?" answer is reused: a
# few seconds of spam at most slip through when another process raised the raid state.
RECHECK = 5.0


@dataclass(frozen=True, slots=True)
class _Known:
    until: float
    raid: Raid | None


class RaidRules:
    def __init__(
        self, services: Services, raids: RaidRepository, newcomers: WelcomeRepository
    ) -> None:
        self.services = services
        self.raids = raids
        self.newcomers = newcomers
        self._known: dict[str, _Known] = {}

    def forget(self, community: str) -> None:
        """This process changed the community's raid state: look again on the next message."""
        self._known.pop(community, None)

    async def check(self, message: PostedMessage) -> bool:
        """Remove the message if the raid holds its author to the rules; True if removed."""
        author = message.author
        if author.is_bot:
            return False
        community = author.community
        raid = await self._holding(community.key)
        if raid is None:
            return False
        newcomer = await self.newcomers.get(community.key, author.id)
        if newcomer is None or newcomer.accepted_at is not None or newcomer.joined_at is None:
            return False
        config = await self.services.config.get(community)
        joined_in_raid = raid.started_at - timedelta(
            seconds=settings_of(config).waves.window_seconds
        )
        if newcomer.joined_at < joined_in_raid:
            return False
        if has_permission(author, Permission.MODERATOR, config.community.roles):
            return False
        locale = await self.services.locale_for(author)
        text = self.services.i18n.t("welcome.raid.held", locale)
        key = f"welcome:raid:{community.key}:{raid.wave_id}:held:{message.ref.id}"
        written: list[Pending] = []
        async with self.services.db.transaction() as tx:
            written.append(
                await self.services.outbox.add(tx, Delete(message.ref), key=f"{key}:delete")
            )
            written.append(
                await self.services.outbox.add(
                    tx, DirectMessage(author.ref, OutgoingMessage(text=text)), key=f"{key}:dm"
                )
            )
        await self.services.outbox.deliver(*written)
        return True

    async def _holding(self, community: str) -> Raid | None:
        now = time.monotonic()
        known = self._known.get(community)
        if known is None or known.until <= now:
            raid = await self.raids.active(community)
            if raid is not None:
                steps = await self.raids.steps(raid.wave_id)
                holds = any(s.kind == RULES and s.status == DONE for s in steps)
                raid = raid if holds else None
            known = _Known(now + RECHECK, raid)
            self._known[community] = known
        return known.raid
