"""Settling flags: one moderator decision, carried out exactly once.

A decision is ONE transaction: the claim, the infraction and the audit entry are stored
together with the outbox entries that carry it out (deleting the messages, the timeout
until a fixed moment, the kick or ban) and, for a dismissal or warning, everything that
follows (the author's notice, the flag's settled state, the reporters' notes). Nothing here
calls the platform to change anything; the outbox does, once each, retrying through
outages and checking the platform's state after a crash instead of repeating.

What follows a timeout, kick or ban is written by the continuation of that action, in the
transaction that records its success: the flag settles, the author hears (never before the
action took effect, so never "you were banned" when the platform refused) and reporters
are told. If the platform refuses for good, the same continuation reopens the flag with the
reason and marks the infraction failed, so moderators can choose something else. A member
already gone when a cut-off kick is retried counts as kicked (`bot.effects.Kick`), never as
a failure.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bot.cog import Services
from bot.delivery import Outcome, Pending, Then
from bot.effects import Ban, Delete, Effect, Kick, Timeout
from bot.errors import MissingPermission, NotFound, PlatformError, Unsupported
from bot.i18n import I18n
from bot.model import ChannelRef, Community, MessageRef, UserRef
from bot.outgoing import Rich
from bot.platform import Capability
from bot.platform_names import platform_name
from bot.spans import last_span_of
from bot.templates import Value
from cogs.moderation.actions import INFRACTIONS, LADDER, ModAction, can_perform
from cogs.moderation.config import ModerationConfig
from cogs.moderation.desk import FlagDesk
from cogs.moderation.escalation import reached_step, step_details, step_duration
from cogs.moderation.notices import Notifier
from cogs.moderation.rule_names import rule_names
from cogs.moderation.view import NEVER_POSTED, action_label, instead_text, outcome_text
from storage.database import Transaction
from storage.moderation import (
    DecisionKind,
    Flag,
    FlagDetails,
    FlagStatus,
    InfractionDraft,
    ModerationRepository,
)

log = logging.getLogger(__name__)

# Continuations: a timeout, kick or ban took effect (or was refused); a message was deleted.
ACTED = "moderation.acted"
DELETED = "moderation.deleted"


@dataclass(frozen=True, slots=True)
class Feedback:
    """What the moderator who acted is told, in their locale."""

    text: Rich
    acted: bool
    # The same vote again: a reaction says so by itself, so it is answered only by command.
    repeated: bool = False


@dataclass
class Plan:
    """The outbox entries of one decision: those it depends on, and the rest."""

    required: list[Pending] = field(default_factory=list)
    rest: list[Pending] = field(default_factory=list)

    @property
    def all(self) -> list[Pending]:
        return [*self.required, *self.rest]


class Settler:
    def __init__(
        self,
        services: Services,
        repo: ModerationRepository,
        desk: FlagDesk,
        notifier: Notifier,
    ) -> None:
        self._services = services
        self._repo = repo
        self._desk = desk
        self._notifier = notifier

    async def decide(
        self,
        community: Community,
        flag_id: int,
        action: ModAction,
        moderator_id: str,
        reason: str,
        locale: str,
        duration: timedelta | None = None,
    ) -> Feedback:
        """A moderator's decision on a flag, by reaction or by /flag resolve.

        `duration` overrides the timeout length (the flag's own or the configured default).
        """
        config = await self._services.config.get(community)
        section = config.section("moderation", ModerationConfig)
        platform = self._services.platform(community)
        details = await self._repo.details(community.key, flag_id)
        if details is None:
            return self._say(locale, "feedback.missing", False, number=flag_id)
        if action is ModAction.DELETE and not details.messages:
            return self._say(locale, "feedback.nothing_to_delete", False, number=flag_id)
        if not can_perform(platform, action):
            return self._say(
                locale,
                "feedback.unsupported",
                False,
                platform=platform_name(self._services.i18n, platform.name, locale),
                action=action_label(self._services.i18n, locale, action),
                instead=instead_text(self._services.i18n, locale, platform, section, action),
            )
        plan = Plan()
        async with self._services.db.transaction() as tx:
            decision = await self._repo.decide(
                community.key,
                flag_id,
                action,
                moderator_id,
                reason,
                self._services.clock.now(),
                section.quorum.needed(action),
                self._infraction(
                    details, action, reason, section, duration, locale=await self._local(community)
                ),
                int(duration.total_seconds()) if duration else None,
                tx=tx,
            )
            if decision.kind is DecisionKind.CLAIMED:
                plan = await self.plan(tx, community, flag_id)
            elif decision.kind is DecisionKind.PENDING:
                await self._publish(tx, community, flag_id, plan.rest)
        await self._services.outbox.deliver(*plan.all)
        if decision.kind is DecisionKind.CLAIMED:
            return await self._after_claim(
                community, flag_id, action, duration or _duration(details.flag, section), locale
            )
        if decision.kind is DecisionKind.PENDING:
            needed = section.quorum.needed(action)
            return self._say(
                locale,
                "feedback.pending",
                True,
                number=flag_id,
                emoji=section.reactions.emoji(action),
                action=action_label(self._services.i18n, locale, action),
                have=len(decision.votes),
                needed=needed,
            )
        if decision.kind is DecisionKind.DUPLICATE_VOTE:
            label = action_label(self._services.i18n, locale, action)
            said = self._say(locale, "feedback.duplicate_vote", False, number=flag_id, action=label)
            return Feedback(said.text, acted=False, repeated=True)
        return await self._closed(community, decision.flag or details.flag, locale)

    async def plan(self, tx: Transaction, community: Community, flag_id: int) -> Plan:
        """Write what a claimed flag says to do. Keys are derived from the flag, so planning
        again (after a restart, for a claim an older version stored) adds nothing twice."""
        plan = Plan()
        details = await self._repo.details(community.key, flag_id, tx)
        if details is None or details.flag.status is not FlagStatus.ACTING:
            return plan
        flag = details.flag
        action = ModAction(flag.outcome or ModAction.DISMISS)
        section = (await self._services.config.get(community)).section(
            "moderation", ModerationConfig
        )
        if action is ModAction.DELETE or action in section.delete_with:
            await self._delete_messages(tx, community, details, action is ModAction.DELETE, plan)
        effect = self._punishment(community, flag, action, section, await self._local(community))
        if effect is not None:
            data = {"community": community.key, "flag": flag.id}
            plan.required.append(
                await self._services.outbox.add(
                    tx,
                    effect,
                    key=f"moderation:flag:{flag.id}:{action.value}",
                    then=Then(ACTED, data),
                )
            )
        if plan.required:
            await self._publish(tx, community, flag.id, plan.rest)  # shows it under way
        else:
            plan.rest.extend(await self.settle(tx, community, flag.id))
        return plan

    async def acted(self, tx: Transaction, outcome: Outcome, data: dict[str, Any]) -> None:
        """The timeout, kick or ban took effect, or the platform refused it for good."""
        community = Community.from_key(str(data["community"]))
        flag_id = int(data["flag"])
        if outcome.error is not None:
            await self._refused(tx, community, flag_id, outcome.error)
        else:
            await self.settle(tx, community, flag_id)

    async def deleted(self, tx: Transaction, outcome: Outcome, data: dict[str, Any]) -> None:
        """One of a flag's messages is gone (or could not be deleted)."""
        community = Community.from_key(str(data["community"]))
        flag_id, required = int(data["flag"]), bool(data["required"])
        if outcome.error is not None and not isinstance(outcome.error, NotFound):
            if required:
                await self._refused(tx, community, flag_id, outcome.error)
            else:
                log.warning("flag %s: could not delete message %s", flag_id, data["message"])
            return
        now = self._services.clock.now()
        await self._repo.mark_deleted(
            tx, community.key, flag_id, str(data["channel"]), str(data["message"]), now
        )
        details = await self._repo.details(community.key, flag_id, tx)
        if details is None:
            return
        left = [m for m in details.messages if m.deleted_at is None]
        if required and not left and details.flag.status is FlagStatus.ACTING:
            await self.settle(tx, community, flag_id)
        else:
            await self._desk.publish(tx, community, flag_id)

    async def settle(self, tx: Transaction, community: Community, flag_id: int) -> list[Pending]:
        """The decision took effect: settle the flag, tell the author and the reporters, and
        follow the escalation ladder; returns the entries written."""
        written: list[Pending] = []
        if not await self._repo.finish(tx, community.key, flag_id):
            return written
        details = await self._repo.details(community.key, flag_id, tx)
        assert details is not None
        flag = details.flag
        action = ModAction(flag.outcome or ModAction.DISMISS)
        section = (await self._services.config.get(community)).section(
            "moderation", ModerationConfig
        )
        if action in INFRACTIONS:
            written.append(
                await self._notifier.tell_author(
                    tx, community, details, action, flag.reason, _duration(flag, section)
                )
            )
        await self._publish(tx, community, flag_id, written)
        now = self._services.clock.now()
        told, notes = await self._notifier.tell_reporters(tx, community, details)
        written.extend(notes)
        for report in told:
            await self._repo.mark_notified(tx, community.key, report.id, now)
        if action in INFRACTIONS and flag.acted_by != LADDER:
            written.extend(await self._escalate(tx, community, flag, action, section))
        return written

    async def _after_claim(
        self,
        community: Community,
        flag_id: int,
        action: ModAction,
        duration: timedelta,
        locale: str,
    ) -> Feedback:
        """The truth after delivering a claim, read from storage: settled, refused (the flag
        is open again with the reason), or still waiting for the platform."""
        i18n = self._services.i18n
        flag = await self._repo.flag(community.key, flag_id)
        label = action_label(i18n, locale, action)
        if flag is not None and flag.status is FlagStatus.OPEN:
            error = i18n.text(f"error.{flag.error or 'failed'}", locale)
            return self._say(
                locale, "feedback.failed", False, number=flag_id, action=label, error=error
            )
        outcome = outcome_text(i18n, locale, action, duration)
        if flag is not None and flag.status is FlagStatus.ACTING:
            platform = platform_name(i18n, self._services.platform(community).name, locale)
            return self._say(
                locale, "feedback.queued", True, number=flag_id, action=label, platform=platform
            )
        return self._say(locale, "feedback.done", True, number=flag_id, outcome=outcome)

    async def _refused(
        self, tx: Transaction, community: Community, flag_id: int, error: PlatformError
    ) -> None:
        flag = await self._repo.flag(community.key, flag_id, tx)
        if flag is None:
            return
        log.warning("flag %s: %s refused: %s", flag_id, flag.outcome, error)
        now = self._services.clock.now()
        code = error_code(error)
        if await self._repo.reopen(
            community.key, flag_id, code, flag.acted_by or LADDER, now, tx=tx
        ):
            await self._desk.publish(tx, community, flag_id)

    # -- escalation -------------------------------------------------------------------------

    async def _escalate(
        self,
        tx: Transaction,
        community: Community,
        flag: Flag,
        kind: ModAction,
        section: ModerationConfig,
    ) -> list[Pending]:
        """Suggest (or apply) the ladder's step once a member's record reaches it."""

        async def count(kind_name: str, since: datetime) -> int:
            counts = await self._repo.infraction_counts(community.key, flag.author_id, since, tx)
            return counts.get(kind_name, 0)

        now = self._services.clock.now()
        step = await reached_step(section.escalation, kind, now, count)
        if step is None:
            return []
        then = ModAction(step.then)
        duration = step_duration(step, section.timeout_duration)
        filed = await self._repo.file_escalation(
            community.key,
            flag.author_id,
            flag.author_name,
            then,
            duration if then is ModAction.TIMEOUT else None,
            step_details(step),
            now,
            tx=tx,
        )
        if not filed.created:
            return []
        platform = self._services.platform(community)
        if step.apply and can_perform(platform, then):
            decision = await self._repo.decide(
                community.key,
                filed.flag.id,
                then,
                LADDER,
                "",
                now,
                1,
                self._infraction(
                    FlagDetails(filed.flag), then, "", section, locale=await self._local(community)
                ),
                tx=tx,
            )
            if decision.kind is DecisionKind.CLAIMED:
                # Its post is written after the action, so the flag shows the outcome from
                # the start (or, if the platform refuses, opens for moderators with the reason).
                return (await self.plan(tx, community, filed.flag.id)).all
        written: list[Pending] = []
        await self._publish(tx, community, filed.flag.id, written)
        return written

    # -- helpers ----------------------------------------------------------------------------

    def _infraction(
        self,
        details: FlagDetails,
        action: ModAction,
        reason: str,
        section: ModerationConfig,
        duration: timedelta | None = None,
        *,
        locale: str,
    ) -> InfractionDraft | None:
        """The infraction a decision records; its reason (the moderator's, else the rules or
        the ladder step) in the community's language, as moderators read it later."""
        if action not in INFRACTIONS:
            return None
        flag = details.flag
        expires = None
        if action is ModAction.TIMEOUT:
            expires = self._services.clock.now() + (duration or _duration(flag, section))
        i18n = self._services.i18n
        rules = ", ".join(rule_names(i18n, locale, section, details.rules))
        why = reason or rules or _escalation_reason(i18n, locale, flag)
        return InfractionDraft(flag.author_id, flag.author_name, action, why, expires)

    async def _delete_messages(
        self,
        tx: Transaction,
        community: Community,
        details: FlagDetails,
        required: bool,
        plan: Plan,
    ) -> None:
        """Delete the flag's messages; only a 🗑️ decision fails when the platform cannot."""
        platform = self._services.platform(community)
        if Capability.DELETE_OTHERS not in platform.capabilities and not required:
            return
        flag_id = details.flag.id
        for message in details.messages:
            # A text the bot refused to post was never a message: nothing to take down.
            if message.deleted_at is not None or message.message_id.startswith(NEVER_POSTED):
                continue
            ref = MessageRef(
                ChannelRef(community, message.channel_id, message.channel_name),
                message.message_id,
            )
            data = {
                "community": community.key,
                "flag": flag_id,
                "channel": message.channel_id,
                "message": message.message_id,
                "required": required,
            }
            pending = await self._services.outbox.add(
                tx,
                Delete(ref),
                key=f"moderation:flag:{flag_id}:delete:{message.channel_id}:{message.message_id}",
                then=Then(DELETED, data),
            )
            (plan.required if required else plan.rest).append(pending)

    async def _local(self, community: Community) -> str:
        """The community's language: records and the platform's audit log are read there."""
        config = await self._services.config.get(community)
        return self._services.i18n.pick_locale(None, config.community.locale)

    def _punishment(
        self,
        community: Community,
        flag: Flag,
        action: ModAction,
        section: ModerationConfig,
        locale: str,
    ) -> Effect | None:
        """The platform action of a decision; a timeout ends at a moment fixed at the claim,
        so a retry never restarts its clock."""
        user = UserRef(community, flag.author_id)
        # The platform's own audit log shows this reason next to the action.
        key = "platform_reason.flag_reason" if flag.reason else "platform_reason.flag"
        reason = self._services.i18n.text(key, locale, number=flag.id, reason=flag.reason)
        match action:
            case ModAction.TIMEOUT:
                start = flag.acted_at or self._services.clock.now()
                return Timeout(user, start + _duration(flag, section), reason)
            case ModAction.KICK:
                return Kick(user, reason)
            case ModAction.BAN:
                return Ban(user, reason)
        return None

    async def _publish(
        self, tx: Transaction, community: Community, flag_id: int, into: list[Pending]
    ) -> None:
        pending = await self._desk.publish(tx, community, flag_id)
        if pending is not None:
            into.append(pending)

    async def _closed(self, community: Community, flag: Flag, locale: str) -> Feedback:
        section = (await self._services.config.get(community)).section(
            "moderation", ModerationConfig
        )
        action = ModAction(flag.outcome or ModAction.DISMISS)
        names = await self._desk.names(community, {flag.acted_by or ""})
        return self._say(
            locale,
            "feedback.closed",
            False,
            number=flag.id,
            moderator=names.get(flag.acted_by or "", ""),
            outcome=outcome_text(self._services.i18n, locale, action, _duration(flag, section)),
        )

    def _say(self, locale: str, key: str, acted: bool, **values: Value) -> Feedback:
        return Feedback(self._services.i18n.t(key, locale, **values), acted)


def _duration(flag: Flag, section: ModerationConfig) -> timedelta:
    if flag.timeout_seconds:
        return timedelta(seconds=flag.timeout_seconds)
    return section.timeout_duration


def _escalation_reason(i18n: I18n, locale: str, flag: Flag) -> str:
    details = flag.details
    if not details:
        return ""
    return i18n.text(
        "infraction_reason.escalation",
        locale,
        count=int(details.get("count", 0)),
        kind=i18n.text(f"kind.{details.get('kind', 'warn')}", locale),
        within=last_span_of(i18n, str(details.get("within", "")), locale),
    )


def error_code(error: PlatformError) -> str:
    if isinstance(error, MissingPermission):
        return "missing_permission"
    if isinstance(error, NotFound):
        return "not_found"
    if isinstance(error, Unsupported):
        return "unsupported"
    return "failed"
