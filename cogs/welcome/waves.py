"""Join waves (anti-raid): many joins in a short time raise ONE alert to moderators.

The joins themselves are counted from the database (each join is stored anyway), so the
window survives a restart. When `joins` newcomers arrive within `window_seconds`, a wave
opens: one alert goes to the moderators' channel; every further join edits that alert. A
durable job closes the wave `window_seconds` after the last join, marks the alert as over
and posts one shared welcome for the newcomers who are still here, so a raid never makes
the bot spam and banned raiders are never welcomed.

Every decision is read and written in one transaction together with the outbox entries
that show it, taking the community's turn first (`storage.locks`), so joins arriving
together, at one process or several, cannot both open a wave (a unique index allows one
open wave per community besides), and a crash neither
loses an alert nor posts a second one. The alert's reference is stored with its post (the
outbox's placeholder, so edits written before it is posted go to it) and replaced by the
message id by the post's continuation; an alert a moderator deleted is posted again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.codec import decode, encode
from bot.cog import Services
from bot.config import EffectiveConfig
from bot.delivery import Outcome, Pending, Then
from bot.effects import Edit, Post
from bot.errors import NotFound
from bot.model import ChannelRef, Community, Member, MessageRef, UserRef
from bot.outgoing import OutgoingMessage, Rich
from cogs.welcome.greeting import REWELCOME_AFTER, Greeter, settings_of
from cogs.welcome.notices import render_alert, render_join_log
from cogs.welcome.raid_view import raid_state, render_raid
from storage.database import Transaction
from storage.jobs import Job
from storage.raids import RaidRepository
from storage.welcome import Newcomer, WaveMember, WelcomeRepository

log = logging.getLogger(__name__)

END_KIND = "welcome.wave_end"
# Continuations: the alert's post stores its message id; a failed edit may post it again.
ALERT_POSTED = "welcome.alert_posted"
ALERT_EDITED = "welcome.alert_edited"


def end_key(community: Community, wave_id: int) -> str:
    return f"welcome:wave-end:{community.key}:{wave_id}"


def alert_key(community: Community, wave_id: int) -> str:
    return f"welcome:wave-alert:{community.key}:{wave_id}"


@dataclass(frozen=True, slots=True)
class Places:
    """The moderators' channel and join log, looked up before a transaction."""

    moderators: ChannelRef | None
    join_log: ChannelRef | None


@dataclass(frozen=True, slots=True)
class WaveJoin:
    """A join that belongs to a wave, and the alert's post or edit it wrote."""

    wave_id: int
    alert: Pending | None


class JoinWaves:
    def __init__(
        self,
        services: Services,
        newcomers: WelcomeRepository,
        greeter: Greeter,
        raids: RaidRepository,
    ):
        self.services = services
        self.newcomers = newcomers
        self.greeter = greeter
        self.raids = raids

    async def places(self, community: Community, config: EffectiveConfig) -> Places:
        platform = self.services.platform(community)
        moderators = config.community.channels.moderators
        join_log = settings_of(config).waves.join_log
        return Places(
            moderators=await platform.find_channel(community, moderators) if moderators else None,
            join_log=await platform.find_channel(community, join_log) if join_log else None,
        )

    async def close_expired(self, community: Community, config: EffectiveConfig) -> None:
        """End an open wave whose quiet period passed (its end job may not have run yet)."""
        waves = settings_of(config).waves
        if not waves.enabled:
            return
        wave = await self.newcomers.open_wave(community.key)
        window = timedelta(seconds=waves.window_seconds)
        if wave is not None and self.services.clock.now() - wave.last_join_at > window:
            await self.end(community, wave.id)

    async def on_join(
        self,
        tx: Transaction,
        community: Community,
        newcomer: Newcomer,
        config: EffectiveConfig,
        places: Places,
    ) -> WaveJoin | None:
        """Count a stored join; a `WaveJoin` when it belongs to a wave (its welcome is
        batched), after writing the alert's post or edit."""
        waves = settings_of(config).waves
        if not waves.enabled:
            return None
        window = timedelta(seconds=waves.window_seconds)
        now = self.services.clock.now()
        # Joins arriving at several processes together count one after the other, each
        # seeing the others' joins: one wave, one alert (and no threshold missed).
        await self.newcomers.take_wave_turn(tx, community.key)
        wave = await self.newcomers.open_wave(community.key, tx)
        if wave is not None and now - wave.last_join_at <= window:
            await self.newcomers.join_wave(tx, wave, newcomer, now)
            wave_id = wave.id
        else:
            recent = await self.newcomers.joined_since(community.key, now - window, tx)
            if len(recent) < waves.joins:
                return None
            wave_id = await self.newcomers.start_wave(tx, community.key, recent, now)
            log.warning("join wave in %s: %d joins within %s", community.key, len(recent), window)
        alert = await self.show_alert(tx, community, wave_id, config, places.moderators)
        return WaveJoin(wave_id, alert)

    async def schedule_end(
        self, tx: Transaction, community: Community, wave_id: int, config: EffectiveConfig
    ) -> None:
        """Arm (or move) the wave's end in the transaction of the join that extends it."""
        window = timedelta(seconds=settings_of(config).waves.window_seconds)
        await self.services.scheduler.schedule(
            community,
            END_KIND,
            self.services.clock.now() + window,
            end_key(community, wave_id),
            {"wave": wave_id},
            tx=tx,
        )

    async def on_end_job(self, job: Job) -> None:
        """The wave's quiet period passed: close it (a no-op if a join closed it first)."""
        await self.end(Community.from_key(job.community), int(job.payload["wave"]))

    async def end(self, community: Community, wave_id: int) -> None:
        """Close a wave once: mark its alert as over and welcome who is still here, all
        written in the transaction that closes it (a re-run finds it closed)."""
        wave = await self.newcomers.wave(wave_id)
        if wave is None or wave.ended_at is not None:
            return
        config = await self.services.config.get(community)
        places = await self.places(community, config)
        welcoming = settings_of(config).enabled
        survivors = await self._survivors(community, wave_id) if welcoming else []
        batch = await self.greeter.prepare_batch(community, config) if welcoming else None
        now = self.services.clock.now()
        async with self.services.db.transaction() as tx:
            if not await self.newcomers.end_wave(tx, wave_id, now):
                return
            written = [await self.show_alert(tx, community, wave_id, config, places.moderators)]
            if batch is not None:
                claimed = await self.newcomers.claim_welcome(
                    tx, community.key, [m.id for m in survivors], now, now - REWELCOME_AFTER
                )
                welcomed = [m for m in survivors if m.id in claimed]
                written.append(await self.greeter.welcome_batch(tx, welcomed, batch, wave_id))
            await self.services.scheduler.cancel(end_key(community, wave_id), tx=tx)
        await self.services.outbox.deliver(*[p for p in written if p is not None])

    async def show_alert(
        self,
        tx: Transaction,
        community: Community,
        wave_id: int,
        config: EffectiveConfig,
        moderators: ChannelRef | None,
        revision: str = "",
    ) -> Pending | None:
        """Write the edit of the wave's alert, or its post if there is none yet. Keys come
        from the wave's state, so writing the same state again adds nothing; a state seen
        before that must be shown again (a raid's take-back tried again) names a new
        `revision`."""
        wave = await self.newcomers.wave(wave_id, tx)
        if wave is None:
            return None
        members = await self.newcomers.wave_members(wave_id, tx)
        measures, raid = await self._measures(tx, community, wave_id, config)
        message = render_alert(
            wave,
            members,
            young=timedelta(days=settings_of(config).waves.young_account_days),
            i18n=self.services.i18n,
            locale=self._locale(config),
            measures=measures,
        )
        state = f"{len(members)}:{'over' if wave.ended_at else 'open'}{raid}{revision}"
        key = alert_key(community, wave_id)
        if wave.alert_channel_id and wave.alert_message_id:
            alert = MessageRef(ChannelRef(community, wave.alert_channel_id), wave.alert_message_id)
            then = {
                "wave": wave_id,
                "alert": encode(alert),
                "message": encode(message),
                "key": f"{key}:repost:{state}",
            }
            return await self.services.outbox.add(
                tx,
                Edit(alert, message),
                key=f"{key}:edit:{alert.id}:{state}",
                then=Then(ALERT_EDITED, then),
            )
        if moderators is None:
            log.warning(
                "no moderators' channel %r in %s for a join wave",
                config.community.channels.moderators,
                community.key,
            )
            return None
        return await self._post_alert(tx, wave_id, moderators, message, f"{key}:post:{state}")

    async def after_alert_posted(
        self, tx: Transaction, outcome: Outcome, data: dict[str, Any]
    ) -> None:
        """Store the posted alert's message id; forget an alert that could not be posted,
        so the next join of the wave tries again."""
        wave_id = int(data["wave"])
        if outcome.delivered:
            posted: MessageRef = outcome.result
            await self.newcomers.set_alert(tx, wave_id, posted.channel.id, posted.id)
            return
        if outcome.error is not None:
            log.warning("could not post the alert of wave %d: %s", wave_id, outcome.error)
            await self.newcomers.set_alert(tx, wave_id, None, None)

    async def after_alert_edited(
        self, tx: Transaction, outcome: Outcome, data: dict[str, Any]
    ) -> None:
        """An alert a moderator deleted is posted again; one the bot may no longer edit is
        left as it is (it must not stop the wave's welcomes, which are entries of their own)."""
        if outcome.error is None:
            return
        wave_id = int(data["wave"])
        alert: MessageRef = decode(data["alert"])
        if not isinstance(outcome.error, NotFound):
            log.warning("could not update the alert of wave %d: %s", wave_id, outcome.error)
            return
        wave = await self.newcomers.wave(wave_id, tx)
        if wave is None or wave.alert_message_id != alert.id:
            return  # already posted again
        log.warning("the alert of wave %d was deleted; posting it again", wave_id)
        await self._post_alert(tx, wave_id, alert.channel, decode(data["message"]), data["key"])

    async def log_join(
        self,
        tx: Transaction,
        newcomer: Newcomer,
        config: EffectiveConfig,
        places: Places,
        at: datetime,
    ) -> Pending | None:
        """Write one line for the moderators' join log, if the community keeps one."""
        waves = settings_of(config).waves
        if not waves.join_log:
            return None
        if places.join_log is None:
            log.warning("join log channel %r of %s is missing", waves.join_log, newcomer.community)
            return None
        entry = WaveMember(newcomer.member_id, newcomer.name, newcomer.account_created_at, at)
        message = render_join_log(
            entry,
            young=timedelta(days=waves.young_account_days),
            i18n=self.services.i18n,
            locale=self._locale(config),
        )
        return await self.services.outbox.add(
            tx,
            Post(places.join_log, message, allow_pings=False),
            key=f"welcome:join-log:{newcomer.community}:{newcomer.member_id}:{at}",
        )

    async def _post_alert(
        self,
        tx: Transaction,
        wave_id: int,
        channel: ChannelRef,
        message: OutgoingMessage,
        key: str,
    ) -> Pending:
        """Write the alert's post and remember it (by placeholder until it is posted)."""
        pending = await self.services.outbox.add(
            tx,
            Post(channel, message, allow_pings=False),
            key=key,
            then=Then(ALERT_POSTED, {"wave": wave_id}),
        )
        await self.newcomers.set_alert(tx, wave_id, channel.id, pending.message.id)
        return pending

    async def _survivors(self, community: Community, wave_id: int) -> list[Member]:
        """The wave's newcomers still here (banned raiders are not)."""
        platform = self.services.platform(community)
        members = []
        for entry in await self.newcomers.wave_members(wave_id):
            member = await platform.fetch_member(UserRef(community, entry.member_id))
            if member is not None and not member.is_bot:
                members.append(member)
        return members

    async def _measures(
        self, tx: Transaction, community: Community, wave_id: int, config: EffectiveConfig
    ) -> tuple[list[Rich] | None, str]:
        """The raid section of the wave's alert (None without a raid) and its digest."""
        raid = await self.raids.get(wave_id, tx)
        if raid is None:
            return None, ""
        steps = await self.raids.steps(wave_id, tx)
        lines = render_raid(
            raid,
            steps,
            platform=community.platform,
            quiet_minutes=settings_of(config).raids.quiet_minutes,
            i18n=self.services.i18n,
            locale=self._locale(config),
        )
        return lines, f":raid-{raid_state(raid, steps)}"

    def _locale(self, config: EffectiveConfig) -> str:
        return self.services.i18n.pick_locale(None, config.community.locale)
