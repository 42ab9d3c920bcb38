"""Appeals: a member asks the moderators to look again at one of their infractions.

`/appeal` (no number) lists what the member can appeal; `/appeal 3 why` files an appeal,
once per infraction. It goes to the moderators' channel as an item moderators settle with
one reaction, like a flag: ✅ upholds the infraction, ↩️ lifts it (pardons it and, where
the platform can, ends the timeout or ban). `/appeals decide 3 uphold|lift reason` does the
same by command. The moderator who acted never decides alone (storage/appeals.py counts
the votes), and lifting a quorum's decision takes as many moderators as made it.

Each decision is one transaction with its outbox entries: the post's edit, the lift on the
platform and the member's notice (in the language they appealed in), queued on the
member's lane after the lift, so they hear after it happened. A reaction that changes
nothing (a settled appeal, a repeated vote) is answered privately. Reactions go through the
moderation cog's `ReactionLedger`, as flags' do: each is acted on once, and those made
while the bot was away are caught up on when it is back (`appeal_posts`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.cog import Services, after_delivery, command
from bot.commands import Option, OptionType, Permission
from bot.delivery import Outcome, Pending, Then
from bot.effects import DirectMessage, Edit, LiftTimeout, Post, ReactAll, Unban, Unreact
from bot.errors import UserError
from bot.events import ReactionAdded, ReactionRemoved
from bot.i18n import I18n
from bot.interaction import Interaction
from bot.model import ChannelRef, Community, Member, MessageRef, UserRef
from bot.outgoing import Field, OutgoingMessage, Rich, join
from bot.permissions import has_permission
from bot.platform import Capability
from bot.reconcile import ReactionLedger
from bot.text import excerpt
from cogs.moderation.actions import ModAction, can_perform
from cogs.moderation.desk import FlagDesk
from cogs.moderation.view import format_time
from storage.appeals import (
    AlreadyAppealed,
    Appeal,
    AppealDecision,
    Appeals,
    AppealStatus,
    VoteResult,
)
from storage.database import Transaction
from storage.moderation import ACTIVE, Infraction, ModerationRepository, delivery_state
from storage.outbox import DELIVERED, FAILED

# Continuation of an appeal's post: stores its message id and adds the two reactions.
APPEAL_POSTED = "moderation.appeal_posted"
# One emoji per decision; distinct from the flag reactions so a glance tells them apart.
EMOJI = {AppealDecision.UPHOLD: "✅", AppealDecision.LIFT: "↩️"}
APPEAL_MAX_CHARS = 1000
# How many infractions `/appeal` without a number lists.
SHOWN_APPEALABLE = 10


class AppealDesk:
    """Appeal commands and reactions, mixed into the moderation cog."""

    services: Services
    repo: ModerationRepository
    desk: FlagDesk
    appeals: Appeals
    ledger: ReactionLedger

    @command(
        "appeal",
        "Ask the moderators to look again at a warning, timeout, kick or ban you received.",
        Option(
            "number",
            "Infraction number; leave out to see yours",
            OptionType.INTEGER,
            required=False,
            min_value=1,
        ),
        Option(
            "text",
            "Why the moderators should look again",
            required=False,
            max_length=APPEAL_MAX_CHARS,
        ),
        private=True,
        description_de="Das Moderationsteam bitten, eine Verwarnung oder Sperre zu überprüfen.",
    )
    async def appeal(self, interaction: Interaction) -> None:
        number = interaction.args["number"]
        if not isinstance(number, int):
            await self._appealable(interaction)
            return
        text = (interaction.args.text("text") or "").strip()
        community, member = interaction.community, interaction.member
        infraction = await self.repo.infraction(community.key, number)
        if infraction is None or infraction.member_id != member.id:
            raise UserError(
                interaction.i18n.text("appeal.not_yours", interaction.locale, number=number)
            )
        if infraction.status != ACTIVE:
            raise UserError(
                interaction.i18n.text("appeal.pardoned", interaction.locale, number=number)
            )
        if not text:
            raise UserError(
                interaction.i18n.text("appeal.need_text", interaction.locale, number=number)
            )
        now = self.services.clock.now()
        written: list[Pending] = []
        try:
            async with self.services.db.transaction() as tx:
                filed = await self.appeals.file(tx, infraction, interaction.locale, text, now)
                written = await self._post_appeal(tx, community, filed, infraction)
        except AlreadyAppealed as already:
            key = f"appeal.already_{already.appeal.status.value}"
            raise UserError(interaction.i18n.text(key, interaction.locale, number=number)) from None
        outcomes = await self.services.outbox.deliver(*written)
        if not outcomes or outcomes[0].error is not None:
            await interaction.say("appeal.stored_unreachable", appeal=filed.id, number=number)
        elif outcomes[0].queued:
            await interaction.say("appeal.stored_queued", appeal=filed.id, number=number)
        else:
            await interaction.say("appeal.sent", appeal=filed.id, number=number)

    @command(
        "appeals decide",
        "Settle an appeal without reacting: uphold the infraction or lift it.",
        Option("appeal", "Appeal number, e.g. 4", OptionType.INTEGER, min_value=1),
        Option("decision", "uphold or lift", OptionType.CHOICE, choices=tuple(AppealDecision)),
        Option("reason", "Why; the member sees it", required=False, max_length=APPEAL_MAX_CHARS),
        permission=Permission.MODERATOR,
        private=True,
        description_de="Einen Einspruch ohne Reaktion entscheiden: bestätigen oder aufheben.",
    )
    async def appeals_decide(self, interaction: Interaction) -> None:
        number = interaction.args["appeal"]
        assert isinstance(number, int)
        decision = AppealDecision(str(interaction.args["decision"]))
        reason = interaction.args.text("reason") or ""
        await interaction.reply(
            await self.decide_appeal(
                interaction.community,
                number,
                decision,
                interaction.member,
                reason,
                interaction.locale,
            )
        )

    async def on_appeal_reaction(self, event: ReactionAdded) -> None:
        """A reaction on an appeal's post, handled once whether it came live or was found
        after a reconnect: a moderator's vote; anyone else's is taken off."""
        community = event.community
        appeal = await self.appeals.for_post(
            community.key, event.message.channel.id, event.message.id
        )
        if appeal is None:
            return
        async with self.ledger.handling(event) as fresh:
            if fresh:  # else acted on before (live, or after a reconnect)
                await self._appeal_reaction(event, appeal)

    async def on_appeal_unreaction(self, event: ReactionRemoved) -> None:
        """A reaction taken off an appeal's post: a vote stays cast (an appeal has no way
        back), but the reaction is forgotten, so putting it back counts as a new one."""
        message = event.message
        if await self.appeals.for_post(message.community.key, message.channel.id, message.id):
            await self.ledger.taken_off(event)

    async def appeal_posts(self, community: Community, limit: int) -> list[MessageRef]:
        """The posts of the newest `limit` open appeals: read for reactions after a
        reconnect, as the flags' are."""
        appeals = await self.appeals.recent_open_posts(community.key, limit) if limit else []
        return [
            MessageRef(ChannelRef(community, str(a.post_channel_id)), str(a.post_message_id))
            for a in appeals
        ]

    async def appeal_open(self, community: str, channel_id: str, message_id: str) -> bool | None:
        """Whether the appeal posted there is still open; None: no appeal's post."""
        appeal = await self.appeals.for_post(community, channel_id, message_id)
        return None if appeal is None else appeal.status is AppealStatus.OPEN

    async def _appeal_reaction(self, event: ReactionAdded, appeal: Appeal) -> None:
        community = event.community
        config = await self.services.config.get(community)
        if not has_permission(event.member, Permission.MODERATOR, config.community.roles):
            # Only moderators decide; anyone else's reaction is taken off, as on flags.
            if Capability.REMOVE_REACTIONS in self.services.platform(community).capabilities:
                async with self.services.db.transaction() as tx:
                    pending = await self.services.outbox.add(
                        tx, Unreact(event.message, event.emoji, event.member.ref)
                    )
                await self.services.outbox.deliver(pending)
            return
        decision = next((d for d, e in EMOJI.items() if e == event.emoji), None)
        if decision is None:
            return
        locale = await self.services.locale_for(event.member)
        said = await self.decide_appeal(community, appeal.id, decision, event.member, "", locale)
        # Answered privately: the post itself shows votes and outcome to everyone.
        async with self.services.db.transaction() as tx:
            pending = await self.services.outbox.add(
                tx, DirectMessage(event.member.ref, OutgoingMessage(text=said))
            )
        await self.services.outbox.deliver(pending)

    async def decide_appeal(
        self,
        community: Community,
        appeal_id: int,
        decision: AppealDecision,
        moderator: Member,
        reason: str,
        locale: str,
    ) -> Rich:
        t = self.services.i18n.t
        appeal = await self.appeals.get(community.key, appeal_id)
        infraction = appeal and await self.repo.infraction(community.key, appeal.infraction_id)
        if appeal is None or infraction is None:
            return t("appeal.missing", locale, number=appeal_id)
        if appeal.member_id == moderator.id:
            return t("appeal.own", locale, number=appeal_id)
        written: list[Pending] = []
        now = self.services.clock.now()
        async with self.services.db.transaction() as tx:
            vote = await self.appeals.vote(
                tx, community.key, appeal_id, decision, moderator.id, infraction, reason, now
            )
            if vote.result in (VoteResult.DECIDED, VoteResult.PENDING):
                written.extend(await self._refresh_appeal(tx, community, appeal_id, infraction))
            if vote.result is VoteResult.DECIDED and vote.appeal is not None:
                written.extend(await self._carry_out_appeal(tx, community, vote.appeal, infraction))
        await self.services.outbox.deliver(*written)
        label = self.services.i18n.text(f"appeal.decision_{decision.value}", locale)
        match vote.result:
            case VoteResult.DECIDED:
                done = t(f"appeal.done_{decision.value}", locale, number=appeal_id)
                told = await self._appeal_told(appeal_id, locale)
                return (*done, *told)
            case VoteResult.PENDING if moderator.id in infraction.deciders:
                return t("appeal.not_alone", locale, number=appeal_id, decision=label)
            case VoteResult.PENDING:
                return t(
                    "appeal.pending",
                    locale,
                    number=appeal_id,
                    decision=label,
                    have=len(vote.votes),
                    needed=vote.needed,
                )
            case VoteResult.REPEATED:
                return t("appeal.repeated", locale, number=appeal_id, decision=label)
            case VoteResult.CLOSED if vote.appeal is not None:
                status = t(f"appeal.status_{vote.appeal.status.value}", locale)
                return t("appeal.closed", locale, number=appeal_id, status=status)
        return t("appeal.missing", locale, number=appeal_id)

    @after_delivery(APPEAL_POSTED)
    async def appeal_posted(self, tx: Transaction, outcome: Outcome, data: dict[str, Any]) -> None:
        if outcome.error is not None:
            return
        community = Community.from_key(str(data["community"]))
        appeal_id = int(data["appeal"])
        ref: MessageRef = outcome.result
        await self.appeals.set_post(tx, community.key, appeal_id, ref.channel.id, ref.id)
        appeal = await self.appeals.get(community.key, appeal_id, tx)
        if appeal is None:
            return
        if appeal.status is not AppealStatus.OPEN:
            infraction = await self.repo.infraction(community.key, appeal.infraction_id, tx)
            if infraction is not None:
                await self._refresh_appeal(tx, community, appeal_id, infraction)
            return
        if Capability.REACT in self.services.platform(community).capabilities:
            await self.services.outbox.add(
                tx,
                ReactAll(ref, tuple(EMOJI.values())),
                key=f"moderation:appeal:{appeal_id}:react",
            )

    # -- helpers ----------------------------------------------------------------------------

    async def _appealable(self, interaction: Interaction) -> None:
        """The member's own active infractions, with the numbers /appeal takes."""
        record = await self.repo.infractions(
            interaction.community.key, interaction.member.id, SHOWN_APPEALABLE
        )
        active = [i for i in record if i.status == ACTIVE]
        if not active:
            await interaction.say("appeal.nothing")
            return
        i18n, locale = interaction.i18n, interaction.locale
        lines = [interaction.t("appeal.choose")]
        for infraction in active:
            lines.append(
                i18n.t(
                    "appeal.choose_line",
                    locale,
                    number=infraction.id,
                    kind=i18n.text(f"kind.{infraction.kind}", locale),
                    time=format_time(infraction.at, locale),
                    reason=infraction.reason or "—",
                )
            )
        await interaction.reply(join(lines))

    async def _post_appeal(
        self, tx: Transaction, community: Community, appeal: Appeal, infraction: Infraction
    ) -> list[Pending]:
        config = await self.services.config.get(community)
        channel = await self.desk.flag_channel(community, config)
        if channel is None:
            return []
        message = await self._render_appeal(tx, community, appeal, infraction)
        data = {"community": community.key, "appeal": appeal.id}
        return [
            await self.services.outbox.add(
                tx,
                Post(channel, message, allow_pings=False),
                key=f"moderation:appeal:{appeal.id}:post",
                then=Then(APPEAL_POSTED, data),
            )
        ]

    async def _refresh_appeal(
        self, tx: Transaction, community: Community, appeal_id: int, infraction: Infraction
    ) -> list[Pending]:
        appeal = await self.appeals.get(community.key, appeal_id, tx)
        if appeal is None or appeal.post_channel_id is None or appeal.post_message_id is None:
            return []  # its post is under way; its continuation brings it up to date
        ref = MessageRef(ChannelRef(community, appeal.post_channel_id), appeal.post_message_id)
        message = await self._render_appeal(tx, community, appeal, infraction)
        return [await self.services.outbox.add(tx, Edit(ref, message))]

    async def _carry_out_appeal(
        self, tx: Transaction, community: Community, appeal: Appeal, infraction: Infraction
    ) -> list[Pending]:
        """Lift on the platform what can be lifted, then tell the member (same lane, so
        after the lift)."""
        written: list[Pending] = []
        platform = self.services.platform(community)
        user = UserRef(community, appeal.member_id)
        now = self.services.clock.now()
        if appeal.status is AppealStatus.LIFTED:
            config = await self.services.config.get(community)
            locale = self.services.i18n.pick_locale(None, config.community.locale)
            why = self.services.i18n.text("platform_reason.appeal", locale, number=appeal.id)
            kind = ModAction(infraction.kind)
            if kind is ModAction.BAN and can_perform(platform, kind):
                effect = Unban(user, why)
            elif (
                kind is ModAction.TIMEOUT
                and can_perform(platform, kind)
                and infraction.expires_at is not None
                and infraction.expires_at > now
            ):
                effect = LiftTimeout(user, why)  # type: ignore[assignment]
            else:
                effect = None  # type: ignore[assignment]
            if effect is not None:
                written.append(
                    await self.services.outbox.add(
                        tx, effect, key=f"moderation:appeal:{appeal.id}:lift"
                    )
                )
        config = await self.services.config.get(community)
        locale = self.services.i18n.pick_locale(appeal.member_locale, config.community.locale)
        name = config.community.name or await platform.community_name(community)
        t = self.services.i18n.t
        parts = [
            t(
                f"appeal.notice_{appeal.status.value}",
                locale,
                number=infraction.id,
                kind=self.services.i18n.text(f"kind.{infraction.kind}", locale),
                community=name,
            )
        ]
        if appeal.reason:
            parts.append(t("notice.note", locale, reason=appeal.reason))
        written.append(
            await self.services.outbox.add(
                tx,
                DirectMessage(user, OutgoingMessage(text=join(parts, "\n\n"))),
                key=_notice_key(appeal.id),
            )
        )
        return written

    async def _render_appeal(
        self, tx: Transaction, community: Community, appeal: Appeal, infraction: Infraction
    ) -> OutgoingMessage:
        votes = await self.appeals.votes(tx, appeal.id)
        ids = {*infraction.deciders, *(v for vs in votes.values() for v in vs)}
        if appeal.decided_by:
            ids.add(appeal.decided_by)
        names = await self.desk.names(community, ids)
        config = await self.services.config.get(community)
        locale = self.services.i18n.pick_locale(None, config.community.locale)
        return render_appeal(self.services.i18n, locale, appeal, infraction, votes, names)

    async def _appeal_told(self, appeal_id: int, locale: str) -> Rich:
        state = await delivery_state(self.services.db, _notice_key(appeal_id))
        t = self.services.i18n.t
        if state == DELIVERED:
            return t("appeal.told", locale)
        if state == FAILED:
            return t("appeal.not_told", locale)
        return t("appeal.told_later", locale)


def render_appeal(
    i18n: I18n,
    locale: str,
    appeal: Appeal,
    infraction: Infraction,
    votes: Mapping[str, tuple[str, ...]],
    names: Mapping[str, str],
) -> OutgoingMessage:
    """An appeal on the moderators' desk, rebuilt from storage on every change."""

    def t(key: str, **values: Any) -> Rich:
        return i18n.t(key, locale, **values)

    deciders = ", ".join(names.get(m, m) for m in infraction.deciders)
    fields = [
        Field(
            t("appeal.infraction"),
            t(
                "appeal.infraction_line",
                number=infraction.id,
                kind=i18n.text(f"kind.{infraction.kind}", locale),
                time=format_time(infraction.at, locale),
                moderator=deciders,
                reason=infraction.reason or "—",
            ),
        ),
        Field(t("appeal.text"), t("appeal.quoted", text=excerpt(appeal.text, APPEAL_MAX_CHARS))),
    ]
    if appeal.status is AppealStatus.OPEN:
        lines = [
            t(
                "appeal.votes",
                emoji=EMOJI[AppealDecision(decision)],
                decision=i18n.text(f"appeal.decision_{decision}", locale),
                names=", ".join(names.get(v, v) for v in voters),
            )
            for decision, voters in votes.items()
        ]
        needed = len(infraction.deciders)
        lines.append(
            t(
                "appeal.open",
                uphold=EMOJI[AppealDecision.UPHOLD],
                lift=EMOJI[AppealDecision.LIFT],
                moderator=deciders,
                count=needed,
            )
        )
        status = join(lines)
    else:
        decision = (
            AppealDecision.UPHOLD if appeal.status is AppealStatus.UPHELD else AppealDecision.LIFT
        )
        voters = votes.get(decision.value, ()) or (appeal.decided_by or "",)
        status = t(
            "appeal.decided",
            emoji=EMOJI[decision],
            status=i18n.text(f"appeal.outcome_{appeal.status.value}", locale),
            moderator=", ".join(names.get(v, v) for v in voters),
            time=format_time(appeal.decided_at or appeal.at, locale),
        )
        if appeal.reason:
            status = (*status, *t("appeal.decided_reason", reason=appeal.reason))
    fields.append(Field(t("appeal.status"), status))
    title = t("appeal.title", number=appeal.id, member=appeal.member_name)
    return OutgoingMessage(title=title, fields=tuple(fields))


def _notice_key(appeal_id: int) -> str:
    return f"moderation:appeal:{appeal_id}:notice"
