"""Moderators' direct actions: /warn, /timeout, /kick and /ban without a flag, and /unban,
/untimeout to lift what is in place.

A direct action is a flag about the member (kind `DIRECT`) that the moderator who ran the
command decides at once, so it goes the way every flag decision goes: the same permission
and capabilities as the reactions, one transaction for the claim, the infraction and the
audit entry, carried out once by the outbox, the member told in their language only after
it took effect, and the flag on the moderators' desk as the record. A ban still needs the
quorum: /ban opens a ban proposal about the member (a flag that other moderators confirm
with /ban or by reacting 🔨) or joins the open one, and every moderator who voted is
credited.

/unban and /untimeout pardon the member's latest ban or timeout on record (a quorum's ban
takes as many votes to lift as it took to place) and ask the platform to lift it; the
member hears after the platform did.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot import formatting
from bot.cog import Services, after_delivery, command
from bot.commands import Option, OptionType, Permission, format_duration
from bot.delivery import Outcome, Then
from bot.effects import DirectMessage, Effect, LiftTimeout, Unban
from bot.errors import UserError
from bot.interaction import Interaction
from bot.model import Community, Member, UserRef
from bot.outgoing import Markup, OutgoingMessage, Rich
from bot.permissions import has_permission, is_admin
from bot.platform_names import platform_name
from cogs.moderation.actions import ModAction, can_perform
from cogs.moderation.config import MAX_TIMEOUT, ModerationConfig
from cogs.moderation.desk import FlagDesk
from cogs.moderation.reports import REASON_MAX_CHARS
from cogs.moderation.settle import Settler, error_code
from cogs.moderation.view import action_label
from storage.database import Transaction
from storage.moderation import FlagStatus, ModerationRepository, delivery_state
from storage.outbox import DELIVERED, FAILED, PENDING, RUNNING

# Continuation of a lifted ban or timeout: tells the member, once the platform lifted it.
LIFTED = "moderation.lifted"

_MEMBER = Option("member", "Whom: @name")
_REASON = Option("reason", "Why; the member sees it", max_length=REASON_MAX_CHARS)
_LIFTS = {"unban": ModAction.BAN, "untimeout": ModAction.TIMEOUT}


class DirectActions:
    """Commands mixed into the moderation cog (which provides these attributes)."""

    services: Services
    repo: ModerationRepository
    settler: Settler
    desk: FlagDesk

    @command(
        "warn",
        "Warn a member, without a flag; they are told why.",
        Option("member", "Whom: @name", OptionType.USER),
        _REASON,
        permission=Permission.MODERATOR,
        private=True,
        description_de="Ein Mitglied verwarnen, ohne Meldung; es erfährt den Grund.",
    )
    async def warn(self, interaction: Interaction) -> None:
        await self._direct(interaction, ModAction.WARN)

    @command(
        "timeout",
        "Time a member out for a while, e.g. /timeout @name 2h reason.",
        Option("member", "Whom: @name", OptionType.USER),
        Option("duration", "How long, e.g. 30m, 2h or 3d", OptionType.DURATION),
        _REASON,
        permission=Permission.MODERATOR,
        private=True,
        description_de="Ein Mitglied für eine Weile stummschalten, z. B. /timeout @name 2h Grund.",
    )
    async def timeout(self, interaction: Interaction) -> None:
        duration = interaction.args["duration"]
        assert isinstance(duration, timedelta)
        if duration > MAX_TIMEOUT:
            raise UserError(
                interaction.i18n.text(
                    "feedback.too_long", interaction.locale, max=format_duration(MAX_TIMEOUT)
                )
            )
        await self._direct(interaction, ModAction.TIMEOUT, duration)

    @command(
        "kick",
        "Remove a member from the community; they may join again.",
        Option("member", "Whom: @name", OptionType.USER),
        _REASON,
        permission=Permission.MODERATOR,
        private=True,
        description_de="Ein Mitglied entfernen; es kann wieder beitreten.",
    )
    async def kick(self, interaction: Interaction) -> None:
        await self._direct(interaction, ModAction.KICK)

    @command(
        "ban",
        "Propose or confirm a ban; it happens once enough moderators agree (the quorum).",
        Option("member", "Whom: @name", OptionType.USER),
        _REASON,
        permission=Permission.MODERATOR,
        private=True,
        description_de="Einen Bann vorschlagen oder bestätigen; er gilt, sobald genug zustimmen.",
    )
    async def ban(self, interaction: Interaction) -> None:
        await self._direct(interaction, ModAction.BAN)

    @command(
        "unban",
        "Lift a member's ban; a quorum's ban takes as many moderators to lift.",
        Option("member", "Whom: the name or ID of the banned member"),
        _REASON,
        permission=Permission.MODERATOR,
        private=True,
        description_de="Einen Bann aufheben; ein Bann mit Quorum braucht ebenso viele.",
    )
    async def unban(self, interaction: Interaction) -> None:
        await self._lift(interaction, "unban")

    @command(
        "untimeout",
        "End a member's timeout early.",
        _MEMBER,
        _REASON,
        permission=Permission.MODERATOR,
        private=True,
        description_de="Den Timeout eines Mitglieds vorzeitig beenden.",
    )
    async def untimeout(self, interaction: Interaction) -> None:
        await self._lift(interaction, "untimeout")

    @after_delivery(LIFTED)
    async def lifted(self, tx: Transaction, outcome: Outcome, data: dict[str, Any]) -> None:
        """The platform lifted the ban or timeout: now the member hears it."""
        if outcome.error is not None:
            return
        community = Community.from_key(str(data["community"]))
        user = UserRef(community, str(data["member"]))
        config = await self.services.config.get(community)
        member = await self.services.platform(community).fetch_member(user)
        locale = self.services.i18n.pick_locale(
            member.locale if member else None, config.community.locale
        )
        name = config.community.name or await self.services.platform(community).community_name(
            community
        )
        text = self.services.i18n.t(
            f"direct.notice_{data['command']}", locale, community=name, reason=str(data["reason"])
        )
        await self.services.outbox.add(
            tx, DirectMessage(user, OutgoingMessage(text=text)), key=f"{data['key']}:notice"
        )

    # -- warn, timeout, kick, ban -----------------------------------------------------------

    async def _direct(
        self, interaction: Interaction, action: ModAction, duration: timedelta | None = None
    ) -> None:
        user = interaction.args["member"]
        assert isinstance(user, UserRef)
        community, moderator = interaction.community, interaction.member
        reason = interaction.args.text("reason") or ""
        self._refuse_unsupported(interaction, action)
        member = await interaction.platform.fetch_member(user)
        self._refuse_target(interaction, member, user, action)
        name = member.shown_name if member is not None else await self._known_name(community, user)
        async with self.services.db.transaction() as tx:
            filed = await self.repo.file_direct(
                community.key,
                user.id,
                name,
                action,
                moderator.id,
                self.services.clock.now(),
                tx=tx,
            )
        feedback = await self.settler.decide(
            community, filed.flag.id, action, moderator.id, reason, interaction.locale, duration
        )
        flag = await self.repo.flag(community.key, filed.flag.id)
        if flag is None or flag.status is not FlagStatus.SETTLED or flag.outcome != action:
            proposed = flag is not None and flag.status is FlagStatus.OPEN and feedback.acted
            if proposed and not feedback.repeated:
                await interaction.reply(await self._proposed(interaction, filed.flag.id, name))
            else:
                await interaction.reply(feedback.text)
            return
        infraction = await self.repo.latest_active(community.key, user.id, action)
        outcome = interaction.t(
            f"direct.done_{action.value}",
            member=name,
            duration=formatting.duration(duration or timedelta(), interaction.locale),
            number=infraction.id if infraction else 0,
            flag=flag.id,
        )
        told = await self._member_told(interaction, f"moderation:flag:{flag.id}:notice", action)
        await interaction.reply((*outcome, Markup(" "), *told))

    async def _proposed(self, interaction: Interaction, flag_id: int, name: str) -> Rich:
        """A ban waiting for the quorum: how far it is, and how another moderator confirms."""
        section = interaction.config.section("moderation", ModerationConfig)
        details = await self.repo.details(interaction.community.key, flag_id)
        votes = [v for v in details.votes if v.action == ModAction.BAN] if details else []
        return interaction.t(
            "direct.proposed",
            member=name,
            number=flag_id,
            have=len(votes),
            needed=section.quorum.needed(ModAction.BAN),
            emoji=section.reactions.emoji(ModAction.BAN),
        )

    def _refuse_unsupported(self, interaction: Interaction, action: ModAction) -> None:
        if can_perform(interaction.platform, action):
            return
        raise UserError(
            interaction.i18n.text(
                "direct.unsupported",
                interaction.locale,
                platform=_shown_platform(interaction),
                action=action_label(interaction.i18n, interaction.locale, action),
                instead=interaction.i18n.text(
                    f"direct.instead_{action.value}",
                    interaction.locale,
                    platform=_shown_platform(interaction),
                ),
            )
        )

    def _refuse_target(
        self, interaction: Interaction, member: Member | None, user: UserRef, action: ModAction
    ) -> None:
        """Not oneself, not a bot, not a fellow moderator (that is for the admins), and
        someone still here, except for a ban (which keeps a member who left out)."""
        roles = interaction.config.community.roles
        text = interaction.i18n.text
        if user.id == interaction.member.id:
            raise UserError(text("direct.self", interaction.locale))
        if member is None:
            if action is ModAction.BAN:
                return
            raise UserError(text("direct.not_member", interaction.locale, member=user.id))
        if member.is_bot:
            raise UserError(text("direct.bot", interaction.locale, member=member.shown_name))
        if has_permission(member, Permission.MODERATOR, roles) and not is_admin(
            interaction.member, roles
        ):
            raise UserError(text("direct.moderator", interaction.locale, member=member.shown_name))

    async def _known_name(self, community: Community, user: UserRef) -> str:
        found = await self.repo.find_member(community.key, user.id)
        return found[1] if found else user.id

    async def _member_told(self, interaction: Interaction, key: str, action: ModAction) -> Rich:
        """Whether the member heard, as the outbox knows it: never "told" before it was."""
        state = await delivery_state(self.services.db, key)
        if state == DELIVERED:
            return interaction.t("direct.told")
        if state == FAILED:
            return interaction.t(
                "direct.not_told_warned" if action is ModAction.WARN else "direct.not_told"
            )
        if state in (PENDING, RUNNING):
            return interaction.t("direct.told_later")
        return ()

    # -- unban, untimeout -------------------------------------------------------------------

    async def _lift(self, interaction: Interaction, name: str) -> None:
        kind = _LIFTS[name]
        self._refuse_unsupported(interaction, kind)
        community, moderator = interaction.community, interaction.member
        member_id, member_name = await self._whose_record(  # type: ignore[attr-defined]
            interaction, interaction.args.text("member")
        )
        reason = interaction.args.text("reason") or ""
        infraction = await self.repo.latest_active(community.key, member_id, kind)
        now = self.services.clock.now()
        user = UserRef(community, member_id)
        key = f"moderation:{name}:{member_id}:" + (
            f"infraction:{infraction.id}" if infraction else now.isoformat()
        )
        effect: Effect = Unban(user, reason) if kind is ModAction.BAN else LiftTimeout(user, reason)
        async with self.services.db.transaction() as tx:
            if infraction is not None:
                pardon = await self.repo.pardon(
                    community.key, infraction.id, moderator.id, reason, now, tx=tx
                )
                if pardon.waiting:
                    await interaction.say(
                        "direct.lift_duplicate" if pardon.repeated else "direct.lift_pending",
                        member=member_name,
                        have=pardon.votes,
                        needed=pardon.needed,
                        command=f"/{name}",
                    )
                    return
            await self.services.audit.record(
                community.key,
                moderator.id,
                f"moderation.{name}",
                now,
                subject=f"member:{member_id}",
                details={"reason": reason, "infraction": infraction.id if infraction else None},
                tx=tx,
            )
            data = {
                "community": community.key,
                "member": member_id,
                "command": name,
                "reason": reason,
                "key": key,
            }
            pending = await self.services.outbox.add(tx, effect, key=key, then=Then(LIFTED, data))
        (outcome,) = await self.services.outbox.deliver(pending)
        if outcome.error is not None:
            error = interaction.i18n.text(f"error.{error_code(outcome.error)}", interaction.locale)
            await interaction.say(f"direct.{name}_failed", member=member_name, error=error)
            return
        if outcome.queued:
            await interaction.say(
                "direct.lift_queued", member=member_name, platform=_shown_platform(interaction)
            )
            return
        done = interaction.t(f"direct.{name}_done", member=member_name)
        told = await self._member_told(interaction, f"{key}:notice", kind)
        await interaction.reply((*done, Markup(" "), *told))


def _shown_platform(interaction: Interaction) -> str:
    return platform_name(interaction.i18n, interaction.platform.name, interaction.locale)
