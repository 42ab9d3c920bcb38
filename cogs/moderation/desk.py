"""The moderators' desk: posts each stored flag and keeps its message current.

A flag is stored first and posted after; every later change (another rule, a report, the
next message of a burst, a vote, the outcome) re-renders the whole message from storage.
Refreshes of one flag never overlap: a change that arrives while the flag is being posted
or edited marks it stale, and the running refresh renders once more, so a burst of twenty
messages costs a handful of edits rather than twenty, and never a second flag message.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from bot.cog import Services
from bot.config import EffectiveConfig
from bot.errors import PlatformError
from bot.model import ChannelRef, Community, MessageRef, UserRef
from bot.platform import Capability, Platform
from cogs.moderation.actions import LADDER, offered
from cogs.moderation.config import ModerationConfig
from cogs.moderation.view import FlagView, render_flag
from storage.moderation import Flag, FlagDetails, FlagStatus, ModerationRepository
from storage.timestamps import to_db

log = logging.getLogger(__name__)

# The job that posts or refreshes a flag again after a failure or a crash.
REFRESH_JOB = "moderation.refresh"
# A platform hiccup (rate limit, outage) usually passes within a minute; the scheduler
# doubles the wait on each further failure.
RETRY_AFTER = timedelta(minutes=1)


class FlagDesk:
    def __init__(self, services: Services, repo: ModerationRepository) -> None:
        self._services = services
        self._repo = repo
        self._stale: dict[tuple[str, int], bool] = {}

    async def refresh(self, community: Community, flag_id: int) -> None:
        """Post the flag if it has no message yet, else edit its message to match storage.

        If the platform fails, a durable job tries again (with the scheduler's back-off),
        so a flag is never left unposted or out of date until the next restart.
        """
        try:
            await self.refresh_now(community, flag_id)
        except PlatformError as error:
            log.warning(
                "flag %s in %s not refreshed, will retry: %s", flag_id, community.key, error
            )
            now = self._services.clock.now()
            await self._services.scheduler.schedule(
                community,
                REFRESH_JOB,
                now + RETRY_AFTER,
                f"{REFRESH_JOB}:{community.key}:{flag_id}:{to_db(now)}",
                {"flag": flag_id},
            )

    async def refresh_now(self, community: Community, flag_id: int) -> None:
        """Like `refresh`, but a platform failure is raised (for the retry job)."""
        key = (community.key, flag_id)
        if key in self._stale:
            self._stale[key] = True
            return
        self._stale[key] = False
        try:
            while True:
                await self._publish(community, flag_id)
                if not self._stale[key]:
                    return
                self._stale[key] = False
        finally:
            del self._stale[key]

    async def flag_channel(
        self, community: Community, config: EffectiveConfig
    ) -> ChannelRef | None:
        section = config.section("moderation", ModerationConfig)
        wanted = section.flag_channel or config.community.channels.moderators
        if not wanted:
            return None
        return await self._services.platform(community).find_channel(community, wanted)

    async def view(self, community: Community, details: FlagDetails) -> FlagView:
        config = await self._services.config.get(community)
        section = config.section("moderation", ModerationConfig)
        platform = self._services.platform(community)
        since = self._services.clock.now() - section.history_window
        counts = await self._repo.infraction_counts(community.key, details.flag.author_id, since)
        return FlagView(
            details=details,
            infraction_counts=counts,
            config=section,
            platform=platform,
            names=await self.names(community, _moderators(details)),
            i18n=self._services.i18n,
            locale=self._services.i18n.pick_locale(None, config.community.locale),
        )

    async def names(self, community: Community, ids: set[str]) -> dict[str, str]:
        """Display names for member ids; someone who left keeps their id."""
        platform = self._services.platform(community)
        config = await self._services.config.get(community)
        locale = self._services.i18n.pick_locale(None, config.community.locale)
        found = {LADDER: self._services.i18n.text("flag.ladder", locale)}
        for member_id in ids - {LADDER}:
            member = await platform.fetch_member(UserRef(community, member_id))
            found[member_id] = member.shown_name if member else member_id
        return found

    async def _publish(self, community: Community, flag_id: int) -> None:
        details = await self._repo.details(community.key, flag_id)
        if details is None:
            return
        platform = self._services.platform(community)
        message = render_flag(await self.view(community, details))
        flag = details.flag
        if flag.post_channel_id is not None and flag.post_message_id is not None:
            await platform.edit(post_ref(community, flag), message)
            return
        config = await self._services.config.get(community)
        channel = await self.flag_channel(community, config)
        if channel is None:
            log.error(
                "flag %s in %s is stored but cannot be posted: no moderators' channel "
                "(set [community.channels] moderators or [moderation] flag_channel)",
                flag.id,
                community.key,
            )
            return
        ref = await platform.send(channel, message, allow_pings=False)
        await self._repo.set_post(community.key, flag.id, ref.channel.id, ref.id)
        if flag.status is FlagStatus.OPEN:
            await self._add_reactions(platform, ref, config, bool(details.messages))

    async def _add_reactions(
        self, platform: Platform, ref: MessageRef, config: EffectiveConfig, messages: bool
    ) -> None:
        """Pre-add one reaction per action the platform can perform, mildest first."""
        if Capability.REACT not in platform.capabilities:
            return
        reactions = config.section("moderation", ModerationConfig).reactions
        for action in offered(platform, messages=messages):
            await platform.add_reaction(ref, reactions.emoji(action))


def post_ref(community: Community, flag: Flag) -> MessageRef:
    """The flag's own message in the moderators' channel."""
    assert flag.post_channel_id is not None and flag.post_message_id is not None
    return MessageRef(ChannelRef(community, flag.post_channel_id), flag.post_message_id)


def _moderators(details: FlagDetails) -> set[str]:
    ids = {vote.moderator_id for vote in details.votes}
    if details.flag.acted_by:
        ids.add(details.flag.acted_by)
    return ids
