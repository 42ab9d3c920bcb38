"""The moderation cog: wires events and commands to the parts that do the work.

- `checking`: the hot path, every posted or edited message against the community's rules;
- `reports`: member reports by command, message action and form;
- `desk`: posting and refreshing flags in the moderators' channel;
- `settle`: moderators' decisions, by reaction or command, carried out once;
- `automod`: what Discord's AutoMod blocked or alerted on, filed on the same desk;
- `listing`: the lists moderators ask for;
- `direct`, `notes`, `appeals`, `audit_view`: moderators' commands without a flag (/warn,
  /timeout, /kick, /ban, /unban, /untimeout), notes on members, members' appeals, /audit.

State lives in storage (`storage/moderation.py`), never in this object, so a restart
between a flag and a moderator's reaction changes nothing.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.cog import (
    Cog,
    Services,
    after_delivery,
    carries_out,
    command,
    form,
    job,
    listen,
    message_command,
)
from bot.commands import Option, OptionType, Permission, format_duration
from bot.config import Roles
from bot.delivery import Outcome
from bot.effects import Attempt, DirectMessage, Effect, Unreact
from bot.errors import UserError
from bot.events import (
    Connected,
    FilterActed,
    MessageEdited,
    MessagePosted,
    ReactionAdded,
    ReactionRemoved,
)
from bot.interaction import Interaction
from bot.languages import known_language, known_languages
from bot.model import ChannelRef, Community, Member, MessageRef
from bot.outgoing import Markup, OutgoingMessage
from bot.permissions import has_permission, is_admin
from bot.platform import Capability
from bot.platform_names import platform_name
from bot.reconcile import ReactionLedger, catch_up
from bot.spans import last_span
from bot.text import excerpt
from cogs.moderation.actions import ModAction
from cogs.moderation.appeals import AppealDesk
from cogs.moderation.audit_view import AuditCommands
from cogs.moderation.automod.filing import FilterDesk
from cogs.moderation.checking import REMOVED, MessageChecker
from cogs.moderation.config import MAX_TIMEOUT, ModerationConfig
from cogs.moderation.desk import POSTED, REFRESH_JOB, RETRY_CALL, FlagDesk, post_ref
from cogs.moderation.direct import DirectActions
from cogs.moderation.listing import (
    SHOWN_FLAGS,
    SHOWN_INFRACTIONS,
    SHOWN_NOTES,
    infractions_reply,
    open_flags_reply,
)
from cogs.moderation.notes import MemberNoting
from cogs.moderation.notices import AUTHOR_TOLD, SECRET_TOLD, Notifier
from cogs.moderation.reasons import LOCALES
from cogs.moderation.reports import FORM_PREFIX, REASON_MAX_CHARS, ReportDesk
from cogs.moderation.settle import ACTED, DELETED, Feedback, Settler
from cogs.moderation.submissions import SubmissionScreener
from cogs.moderation.watch import WATCH_EDITED, WATCH_POSTED, WatchNotices
from storage.appeals import Appeals
from storage.database import Transaction
from storage.jobs import Job
from storage.moderation import Flag, FlagStatus, ModerationRepository


class ModerationCog(DirectActions, MemberNoting, AppealDesk, AuditCommands, Cog):
    name = "moderation"
    config_model = ModerationConfig
    locales = LOCALES

    def __init__(self, services: Services) -> None:
        super().__init__(services)
        self.repo = ModerationRepository(services.db, services.audit)
        self.desk = FlagDesk(services, self.repo)
        self.notifier = Notifier(services)
        self.settler = Settler(services, self.repo, self.desk, self.notifier)
        self.reports = ReportDesk(services, self.repo, self.desk)
        self.filters = FilterDesk(services, self.repo, self.desk)
        self.watch = WatchNotices(services)
        self.checker = MessageChecker(services, self.repo, self.desk, self.notifier, self.watch)
        services.screen.register(
            SubmissionScreener(services, self.repo, self.desk, self.checker.rulesets)
        )
        self.ledger = ReactionLedger(services.db)
        self.appeals = Appeals(services.db, services.audit)

    async def setup(self) -> None:
        """Write what a crash or an older version left unwritten: claimed flags' actions and
        unposted flags' posts. Keys are derived from the flags, so nothing is added twice;
        the outbox carries them out once running."""
        await self.ledger.recover(self._reaction_item_open)
        acting = await self.repo.acting()
        # Read each community's configuration before the transaction (and so into the
        # cache, which the continuations of its flags read inside the outbox's transaction).
        for key in await self.repo.communities():
            await self.config(Community.from_key(key))
        async with self.services.db.transaction() as tx:
            for flag in acting:
                await self.settler.plan(tx, Community.from_key(flag.community), flag.id)
            for community in await self.repo.communities_with_unposted(tx):
                for flag in await self.repo.unposted(tx, community):
                    await self.desk.publish(tx, Community.from_key(community), flag.id)

    @job(REFRESH_JOB)
    async def recover(self, job: Job) -> None:
        """Jobs an older version scheduled to post or refresh a flag: write it now."""
        community = Community.from_key(job.community)
        await self.config(community)
        async with self.services.db.transaction() as tx:
            await self.settler.plan(tx, community, int(job.payload["flag"]))
            await self.desk.publish(tx, community, int(job.payload["flag"]))

    # -- outbox continuations ---------------------------------------------------------------

    @after_delivery(POSTED)
    async def flag_posted(self, tx: Transaction, outcome: Outcome, data: dict[str, Any]) -> None:
        await self.desk.posted(tx, outcome, data)

    @carries_out(RETRY_CALL)
    async def post_unposted(self, data: dict[str, Any], attempt: Attempt) -> None:
        await self.desk.post_unposted(data, attempt)

    @after_delivery(ACTED)
    async def acted(self, tx: Transaction, outcome: Outcome, data: dict[str, Any]) -> None:
        await self.settler.acted(tx, outcome, data)

    @after_delivery(DELETED)
    async def deleted(self, tx: Transaction, outcome: Outcome, data: dict[str, Any]) -> None:
        await self.settler.deleted(tx, outcome, data)

    @after_delivery(REMOVED)
    async def removed(self, tx: Transaction, outcome: Outcome, data: dict[str, Any]) -> None:
        await self.checker.removed(tx, outcome, data)

    @after_delivery(AUTHOR_TOLD)
    async def author_told(self, tx: Transaction, outcome: Outcome, data: dict[str, Any]) -> None:
        if outcome.error is None:
            return
        community = Community.from_key(str(data["community"]))
        details = await self.repo.details(community.key, int(data["flag"]), tx)
        if details is not None:
            await self.notifier.author_not_told(
                tx, community, details, ModAction(str(data["action"]))
            )

    @after_delivery(WATCH_POSTED)
    async def watch_posted(self, tx: Transaction, outcome: Outcome, data: dict[str, Any]) -> None:
        await self.watch.posted(tx, outcome, data)

    @after_delivery(WATCH_EDITED)
    async def watch_edited(self, tx: Transaction, outcome: Outcome, data: dict[str, Any]) -> None:
        await self.watch.edited(tx, outcome, data)

    @after_delivery(SECRET_TOLD)
    async def secret_told(self, tx: Transaction, outcome: Outcome, data: dict[str, Any]) -> None:
        await self.notifier.secret_not_told(tx, outcome, data)

    # -- the hot path -----------------------------------------------------------------------

    @listen(MessagePosted)
    async def on_message(self, event: MessagePosted) -> None:
        await self.checker.check(event.message, edited=False)

    @listen(MessageEdited)
    async def on_edit(self, event: MessageEdited) -> None:
        await self.checker.check(event.message, edited=True)

    @listen(FilterActed)
    async def on_filter(self, event: FilterActed) -> None:
        """Discord's AutoMod acted: on the same desk as the bot's flags, once per message."""
        await self.filters.file(event)

    # -- moderators' reactions --------------------------------------------------------------

    @listen(ReactionAdded)
    async def on_reaction(self, event: ReactionAdded) -> None:
        if event.member.is_bot:
            return
        community = event.community
        flag = await self.repo.flag_for_post(
            community.key, event.message.channel.id, event.message.id
        )
        if flag is None:
            await self.on_appeal_reaction(event)
            return
        async with self.ledger.handling(event) as fresh:
            if fresh:  # else acted on before (live, or after a reconnect)
                await self._flag_reaction(event, flag)

    async def _flag_reaction(self, event: ReactionAdded, flag: Flag) -> None:
        community = event.community
        config = await self.config(community)
        platform = self.platform(community)
        if not has_permission(event.member, Permission.MODERATOR, config.community.roles):
            # Only moderators decide; anyone else's reaction is taken off the flag.
            if Capability.REMOVE_REACTIONS in platform.capabilities:
                await self._write(Unreact(event.message, event.emoji, event.member.ref))
            return
        action = config.section("moderation", ModerationConfig).reactions.action(event.emoji)
        if action is None:
            return
        locale = await self.services.locale_for(event.member)
        if _judges_themselves(flag, event.member, config.community.roles):
            own = self.services.i18n.t("feedback.own_flag", locale, number=flag.id)
            await self._tell_moderator(event, Feedback(own, acted=False))
            return
        feedback = await self.settler.decide(
            community, flag.id, action, event.member.id, "", locale
        )
        if not feedback.acted and not feedback.repeated:
            await self._tell_moderator(event, feedback)

    @listen(ReactionRemoved)
    async def on_unreaction(self, event: ReactionRemoved) -> None:
        """A moderator taking back a reaction withdraws their vote on an open flag."""
        if event.member.is_bot:
            return
        community = event.community
        flag = await self.repo.flag_for_post(
            community.key, event.message.channel.id, event.message.id
        )
        if flag is None:
            await self.on_appeal_unreaction(event)
            return
        await self.ledger.taken_off(event)
        if flag.status is not FlagStatus.OPEN:
            return
        config = await self.config(community)
        if not has_permission(event.member, Permission.MODERATOR, config.community.roles):
            return
        action = config.section("moderation", ModerationConfig).reactions.action(event.emoji)
        now = self.services.clock.now()
        if action is None:
            return
        written = None
        async with self.services.db.transaction() as tx:
            if await self.repo.withdraw_vote(
                community.key, flag.id, action, event.member.id, now, tx=tx
            ):
                written = await self.desk.publish(tx, community, flag.id)
        if written is not None:
            await self.services.outbox.deliver(written)

    @listen(Connected)
    async def catch_up(self, event: Connected) -> None:
        """Settle what moderators decided by reaction while the bot was away, on the newest
        open flags and appeals, through the same handlers as live reactions (each reaction
        once)."""
        community = event.community
        config = await self.config(community)
        limit = config.section("moderation", ModerationConfig).catch_up_flags
        flags = await self.repo.recent_open_posts(community.key, limit) if limit else []
        posts = [
            MessageRef(ChannelRef(community, str(f.post_channel_id)), str(f.post_message_id))
            for f in flags
        ]
        posts += await self.appeal_posts(community, limit)
        await catch_up(
            self.ledger,
            self.platform(community),
            posts,
            added=self.on_reaction,
            removed=self.on_unreaction,
        )

    async def _reaction_item_open(
        self, community: str, channel_id: str, message_id: str
    ) -> bool | None:
        """Whether the flag or appeal posted there is still open; None: neither's post."""
        flag = await self.repo.flag_for_post(community, channel_id, message_id)
        if flag is not None:
            return flag.status is FlagStatus.OPEN
        return await self.appeal_open(community, channel_id, message_id)

    async def _tell_moderator(self, event: ReactionAdded, feedback: Feedback) -> None:
        """Answer a reaction that did nothing privately (a late reaction on a settled flag,
        an action the platform lacks): the flag itself shows everyone what happened."""
        await self._write(DirectMessage(event.member.ref, OutgoingMessage(text=feedback.text)))

    async def _write(self, effect: Effect) -> None:
        """An answer to an event, with no state change of its own: written and carried out."""
        async with self.services.db.transaction() as tx:
            pending = await self.services.outbox.add(tx, effect)
        await self.services.outbox.deliver(pending)

    # -- reports ----------------------------------------------------------------------------

    @command(
        "report",
        "Report a message to the moderators.",
        Option("message", "Link to the message", OptionType.MESSAGE_LINK),
        Option("reason", "What is wrong with it", max_length=REASON_MAX_CHARS),
        private=True,
        description_de="Eine Nachricht den Moderator*innen melden.",
    )
    async def report(self, interaction: Interaction) -> None:
        await self.reports.report_by_link(interaction)

    @message_command(
        "Report message",
        description="Report this message to the moderators.",
        name_de="Nachricht melden",
        description_de="Diese Nachricht dem Moderationsteam melden.",
        opens_form=True,  # asks for the reason
    )
    async def report_message(self, interaction: Interaction) -> None:
        await self.reports.report_by_action(interaction)

    @form(FORM_PREFIX)
    async def report_form(self, interaction: Interaction) -> None:
        await self.reports.report_by_form(interaction)

    # -- moderators' commands ---------------------------------------------------------------

    @command(
        "flags open",
        "List the flags no moderator has settled yet.",
        Option(
            "language",
            "Only flags about messages in this language's channels, e.g. de",
            required=False,
            keyword_only=True,
        ),
        permission=Permission.MODERATOR,
        private=True,
        description_de="Offene Meldungen auflisten, die noch niemand entschieden hat.",
    )
    async def flags_open(self, interaction: Interaction) -> None:
        community = interaction.community
        language = self._language_filter(interaction)
        flags, total = await self.repo.open_flags(community.key, SHOWN_FLAGS, language)
        links = {}
        for details in flags:
            if details.flag.post_message_id is not None:
                links[details.flag.id] = await interaction.platform.permalink(
                    post_ref(community, details.flag)
                )
        await interaction.reply(
            open_flags_reply(
                interaction.i18n,
                interaction.locale,
                flags,
                total,
                links,
                self.services.clock.now(),
                (await self.config(community)).section("moderation", ModerationConfig),
                language,
            )
        )

    def _language_filter(self, interaction: Interaction) -> str | None:
        """A typed ``language:`` as a catalog language (``DE`` -> ``de``); one the bot does
        not speak is refused rather than listing nothing."""
        typed = interaction.args.text("language")
        if typed is None:
            return None
        code = known_language(typed)
        if code is None:
            raise UserError(
                self.services.i18n.text(
                    "list.language_unknown",
                    interaction.locale,
                    language=excerpt(typed, 12),
                    known=known_languages(),
                )
            )
        return code

    @command(
        "flag resolve",
        "Settle a flag without reacting: dismiss, delete, warn, timeout, kick or ban.",
        Option("flag", "Flag number, e.g. 12", OptionType.INTEGER, min_value=1),
        Option("action", "What to do", OptionType.CHOICE, choices=tuple(ModAction)),
        Option(
            "duration",
            "How long a timeout lasts, e.g. 2h or 3d (default: the configured one)",
            OptionType.DURATION,
            required=False,
            keyword_only=True,
        ),
        Option("reason", "Why; the author sees it", required=False, max_length=REASON_MAX_CHARS),
        permission=Permission.MODERATOR,
        private=True,
        description_de="Eine Meldung ohne Reaktion entscheiden.",
    )
    async def flag_resolve(self, interaction: Interaction) -> None:
        flag_id, duration = interaction.args["flag"], interaction.args["duration"]
        assert isinstance(flag_id, int) and isinstance(duration, timedelta | None)
        action = ModAction(str(interaction.args["action"]))
        if duration is not None and action is not ModAction.TIMEOUT:
            raise UserError(
                interaction.i18n.text("feedback.duration_only", interaction.locale, number=flag_id)
            )
        flag = await self.repo.flag(interaction.community.key, flag_id)
        if flag is not None and _judges_themselves(
            flag, interaction.member, interaction.config.community.roles
        ):
            raise UserError(
                interaction.i18n.text("feedback.own_flag", interaction.locale, number=flag_id)
            )
        if duration is not None and duration > MAX_TIMEOUT:
            raise UserError(
                interaction.i18n.text(
                    "feedback.too_long_flag",
                    interaction.locale,
                    max=format_duration(MAX_TIMEOUT),
                    number=flag_id,
                )
            )
        feedback = await self.settler.decide(
            interaction.community,
            flag_id,
            action,
            interaction.member.id,
            interaction.args.text("reason") or "",
            interaction.locale,
            duration,
        )
        await interaction.reply(feedback.text)

    @command(
        "infractions",
        "Show a member's warnings, timeouts, kicks and bans.",
        Option("member", "Whose record: @name, or the name or ID of someone who left"),
        permission=Permission.MODERATOR,
        private=True,
        description_de="Verwarnungen, Timeouts, Kicks und Banns eines Mitglieds zeigen.",
    )
    async def infractions(self, interaction: Interaction) -> None:
        member_id, name = await self._whose_record(interaction, interaction.args.text("member"))
        community = interaction.community
        section = interaction.config.section("moderation", ModerationConfig)
        record = await self.repo.infractions(community.key, member_id, SHOWN_INFRACTIONS)
        since = self.services.clock.now() - section.history_window
        recent = await self.repo.infraction_counts(community.key, member_id, since)
        notes, note_count = await self.desk.notes.about(community.key, member_id, SHOWN_NOTES)
        moderators = await self.desk.names(
            community,
            {m for i in record for m in i.deciders}
            | {i.pardoned_by for i in record if i.pardoned_by}
            | {n.author_id for n in notes},
        )
        await interaction.reply(
            infractions_reply(
                interaction.i18n,
                interaction.locale,
                name,
                record,
                sum(recent.values()),
                last_span(interaction.i18n, section.history_window, interaction.locale),
                moderators,
                notes,
                note_count,
            )
        )

    @command(
        "infraction pardon",
        "Pardon an infraction given by mistake: it stays listed but no longer counts.",
        Option(
            "number", "Infraction number from /infractions, e.g. 3", OptionType.INTEGER, min_value=1
        ),
        Option("reason", "Why; kept in the record", required=False, max_length=REASON_MAX_CHARS),
        permission=Permission.MODERATOR,
        private=True,
        description_de="Einen Verstoß erlassen: Er bleibt sichtbar, zählt aber nicht mehr.",
    )
    async def infraction_pardon(self, interaction: Interaction) -> None:
        number = interaction.args["number"]
        assert isinstance(number, int)
        community, member = interaction.community, interaction.member
        found = await self.repo.infraction(community.key, number)
        if found is None:
            await interaction.say("pardon.missing", number=number)
            return
        if found.member_id == member.id and not is_admin(
            member, interaction.config.community.roles
        ):
            await interaction.say("pardon.own", number=number)
            return
        reason = interaction.args.text("reason") or ""
        now = self.services.clock.now()
        pardon = await self.repo.pardon(community.key, number, member.id, reason, now)
        if pardon.waiting:  # a quorum's decision takes as many moderators to pardon
            key = "pardon.repeated" if pardon.repeated else "pardon.pending"
            await interaction.say(key, number=number, have=pardon.votes, needed=pardon.needed)
            return
        if not pardon.done:
            await interaction.say("pardon.already", number=number)
            return
        kind = interaction.i18n.text(f"kind.{found.kind}", interaction.locale)
        reply = interaction.t("pardon.done", number=number, kind=kind, member=found.member_name)
        if found.kind in (ModAction.TIMEOUT, ModAction.BAN):
            platform = platform_name(
                interaction.i18n, interaction.platform.name, interaction.locale
            )
            lift = interaction.t(f"pardon.lift_{found.kind}", platform=platform)
            reply = (*reply, Markup(" "), *lift)
        await interaction.reply(reply)

    async def _whose_record(self, interaction: Interaction, text: str | None) -> tuple[str, str]:
        """A member by mention, or anyone with a record by ID or name (they may be banned)."""
        wanted = (text or "").strip()
        user = interaction.platform.parse_user(interaction.community, wanted)
        if user is not None:
            member = await interaction.platform.fetch_member(user)
            if member is not None:
                return member.id, member.shown_name
        found = await self.repo.find_member(
            interaction.community.key, user.id if user else wanted.removeprefix("@")
        )
        if found is not None:
            return found
        if user is not None:
            return user.id, user.id
        raise UserError(
            interaction.i18n.text("infractions.unknown", interaction.locale, member=wanted)
        )


def _judges_themselves(flag: Flag, member: Member, roles: Roles) -> bool:
    """Moderators never settle a flag about themselves; another moderator does. Admins may,
    since they hold every power anyway and a community may have no one else to ask."""
    return flag.author_id == member.id and not is_admin(member, roles)
