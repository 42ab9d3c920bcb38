"""Join waves (anti-raid): many joins in a short time raise ONE alert to moderators.

The joins themselves are counted from the database (each join is stored anyway), so the
window survives a restart. When `joins` newcomers arrive within `window_seconds`, a wave
opens: one alert goes to the moderators' channel and its reference is stored; every
further join edits that alert. A durable job closes the wave `window_seconds` after the
last join, marks the alert as over and posts one shared welcome for the newcomers who are
still here, so a raid never makes the bot spam and banned raiders are never welcomed.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from datetime import datetime, timedelta

from bot.cog import Services
from bot.config import EffectiveConfig
from bot.errors import NotFound, PlatformError
from bot.model import ChannelRef, Community, MessageRef, UserRef
from cogs.welcome.greeting import Greeter, recently_welcomed, settings_of
from cogs.welcome.notices import render_alert, render_join_log
from storage.jobs import Job
from storage.welcome import Newcomer, WaveMember, WelcomeRepository

log = logging.getLogger(__name__)

END_KIND = "welcome.wave_end"


def end_key(community: Community, wave_id: int) -> str:
    return f"welcome:wave-end:{community.key}:{wave_id}"


class JoinWaves:
    def __init__(self, services: Services, newcomers: WelcomeRepository, greeter: Greeter):
        self.services = services
        self.newcomers = newcomers
        self.greeter = greeter
        # Joins of one community are judged one at a time, so two joins arriving together
        # cannot both open a wave (and post two alerts).
        self._locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)

    async def on_join(
        self, community: Community, newcomer: Newcomer, config: EffectiveConfig
    ) -> bool:
        """Count a stored join; True when it belongs to a wave (its welcome is batched)."""
        waves = settings_of(config).waves
        if not waves.enabled:
            return False
        window = timedelta(seconds=waves.window_seconds)
        async with self._locks[community.key]:
            now = self.services.clock.now()
            wave = await self.newcomers.open_wave(community.key)
            if wave is not None and now - wave.last_join_at > window:
                await self._end(community, wave.id)
                wave = None
            if wave is not None:
                await self.newcomers.join_wave(wave, newcomer, now)
            else:
                recent = await self.newcomers.joined_since(community.key, now - window)
                if len(recent) < waves.joins:
                    return False
                wave = await self.newcomers.start_wave(community.key, recent, now)
                log.warning(
                    "join wave in %s: %d joins within %s", community.key, len(recent), window
                )
            await self.services.scheduler.schedule(
                community, END_KIND, now + window, end_key(community, wave.id), {"wave": wave.id}
            )
            await self.show_alert(community, wave.id, config)
        return True

    async def on_end_job(self, job: Job) -> None:
        """The wave's quiet period passed: close it (a no-op if a join closed it first)."""
        community = Community.from_key(job.community)
        async with self._locks[community.key]:
            await self._end(community, int(job.payload["wave"]))

    async def _end(self, community: Community, wave_id: int) -> None:
        """Close a wave once: mark its alert as over and welcome who is still here."""
        if not await self.newcomers.end_wave(wave_id, self.services.clock.now()):
            return
        await self.services.scheduler.cancel(end_key(community, wave_id))
        config = await self.services.config.get(community)
        await self.show_alert(community, wave_id, config)
        if settings_of(config).enabled:
            await self._welcome_survivors(community, wave_id, config)

    async def show_alert(self, community: Community, wave_id: int, config: EffectiveConfig) -> None:
        """Edit the wave's alert, or post it (and remember it) if there is none yet."""
        wave = await self.newcomers.wave(wave_id)
        if wave is None:
            return
        message = render_alert(
            wave,
            await self.newcomers.wave_members(wave_id),
            young=timedelta(days=settings_of(config).waves.young_account_days),
            i18n=self.services.i18n,
            locale=self._locale(config),
        )
        platform = self.services.platform(community)
        if wave.alert_channel_id and wave.alert_message_id:
            alert = MessageRef(ChannelRef(community, wave.alert_channel_id), wave.alert_message_id)
            try:
                await platform.edit(alert, message)
                return
            except NotFound:
                log.warning("the alert of wave %d was deleted; posting it again", wave_id)
            except PlatformError:
                # An alert that cannot be updated must not stop the wave's welcomes.
                log.warning("could not update the alert of wave %d", wave_id, exc_info=True)
                return
        moderators = config.community.channels.moderators
        channel = await platform.find_channel(community, moderators) if moderators else None
        if channel is None:
            log.warning(
                "no moderators' channel %r in %s for a join wave", moderators, community.key
            )
            return
        try:
            posted = await platform.send(channel, message, allow_pings=False)
        except PlatformError:
            log.warning("could not post the join-wave alert in %s", channel, exc_info=True)
            return
        await self.newcomers.set_alert(wave_id, posted.channel.id, posted.id)

    async def log_join(self, newcomer: Newcomer, config: EffectiveConfig, at: datetime) -> None:
        """Post one line to the moderators' join log, if the community keeps one."""
        waves = settings_of(config).waves
        if not waves.join_log:
            return
        community = Community.from_key(newcomer.community)
        platform = self.services.platform(community)
        channel = await platform.find_channel(community, waves.join_log)
        if channel is None:
            log.warning("join log channel %r of %s is missing", waves.join_log, community.key)
            return
        entry = WaveMember(newcomer.member_id, newcomer.name, newcomer.account_created_at, at)
        message = render_join_log(
            entry,
            young=timedelta(days=waves.young_account_days),
            i18n=self.services.i18n,
            locale=self._locale(config),
        )
        try:
            await platform.send(channel, message, allow_pings=False)
        except PlatformError:
            log.warning("could not write to the join log %s", channel, exc_info=True)

    async def _welcome_survivors(
        self, community: Community, wave_id: int, config: EffectiveConfig
    ) -> None:
        """One shared welcome for the wave's newcomers not yet welcomed and still here."""
        now = self.services.clock.now()
        platform = self.services.platform(community)
        members = []
        for entry in await self.newcomers.wave_members(wave_id):
            if recently_welcomed(await self.newcomers.get(community.key, entry.member_id), now):
                continue
            member = await platform.fetch_member(UserRef(community, entry.member_id))
            if member is not None and not member.is_bot:
                members.append(member)
        if not members:
            return
        await self.newcomers.mark_welcomed(community.key, [m.id for m in members], now)
        await self.greeter.welcome_batch(members, config, wave_id)

    def _locale(self, config: EffectiveConfig) -> str:
        return self.services.i18n.pick_locale(None, config.community.locale)
