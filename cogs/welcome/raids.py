"""Raid measures: what the bot does by itself when a join wave fires, and takes back.

When a wave fires and `[welcome.raids]` turns a measure on, the wave raises a raid state
(one per community; a later wave while it lasts joins it). Its measures: slow mode in the
configured channels, a time-out for the wave's accounts younger than N hours, and paused
invites. Each is a step row written before its outbox entry, in one transaction, with the
value it replaces, so:

- a crash between steps neither loses nor repeats one: steps are keyed by what they act
  on, outbox entries by the step, and the job `welcome.raid_act` (armed with the raid)
  redoes only what is not written yet; `previous` is the value read before the first
  attempt and never overwritten;
- the alert shows what the platform answered (done, waiting, refused with the reason, not
  available on this platform), updated by each step's continuation, never claimed ahead;
- every outcome is in the audit log (`welcome.raid.*`), with who undid or ended it.

Ending (⏹️ by a moderator, or `quiet_minutes` without a join) takes back the temporary
measures: slow mode returns to its previous value, invites are resumed if the raid paused
them. Time-outs stay: each is a judgement about one account and ends by itself. Undoing
(↩️ by a moderator, during the raid state or after it ended) takes back everything,
time-outs included, but only the time-outs the raid placed: one a moderator changed since
is theirs and stays ("kept"). Only moderators' reactions count; others are taken off.

The value to restore is the one from before any raid touched it: a raid whose earlier
raid's measure may still be in place (its take-back waiting out an outage, or refused)
takes that raid's `previous`, not what the platform shows. A take-back the platform
refused is tried again when a moderator uses the control again (say after granting the
bot the permission it lacked), never by itself.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bot.cog import Services
from bot.commands import Permission
from bot.config import EffectiveConfig
from bot.delivery import Outcome, Pending, Then
from bot.effects import Effect, LiftTimeout, PauseInvites, ReactAll, SetSlowMode, Timeout, Unreact
from bot.errors import NotFound, PlatformError, PlatformUnavailable, Unsupported
from bot.events import ReactionAdded
from bot.model import ChannelRef, Community, MessageRef, UserRef
from bot.permissions import has_permission
from bot.platform import Capability, Platform
from cogs.welcome.config import RaidsConfig
from cogs.welcome.greeting import settings_of
from cogs.welcome.raid_rules import RaidRules
from cogs.welcome.raid_view import (
    BOT,
    CHANNEL_GONE,
    DONE,
    END_EMOJI,
    EXPIRED,
    GONE,
    HANDED_OVER,
    INVITES,
    KEPT,
    MISSING,
    NEEDS_RULES,
    PENDING,
    REFUSED,
    RULES,
    SLOW_MODE,
    TIMEOUT,
    UNAVAILABLE,
    UNDO_EMOJI,
    UNDO_REFUSED,
    UNDOING,
    UNDONE,
)
from cogs.welcome.waves import JoinWaves
from storage.database import Transaction
from storage.jobs import Job
from storage.raids import ACTIVE, ENDED, NewStep, Raid, RaidRepository, Step
from storage.raids import UNDONE as RAID_UNDONE
from storage.welcome import WaveMember, WelcomeRepository

log = logging.getLogger(__name__)

ACT_KIND = "welcome.raid_act"
END_KIND = "welcome.raid_end"
STEP_DONE = "welcome.raid_step"
# What the platform's own audit log shows as the reason.
REASON = "Botschafter: join wave (raid measures)"
# Raid alerts read after a reconnect: raids are rare, and one older than the newest few has
# long been ended or undone.
CATCH_UP = 5
VARIATION_SELECTOR = "\ufe0f"
# Steps an undo or an end takes back: the measure is in place or on its way.
IN_EFFECT = (PENDING, DONE)
# Steps whose measure may still be on the platform: a later raid restores what was there
# before them, and a take-back of them waits for the newest raid holding the same thing.
HOLDING = (*IN_EFFECT, UNDOING, UNDO_REFUSED)


@dataclass(frozen=True, slots=True)
class RaidJoin:
    """What a join wrote for the raid: entries to deliver, and a raid whose measures that
    need a look at the platform first are still to be taken (`act`)."""

    written: list[Pending] = field(default_factory=list)
    act: int | None = None


def act_key(community: Community, wave_id: int) -> str:
    return f"welcome:raid-act:{community.key}:{wave_id}"


def end_key(community: Community, wave_id: int) -> str:
    return f"welcome:raid-end:{community.key}:{wave_id}"


class RaidGuard:
    def __init__(
        self,
        services: Services,
        raids: RaidRepository,
        newcomers: WelcomeRepository,
        waves: JoinWaves,
    ) -> None:
        self.services = services
        self.raids = raids
        self.newcomers = newcomers
        self.waves = waves
        self.rules = RaidRules(services, raids, newcomers)

    # -- raising the raid state ----------------------------------------------------------

    async def on_join(
        self,
        tx: Transaction,
        community: Community,
        member: WaveMember,
        config: EffectiveConfig,
        wave_id: int | None,
    ) -> RaidJoin:
        """In the join's transaction: a wave that just fired raises the raid state (and
        times out its young accounts); a join while it lasts is treated the same way and
        starts the quiet period again."""
        settings = settings_of(config).raids
        if not settings.acts:
            return RaidJoin()
        await self.raids.take_turn(tx, community.key)
        now = self.services.clock.now()
        raid = await self.raids.active(community.key, tx)
        started = None
        if raid is not None:
            await self.raids.joined(tx, raid.wave_id, now)
            raid_wave, members = raid.wave_id, [member]
        elif wave_id is not None and await self.raids.get(wave_id, tx) is None:
            await self.raids.start(tx, community.key, wave_id, now)
            raid_wave = started = wave_id
            members = await self.newcomers.wave_members(wave_id, tx)
            log.warning("raid measures in %s for join wave %d", community.key, wave_id)
        else:
            return RaidJoin()
        written = await self._timeouts(tx, community, raid_wave, members, settings, now)
        if started is not None:
            await self._rules_step(tx, community, started, config)
            written += await self._controls(tx, community, started)
            await self.services.scheduler.schedule(
                community, ACT_KIND, now, act_key(community, started), {"wave": started}, tx=tx
            )
        await self.services.scheduler.schedule(
            community,
            END_KIND,
            now + timedelta(minutes=settings.quiet_minutes),
            end_key(community, raid_wave),
            {"wave": raid_wave},
            tx=tx,
        )
        written += await self._refresh(tx, community, raid_wave, config)
        return RaidJoin(written, started)

    async def act(self, community: Community, wave_id: int) -> None:
        """Take the measures that need the platform's current value first (slow mode,
        invites); what is written already is neither read nor taken again. A transaction
        that lost a race with another process runs again and finds that one's steps."""
        await self.services.db.retrying(lambda: self._act(community, wave_id))

    async def _act(self, community: Community, wave_id: int) -> None:
        raid = await self.raids.get(wave_id)
        if raid is None or raid.state != ACTIVE:
            return
        config = await self.services.config.get(community)
        written_before = {(s.kind, s.channel_id) for s in await self.raids.steps(wave_id)}
        steps = await self._platform_steps(community, settings_of(config).raids, written_before)
        written: list[Pending] = []
        async with self.services.db.transaction() as tx:
            await self.raids.take_turn(tx, community.key)
            current = await self.raids.get(wave_id, tx)
            if current is None or current.state != ACTIVE:
                return
            added = await self.raids.add_steps(tx, community.key, wave_id, steps)
            for step in added:
                written += await self._apply(tx, community, wave_id, step)
            written += await self._refresh(tx, community, wave_id, config)
        await self.services.outbox.deliver(*written)

    async def on_act_job(self, job: Job) -> None:
        await self.act(Community.from_key(job.community), int(job.payload["wave"]))

    # -- ending and undoing ----------------------------------------------------------------

    async def on_reaction(self, event: ReactionAdded, *, retry: bool = True) -> None:
        """↩️ or ⏹️ on a raid's alert: a moderator undoes or ends it (`retry`: and takes
        back again what the platform refused before); anyone else's reaction changes
        nothing and is taken off where the platform allows."""
        control = _control(event.emoji)
        if event.member.is_bot or control is None:
            return
        community = event.community
        message = event.message
        raid = await self.raids.by_alert(community.key, message.channel.id, message.id)
        if raid is None:
            return
        config = await self.services.config.get(community)
        if not has_permission(event.member, Permission.MODERATOR, config.community.roles):
            log.info("ignored %s on the raid alert from a non-moderator", event.emoji)
            if Capability.REMOVE_REACTIONS in self.services.platform(community).capabilities:
                async with self.services.db.transaction() as tx:
                    pending = await self.services.outbox.add(
                        tx, Unreact(message, event.emoji, event.member.ref)
                    )
                await self.services.outbox.deliver(pending)
            return
        state = RAID_UNDONE if control == UNDO_EMOJI else ENDED
        await self.finish(community, raid.wave_id, state, event.member.id, retry=retry)

    async def catch_up(self, community: Community) -> None:
        """After a reconnect, act on the controls moderators used while the bot was away.

        No ledger is needed: a raid only moves forward (active, ended, undone), so a
        reaction handled before finds nothing left to do when it is read again. Reactions
        read again retry no refused take-back: that would happen on every reconnect."""
        platform = self.services.platform(community)
        for channel_id, message_id in await self.raids.watched_alerts(community.key, CATCH_UP):
            alert = MessageRef(ChannelRef(community, channel_id), message_id)
            try:
                reactions = await platform.reactions(alert)
            except PlatformUnavailable:
                return  # the next reconnect tries again
            except PlatformError as error:
                log.info("no catching up on the raid alert %s: %s", alert, error)
                continue
            # Undo last: a moderator who used both meant everything undone.
            for reaction in sorted(reactions, key=lambda r: _control(r.emoji) == UNDO_EMOJI):
                if _control(reaction.emoji) is None:
                    continue
                for user in reaction.users:
                    member = await platform.fetch_member(user)
                    if member is not None:
                        event = ReactionAdded(alert, member, reaction.emoji)
                        await self.on_reaction(event, retry=False)

    async def on_end_job(self, job: Job) -> None:
        """The quiet period passed: end the raid state (a no-op once ended or undone)."""
        community = Community.from_key(job.community)
        raid = await self.raids.get(int(job.payload["wave"]))
        if raid is None or raid.state != ACTIVE:
            return
        config = await self.services.config.get(community)
        quiet = timedelta(minutes=settings_of(config).raids.quiet_minutes)
        if self.services.clock.now() - raid.last_join_at < quiet:
            await self._end_later(community, raid, quiet)
            return
        await self.finish(community, raid.wave_id, ENDED, BOT)

    async def _end_later(
        self, community: Community, raid: Raid, quiet: timedelta, tx: Transaction | None = None
    ) -> None:
        """A join came: it moved the end job, unless that job was already running, which a
        join cannot move. An end of its own (keyed by that join) comes later."""
        await self.services.scheduler.schedule(
            community,
            END_KIND,
            raid.last_join_at + quiet,
            f"{end_key(community, raid.wave_id)}:{raid.last_join_at.isoformat()}",
            {"wave": raid.wave_id},
            tx=tx,
        )

    async def finish(
        self, community: Community, wave_id: int, state: str, by: str, *, retry: bool = False
    ) -> None:
        """End (temporary measures back) or undo (everything back), once: the state change,
        the take-backs and the alert's edit are written together (again, after a race lost
        to another process, which then finds the raid finished). With `retry` (a
        moderator's control), take-backs the platform refused are written again, also on
        a raid ended or undone before."""
        await self.services.db.retrying(lambda: self._finish(community, wave_id, state, by, retry))

    async def _finish(
        self, community: Community, wave_id: int, state: str, by: str, retry: bool
    ) -> None:
        config = await self.services.config.get(community)
        now = self.services.clock.now()
        written: list[Pending] = []
        async with self.services.db.transaction() as tx:
            await self.raids.take_turn(tx, community.key)
            if by == BOT and state == ENDED:
                # The quiet period is decided again in the community's turn: a join another
                # process committed since the end job looked keeps the raid state.
                raid = await self.raids.get(wave_id, tx)
                quiet = timedelta(minutes=settings_of(config).raids.quiet_minutes)
                if raid is not None and now - raid.last_join_at < quiet:
                    await self._end_later(community, raid, quiet, tx)
                    return
            moved = await self.raids.finish(tx, wave_id, state, by, now)
            if not moved and not retry:
                return
            temporary = (SLOW_MODE, INVITES, RULES)
            kinds = temporary if state == ENDED else (*temporary, TIMEOUT)
            wanted = (*IN_EFFECT, UNDO_REFUSED) if moved else (UNDO_REFUSED,)
            steps = [
                s
                for s in await self.raids.steps(wave_id, tx)
                if s.kind in kinds and s.status in wanted
            ]
            if not moved and not steps:
                return
            due = []
            for step in steps:
                if await self._held_later(tx, community, step):
                    await self._hand_over(tx, community, step, by)
                else:
                    due.append(step)
            # Take-backs tried again after a refusal are new entries (the refused ones keep
            # their keys), and the alert shows again states it showed before: both are
            # named by this attempt. The steps' statuses, changed in this transaction under
            # the community's turn, keep the attempt from being written twice.
            again = "" if all(s.status != UNDO_REFUSED for s in due) else secrets.token_hex(4)
            for step in due:
                written += await self._take_back(tx, community, step, by, again)
            if moved:
                action = "welcome.raid_ended" if state == ENDED else "welcome.raid_undone"
                await self.services.audit.record(
                    community.key, by, action, now, f"raid:{wave_id}", tx=tx
                )
            if state == RAID_UNDONE:
                await self.services.scheduler.cancel(end_key(community, wave_id), tx=tx)
            written += await self._refresh(tx, community, wave_id, config, again)
        self.rules.forget(community.key)
        await self.services.outbox.deliver(*written)

    # -- what the platform answered ---------------------------------------------------------

    async def after_step(self, tx: Transaction, outcome: Outcome, data: dict[str, Any]) -> None:
        """Record a measure's outcome (or its take-back's), audit it, show it on the alert."""
        wave_id, kind = int(data["wave"]), data["kind"]
        channel_id, member_id = data["channel"], data["member"]
        undoing = data["phase"] == "undo"
        step = next(
            (
                s
                for s in await self.raids.steps(wave_id, tx)
                if (s.kind, s.channel_id, s.member_id) == (kind, channel_id, member_id)
            ),
            None,
        )
        if step is None:
            return
        status, error = _status_after(outcome, undoing, kind)
        # An apply answered after its take-back was written keeps the take-back's status.
        if undoing or step.status == PENDING:
            await self.raids.set_status(tx, wave_id, kind, channel_id, member_id, status, error)
        community = Community.from_key(data["community"])
        await self._audit(tx, community, step, status, error, data.get("by") or BOT)
        config = await self.services.config.get(community)
        await self._refresh(tx, community, wave_id, config, data.get("again", ""))

    # -- helpers ---------------------------------------------------------------------------

    async def _platform_steps(
        self, community: Community, settings: RaidsConfig, written: set[tuple[str, str]]
    ) -> list[NewStep]:
        """Slow mode and invites steps with the values they replace, read now (reads, no
        side effects: the writes follow in one transaction)."""
        platform = self.services.platform(community)
        steps: list[NewStep] = []
        if settings.slow_mode_channels:
            steps += await self._slow_mode_steps(platform, community, settings, written)
        if settings.pause_invites and (INVITES, "") not in written:
            if Capability.PAUSE_INVITES not in platform.capabilities:
                steps.append(NewStep(INVITES, UNAVAILABLE))
            else:

                async def read() -> str:
                    return "paused" if await platform.invites_paused(community) else "open"

                previous = await self._before_raids(community, INVITES, "", read)
                steps.append(NewStep(INVITES, PENDING, previous=previous))
        return steps

    async def _slow_mode_steps(
        self,
        platform: Platform,
        community: Community,
        settings: RaidsConfig,
        written: set[tuple[str, str]],
    ) -> list[NewStep]:
        seconds = settings.slow_mode_seconds
        if Capability.SLOW_MODE not in platform.capabilities:
            names = ", ".join(settings.slow_mode_channels)
            return [NewStep(SLOW_MODE, UNAVAILABLE, name=names, setting=str(seconds))]
        steps = []
        for wanted in settings.slow_mode_channels:
            channel = await platform.find_channel(community, wanted)
            if channel is None:
                name = wanted.removeprefix("#")
                steps.append(NewStep(SLOW_MODE, MISSING, channel_id=f"#{name}", name=name))
                continue
            if (SLOW_MODE, channel.id) in written:
                continue

            async def read(channel: ChannelRef = channel) -> str:
                return str(await platform.slow_mode(channel))

            previous = int(await self._before_raids(community, SLOW_MODE, channel.id, read))
            steps.append(
                NewStep(
                    SLOW_MODE,
                    PENDING,
                    channel_id=channel.id,
                    name=channel.name or wanted,
                    # A channel slower already stays as slow: a raid never loosens it.
                    setting=str(max(seconds, previous)),
                    previous=str(previous),
                )
            )
        return [s for s in steps if (s.kind, s.channel_id) not in written]

    async def _before_raids(
        self, community: Community, kind: str, channel_id: str, read: Callable[[], Awaitable[str]]
    ) -> str:
        """The value a new step replaces: what the platform shows (`read`), unless an
        earlier raid's measure on the same thing may still be in place (its take-back
        waits for the platform or was refused, or the platform still shows its value):
        then that raid's own `previous`, the value from before any raid touched it. The
        earlier raid is looked at before the platform is read, so a take-back answered in
        between is seen in what is read."""
        earlier = await self.raids.holding(community.key, kind, channel_id, HOLDING)
        current = await read()
        if earlier is None:
            return current
        if earlier.status in (PENDING, UNDOING) or current == _measure(earlier):
            return earlier.previous
        return current  # changed by someone since: that is the channel's setting now

    async def _held_later(self, tx: Transaction, community: Community, step: Step) -> bool:
        """Whether a later raid's measure holds what `step` acted on: that raid restores
        the value from before both, so taking this one back now would undo its measure."""
        if step.kind not in (SLOW_MODE, INVITES):
            return False
        newest = await self.raids.holding(community.key, step.kind, step.channel_id, HOLDING, tx)
        return newest is not None and newest.wave_id > step.wave_id

    async def _hand_over(self, tx: Transaction, community: Community, step: Step, by: str) -> None:
        """A take-back left to the later raid that holds the same thing (`_held_later`):
        recorded and shown as such, so the alert neither claims it nor offers a retry."""
        await self.raids.set_status(
            tx, step.wave_id, step.kind, step.channel_id, step.member_id, HANDED_OVER
        )
        await self._audit(tx, community, step, HANDED_OVER, "", by)

    async def _timeouts(
        self,
        tx: Transaction,
        community: Community,
        wave_id: int,
        members: list[WaveMember],
        settings: RaidsConfig,
        now: datetime,
    ) -> list[Pending]:
        """Time-out steps for the young accounts among `members` (an unknown age, as on
        Slack, is not taken as young: nobody is timed out on a guess)."""
        hours = settings.timeout_younger_than_hours
        if not hours:
            return []
        if Capability.TIMEOUT not in self.services.platform(community).capabilities:
            step = NewStep(TIMEOUT, UNAVAILABLE, setting=str(settings.timeout_hours))
            added = await self.raids.add_steps(tx, community.key, wave_id, [step])
            for new in added:
                await self._audit(tx, community, _as_step(wave_id, new), UNAVAILABLE, "", BOT)
            return []
        young = timedelta(hours=hours)
        until = now + timedelta(hours=settings.timeout_hours)
        steps = [
            NewStep(
                TIMEOUT,
                PENDING,
                member_id=m.member_id,
                name=m.name,
                setting=str(settings.timeout_hours),
                previous=until.isoformat(),
            )
            for m in members
            if m.account_created_at is not None and m.joined_at - m.account_created_at < young
        ]
        written: list[Pending] = []
        for step in await self.raids.add_steps(tx, community.key, wave_id, steps):
            written += await self._apply(tx, community, wave_id, step)
        return written

    async def _apply(
        self, tx: Transaction, community: Community, wave_id: int, step: NewStep
    ) -> list[Pending]:
        """The outbox entry that takes a new step (none for one that cannot happen, which
        is audited as it is)."""
        if step.status != PENDING:
            await self._audit(tx, community, _as_step(wave_id, step), step.status, "", BOT)
            return []
        effect: Effect
        if step.kind == SLOW_MODE:
            channel = ChannelRef(community, step.channel_id, step.name)
            effect = SetSlowMode(channel, int(step.setting), REASON)
        elif step.kind == INVITES:
            effect = PauseInvites(community, True, REASON)
        else:
            until = datetime.fromisoformat(step.previous)
            effect = Timeout(UserRef(community, step.member_id), until, REASON)
        return [await self._write(tx, community, wave_id, step, effect, "apply", BOT)]

    async def _take_back(
        self, tx: Transaction, community: Community, step: Step, by: str, again: str
    ) -> list[Pending]:
        reason = f"{REASON}, taken back"
        effect: Effect | None
        done = UNDONE  # the status of a take-back that needs no platform call
        if step.kind == SLOW_MODE:
            channel = ChannelRef(community, step.channel_id, step.name)
            effect = SetSlowMode(channel, int(step.previous or 0), reason)
        elif step.kind == INVITES:
            # Invites an admin had paused before the raid stay paused.
            effect = PauseInvites(community, False, reason) if step.previous == "open" else None
        elif step.kind == RULES:
            effect = None  # the bot's own rule: lifting it is the status change
        else:
            # Only the raid's own time-out: one a moderator set since stays (KEPT).
            until = datetime.fromisoformat(step.previous)
            effect = LiftTimeout(UserRef(community, step.member_id), reason, until)
            if until <= self.services.clock.now():
                effect, done = None, EXPIRED  # it ran out by itself: nothing to ask about
        if effect is None:
            await self.raids.set_status(
                tx, step.wave_id, step.kind, step.channel_id, step.member_id, done
            )
            await self._audit(tx, community, step, done, "", by)
            return []
        await self.raids.set_status(
            tx, step.wave_id, step.kind, step.channel_id, step.member_id, UNDOING
        )
        new = NewStep(step.kind, UNDOING, step.channel_id, step.member_id, step.name)
        again = again if step.status == UNDO_REFUSED else ""
        return [await self._write(tx, community, step.wave_id, new, effect, "undo", by, again)]

    async def _write(
        self,
        tx: Transaction,
        community: Community,
        wave_id: int,
        step: NewStep,
        effect: Effect,
        phase: str,
        by: str,
        again: str = "",
    ) -> Pending:
        """`again`: the attempt of a take-back tried again after a refusal (see `_finish`)."""
        where = f"{step.kind}:{step.channel_id}:{step.member_id}"
        if again:
            where += f":again-{again}"
        data = {
            "community": community.key,
            "wave": wave_id,
            "kind": step.kind,
            "channel": step.channel_id,
            "member": step.member_id,
            "phase": phase,
            "by": by,
            "again": again,
        }
        return await self.services.outbox.add(
            tx,
            effect,
            key=f"welcome:raid:{community.key}:{wave_id}:{where}:{phase}",
            then=Then(STEP_DONE, data),
        )

    async def _rules_step(
        self, tx: Transaction, community: Community, wave_id: int, config: EffectiveConfig
    ) -> None:
        """Hold the raid's newcomers to the rules: the bot's own measure, in place at once
        (it needs rules acceptance on, and a platform where the bot may delete messages)."""
        if not settings_of(config).raids.require_rules:
            return
        if not settings_of(config).rules.enabled:
            status = NEEDS_RULES
        elif Capability.DELETE_OTHERS not in self.services.platform(community).capabilities:
            status = UNAVAILABLE
        else:
            status = DONE
        step = NewStep(RULES, status)
        for new in await self.raids.add_steps(tx, community.key, wave_id, [step]):
            await self._audit(tx, community, _as_step(wave_id, new), status, "", BOT)
        self.rules.forget(community.key)

    async def _controls(self, tx: Transaction, community: Community, wave_id: int) -> list[Pending]:
        """The alert's ↩️ and ⏹️, pre-added so moderators only need to click."""
        wave = await self.newcomers.wave(wave_id, tx)
        platform = self.services.platform(community)
        if (
            wave is None
            or not wave.alert_message_id
            or Capability.REACT not in (platform.capabilities)
        ):
            return []
        assert wave.alert_channel_id is not None
        alert = MessageRef(ChannelRef(community, wave.alert_channel_id), wave.alert_message_id)
        return [
            await self.services.outbox.add(
                tx,
                ReactAll(alert, (UNDO_EMOJI, END_EMOJI)),
                key=f"welcome:raid:{community.key}:{wave_id}:controls",
            )
        ]

    async def _refresh(
        self,
        tx: Transaction,
        community: Community,
        wave_id: int,
        config: EffectiveConfig,
        again: str = "",
    ) -> list[Pending]:
        """The alert's edit showing the raid as stored now (none before it is posted)."""
        wave = await self.newcomers.wave(wave_id, tx)
        if wave is None or not wave.alert_message_id:
            return []
        revision = f":again-{again}" if again else ""
        pending = await self.waves.show_alert(tx, community, wave_id, config, None, revision)
        return [] if pending is None else [pending]

    async def _audit(
        self, tx: Transaction, community: Community, step: Step, status: str, error: str, by: str
    ) -> None:
        if step.member_id:
            subject = f"member:{step.member_id}"
        else:
            subject = f"channel:{step.channel_id}" if step.channel_id else step.kind
        details: dict[str, Any] = {"outcome": status, "raid": step.wave_id}
        if step.kind == SLOW_MODE:
            details.update(seconds=step.setting, previous=step.previous)
        if error:
            details["error"] = error
        await self.services.audit.record(
            community.key,
            by,
            f"welcome.raid.{step.kind}",
            self.services.clock.now(),
            subject,
            details,
            tx=tx,
        )


def _control(emoji: str) -> str | None:
    """Which control an emoji is, however the platform spelled it (with or without the
    variation selector)."""
    bare = emoji.replace(VARIATION_SELECTOR, "")
    for control in (UNDO_EMOJI, END_EMOJI):
        if control.replace(VARIATION_SELECTOR, "") == bare:
            return control
    return None


def _status_after(outcome: Outcome, undoing: bool, kind: str) -> tuple[str, str]:
    """The step's status after the platform answered, and the refusal in its words."""
    if outcome.delivered:
        if undoing and outcome.result is False:  # a time-out a moderator changed since
            return KEPT, ""
        return (UNDONE if undoing else DONE), ""
    error: PlatformError | None = outcome.error
    if undoing and isinstance(error, NotFound):
        # Nothing a retry could find either: the member left or was banned (their
        # time-out ends by itself), or the channel was deleted (with its slow mode).
        if kind == TIMEOUT:
            return GONE, ""
        if kind == SLOW_MODE:
            return CHANNEL_GONE, ""
    if isinstance(error, Unsupported) and not undoing:
        return UNAVAILABLE, ""
    return (UNDO_REFUSED if undoing else REFUSED), str(error or "")


def _measure(step: Step) -> str:
    """What the platform shows while a slow mode or invites step's measure is in place."""
    return "paused" if step.kind == INVITES else step.setting


def _as_step(wave_id: int, step: NewStep) -> Step:
    return Step(
        wave_id,
        step.kind,
        step.channel_id,
        step.member_id,
        step.name,
        step.setting,
        step.previous,
        step.status,
        step.error,
    )
