"""Rules acceptance: the "I accept the rules" button, the member role, one reminder.

Accepting is recorded (with an audit entry) together with the outbox entry that grants
the configured member role where the platform has roles. Pressing again changes nothing,
except that a role the member lost or never got (say the bot lacked the permission) is
granted again. A newcomer who has not accepted after `reminder_hours` gets one reminder,
a durable job that checks the record before it speaks, so acceptance in the meantime
silences it.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from enum import Enum

from bot.codec import encode
from bot.cog import Services
from bot.config import EffectiveConfig
from bot.delivery import Outcome, Then
from bot.effects import DirectMessage, Effect, GrantRole, Post
from bot.errors import UserError
from bot.interaction import Interaction
from bot.model import Community, Member, UserRef
from bot.outgoing import Mention, OutgoingMessage
from bot.permissions import holds_role
from bot.platform import Capability
from cogs.welcome.greeting import DM_REFUSED, Greeter, settings_of
from storage.database import Transaction
from storage.jobs import Job
from storage.welcome import WelcomeRepository

log = logging.getLogger(__name__)

REMINDER_KIND = "welcome.rules_reminder"


def reminder_key(community: Community, member_id: str) -> str:
    return f"welcome:rules-reminder:{community.key}:{member_id}"


class RoleOutcome(Enum):
    GRANTED = "granted"
    ALREADY_HELD = "held"
    NO_ROLE = "none"
    PENDING = "pending"
    FAILED = "failed"


class RulesAcceptance:
    def __init__(self, services: Services, newcomers: WelcomeRepository, greeter: Greeter):
        self.services = services
        self.newcomers = newcomers
        self.greeter = greeter

    async def accept(self, interaction: Interaction, owner: str | None = None) -> None:
        """Record that the member accepts the rules and grant the member role; idempotent.

        `owner` is whom the pressed button belongs to; someone else's button accepts
        nothing (the presser is pointed to ``/welcome accept``). The role grant is an outbox
        entry written with the acceptance; the member hears about the role only once the
        platform granted it (or that it will follow, or that it failed).
        """
        if not settings_of(interaction.config).rules.enabled:
            raise UserError(interaction.i18n.text("welcome.rules.off", interaction.locale))
        member = interaction.member
        community = member.community
        if owner is not None and not await self._owns(owner, member):
            raise UserError(interaction.i18n.text("welcome.rules.not_yours", interaction.locale))
        now = self.services.clock.now()
        role = interaction.config.community.roles.member
        outcome = self._without_grant(member, role)
        async with self.services.db.transaction() as tx:
            first = await self.newcomers.accept(
                tx, community.key, member.id, member.shown_name, now
            )
            if first:
                await self.services.audit.record(
                    community.key, member.id, "welcome.rules_accepted", now, member.id, tx=tx
                )
            pending = None
            if outcome is None:
                pending = await self.services.outbox.add(
                    tx,
                    GrantRole(member.ref, role, "accepted the community rules"),
                    key=f"welcome:rules-role:{community.key}:{member.id}:{now}",
                )
            if first:
                await self.services.scheduler.cancel(reminder_key(community, member.id), tx=tx)
        if pending is not None:
            (delivery,) = await self.services.outbox.deliver(pending)
            outcome = _role_outcome(delivery, member, role)
        assert outcome is not None  # no grant was due, or its outcome is known now
        await interaction.say(_reply_key(first, outcome), role=role)

    async def schedule_reminder(
        self, tx: Transaction, member: Member, config: EffectiveConfig
    ) -> None:
        """Arm the reminder in the join's transaction, so the join never loses it."""
        rules = settings_of(config).rules
        if not rules.enabled or rules.reminder_hours == 0:
            return
        due = self.services.clock.now() + timedelta(hours=rules.reminder_hours)
        await self.services.scheduler.schedule(
            member.community,
            REMINDER_KIND,
            due,
            reminder_key(member.community, member.id),
            {"member": member.id},
            tx=tx,
        )

    async def remind(self, job: Job) -> None:
        """The one reminder, unless the member accepted, left, or already holds the role.

        The reminder's mark and its DM are written together under keys derived from the
        job's, so a job re-run after a crash adds nothing; a refused DM becomes a post in
        the welcome channel (the DM's continuation writes it).
        """
        community = Community.from_key(job.community)
        config = await self.services.config.get(community)
        if not settings_of(config).rules.enabled:
            return
        platform = self.services.platform(community)
        member = await platform.fetch_member(UserRef(community, str(job.payload["member"])))
        if member is None or holds_role(member, [config.community.roles.member]):
            return
        language = self.services.i18n.pick_locale(member.locale, config.community.locale)
        text = self.services.i18n.t(
            "welcome.rules.reminder",
            language,
            member=Mention(member.id, member.shown_name),
            rules=await self.greeter.rules_channel(community, config),
            community=await self.greeter.community_name(community, config),
        )
        message = self.greeter.with_accept(
            OutgoingMessage(text=text), settings_of(config), language, community, member.id
        )
        configured, channel = await self.greeter.welcome_channel(community, config, language)
        fallback = {
            "key": f"{job.key}:fallback",
            "fallback": True,
            "channel": encode(channel),
            "configured": configured,
            "message": encode(message),
        }
        async with self.services.db.transaction() as tx:
            if not await self.newcomers.claim_reminder(
                tx, community.key, member.id, self.services.clock.now()
            ):
                return
            if Capability.DIRECT_MESSAGES in platform.capabilities:
                effect: Effect = DirectMessage(member.ref, message)
                pending = await self.services.outbox.add(
                    tx, effect, key=f"{job.key}:dm", then=Then(DM_REFUSED, fallback)
                )
            elif channel is not None:
                pending = await self.services.outbox.add(
                    tx, Post(channel, message), key=f"{job.key}:post"
                )
            else:
                return
        await self.services.outbox.deliver(pending)

    async def _owns(self, owner: str, member: Member) -> bool:
        kind, _, wave_id = owner.partition(":")
        if kind == "wave" and wave_id.isdigit():
            return await self.newcomers.in_wave(int(wave_id), member.id)
        return owner == member.id

    def _without_grant(self, member: Member, role: str) -> RoleOutcome | None:
        """Why no role is granted (none here, or held already); None when it is due."""
        platform = self.services.platform(member.community)
        if not role or Capability.ROLES not in platform.capabilities:
            return RoleOutcome.NO_ROLE
        if holds_role(member, [role]):
            return RoleOutcome.ALREADY_HELD
        return None


def _role_outcome(delivery: Outcome, member: Member, role: str) -> RoleOutcome:
    if delivery.delivered:
        return RoleOutcome.GRANTED
    if delivery.queued:
        return RoleOutcome.PENDING
    log.warning(
        "could not grant %r to %s in %s: %s", role, member.id, member.community.key, delivery.error
    )
    return RoleOutcome.FAILED


def _reply_key(first: bool, outcome: RoleOutcome) -> str:
    if outcome is RoleOutcome.FAILED:
        return "welcome.rules.role_failed"
    if outcome is RoleOutcome.PENDING:
        return "welcome.rules.role_pending"
    if first:
        return (
            "welcome.rules.accepted_role"
            if outcome is RoleOutcome.GRANTED
            else "welcome.rules.accepted"
        )
    if outcome is RoleOutcome.GRANTED:
        return "welcome.rules.already_role_restored"
    return "welcome.rules.already"
