"""The welcome cog: declares the handlers and hands each to the module that does the job.

greeting.py composes and delivers welcomes, rules.py handles acceptance and the reminder,
waves.py watches for join waves, raids.py takes (and takes back) the measures a wave
calls for, kudos.py keeps the thank-yous, first_posts.py notes a
newcomer's first message, admin.py serves the ``/welcome`` commands. This class only
wires them to events, commands, buttons and jobs.
"""

from __future__ import annotations

import logging
import random
from pathlib import Path
from typing import Any

from bot.cog import Cog, Services, after_delivery, button, command, job, listen
from bot.commands import Option, OptionType, Permission
from bot.config import EffectiveConfig
from bot.delivery import Outcome, Pending
from bot.errors import PlatformUnavailable
from bot.events import Connected, MemberJoined, MemberScreened, MessagePosted, ReactionAdded
from bot.interaction import Interaction
from bot.model import Member
from cogs.welcome.admin import WelcomeAdmin
from cogs.welcome.config import MAX_TEMPLATE_LENGTH, WelcomeConfig
from cogs.welcome.first_posts import FirstPosts
from cogs.welcome.greeting import (
    ACCEPT_ACTION,
    DM_REFUSED,
    LATER_KIND,
    PREVIEW_ACTION,
    Greeter,
    Prepared,
    settings_of,
)
from cogs.welcome.kudos import Kudos
from cogs.welcome.raids import ACT_KIND as RAID_ACT_KIND
from cogs.welcome.raids import END_KIND as RAID_END_KIND
from cogs.welcome.raids import STEP_DONE as RAID_STEP_DONE
from cogs.welcome.raids import RaidGuard
from cogs.welcome.rules import REMINDER_KIND, RulesAcceptance
from cogs.welcome.waves import ALERT_EDITED, ALERT_POSTED, END_KIND, JoinWaves
from storage.database import Transaction
from storage.jobs import Job
from storage.kudos import KudosRepository
from storage.raids import RaidRepository
from storage.welcome import Newcomer, WaveMember, WelcomeRepository

log = logging.getLogger(__name__)

# A thank-you is a sentence or two; longer reasons belong in a message of one's own.
MAX_REASON_LENGTH = 300


class WelcomeCog(Cog):
    name = "welcome"
    config_model = WelcomeConfig
    locales = Path(__file__).parent / "locales"

    def __init__(self, services: Services, rng: random.Random | None = None) -> None:
        super().__init__(services)
        self.newcomers = newcomers = WelcomeRepository(services.db)
        # Tests may pass their own seeded `random.Random`; scripts seed `services.random`.
        self.greeter = Greeter(services, newcomers, rng or services.random)
        self.rules = RulesAcceptance(services, newcomers, self.greeter)
        raids = RaidRepository(services.db)
        self.waves = JoinWaves(services, newcomers, self.greeter, raids)
        self.raids = RaidGuard(services, raids, newcomers, self.waves)
        self.kudos = Kudos(services, KudosRepository(services.db))
        self.admin = WelcomeAdmin(services, self.greeter)
        self.first_posts = FirstPosts(newcomers)

    @listen(MemberJoined)
    async def on_join(self, event: MemberJoined) -> None:
        """Remember the join, watch for a wave, then greet (alone or with the wave).

        The platform is asked what the welcome and the alert need first; then the join,
        the wave decision, the welcome mark and every post they cause are written in one
        transaction, and delivered after it.
        """
        member = event.member
        if member.is_bot:
            return
        self.first_posts.joined(member)
        if event.pending:
            await self._remember_pending(event)
            return
        community = member.community
        config = await self.config(community)
        await self.waves.close_expired(community, config)
        places = await self.waves.places(community, config)
        greeting = await self._prepare_greeting(member, config)
        now = self.services.clock.now()
        written: list[Pending | None] = []
        async with self.services.db.transaction() as tx:
            await self.newcomers.record_join(
                tx, community.key, member.id, member.shown_name, member.created_at, now
            )
            newcomer = await self.newcomers.get(community.key, member.id, tx)
            assert newcomer is not None
            wave = await self.waves.on_join(tx, community, newcomer, config, places)
            raid = await self.raids.on_join(
                tx,
                community,
                WaveMember(member.id, member.shown_name, member.created_at, now),
                config,
                None if wave is None else wave.wave_id,
            )
            written += raid.written
            if wave is not None:
                written.append(wave.alert)
            else:
                written.append(await self.waves.log_join(tx, newcomer, config, places, now))
                if settings_of(config).enabled and greeting is None:
                    await self.greeter.welcome_later(tx, member, now)
                elif settings_of(config).enabled:
                    welcome = await self.greeter.welcome_newcomer(tx, greeting, now)
                    if welcome is not None:
                        written += [welcome.dm, welcome.post]
            if wave is not None:
                await self.waves.schedule_end(tx, community, wave.wave_id, config)
            await self.rules.schedule_reminder(tx, member, config)
        await self.services.outbox.deliver(*[p for p in written if p is not None])
        if raid.act is not None:
            await self.raids.act(community, raid.act)

    @listen(MessagePosted)
    async def on_message(self, event: MessagePosted) -> None:
        """Hold a raid's newcomer to the rules, or note a newcomer's first message (for
        the insights page)."""
        author = event.message.author
        if author.is_bot or await self.raids.rules.check(event.message):
            return  # a message the raid held is no first post
        if not self.first_posts.known(author):
            await self.first_posts.posted(author, self.services.clock.now())

    @listen(MemberScreened)
    async def on_screened(self, event: MemberScreened) -> None:
        """Welcome a member who passed the community's screening, as if they joined now.

        When the platform could not tell that they were pending (it had not seen them since
        a restart), only a join remembered as pending and not welcomed yet counts: a
        nickname change of a long-standing member is no reason to greet them.
        """
        member = event.member
        if member.is_bot:
            return
        if not event.certain:
            newcomer = await self.newcomers.get(member.community.key, member.id)
            if newcomer is None or _welcomed_since_join(newcomer):
                return
        await self.on_join(MemberJoined(member, event.at))

    async def _prepare_greeting(self, member: Member, config: EffectiveConfig) -> Prepared | None:
        """What the welcome needs from the platform, or None when the platform cannot say
        right now: the join is still recorded and the welcome follows as a job."""
        try:
            return await self.greeter.prepare(member, config)
        except PlatformUnavailable as error:
            log.info("welcoming %s a little later: %s", member.id, error)
            return None

    async def _remember_pending(self, event: MemberJoined) -> None:
        """A pending join is remembered (so a restart before screening ends forgets
        nobody) but neither greeted nor counted in a wave until they pass."""
        member = event.member
        async with self.services.db.transaction() as tx:
            await self.newcomers.record_join(
                tx,
                member.community.key,
                member.id,
                member.shown_name,
                member.created_at,
                self.services.clock.now(),
            )

    @button("welcome:")
    async def on_button(self, interaction: Interaction) -> None:
        """``welcome:accept:<owner>``, checked by `RulesAcceptance.accept`; or a preview's."""
        if interaction.action_id.startswith(ACCEPT_ACTION):
            owner = interaction.action_id.removeprefix(ACCEPT_ACTION).removeprefix(":")
            await self.rules.accept(interaction, owner or None)
        elif interaction.action_id == PREVIEW_ACTION:
            await interaction.say("welcome.preview.button")

    @command(
        "welcome accept",
        "Accept the community rules (the same as the button on the welcome).",
        description_de="Die Regeln der Community annehmen (wie der Knopf in der Begrüßung).",
        private=True,
    )
    async def accept(self, interaction: Interaction) -> None:
        await self.rules.accept(interaction)

    @command(
        "welcome preview",
        "See the welcome as you would receive it, in your language.",
        Option(
            "locale", "Preview another language instead, e.g. de", required=False, max_length=10
        ),
        description_de="Die Begrüßung so sehen, wie du sie bekämst, in deiner Sprache.",
        permission=Permission.ADMIN,
        private=True,
    )
    async def preview(self, interaction: Interaction) -> None:
        await self.admin.preview(interaction)

    @command(
        "welcome set",
        "Change the welcome: channel, DM on/off, public post on/off, template per language.",
        Option("channel", "Channel for public welcomes", OptionType.CHANNEL, required=False),
        Option("dm", "Send the welcome as a direct message", OptionType.BOOLEAN, required=False),
        Option("public", "Post the welcome in the channel", OptionType.BOOLEAN, required=False),
        Option("locale", "Language of the template, e.g. de", required=False, max_length=10),
        Option(
            "template",
            "Welcome text with {member} {name} {community} {rules} {member_count}",
            required=False,
            max_length=MAX_TEMPLATE_LENGTH,
        ),
        Option(
            "add",
            "Add the template as one more variant instead of replacing",
            OptionType.BOOLEAN,
            required=False,
        ),
        description_de="Die Begrüßung ändern: Kanal, Direktnachricht, öffentlicher Beitrag, "
        "Vorlage je Sprache.",
        permission=Permission.ADMIN,
        private=True,
    )
    async def set(self, interaction: Interaction) -> None:
        await self.admin.set(interaction)

    @command(
        "welcome test",
        "Send a member's welcome now, as if they had just joined.",
        Option("member", "Whom to welcome", OptionType.USER),
        description_de="Einem Mitglied jetzt die Begrüßung schicken, als wäre es gerade "
        "beigetreten.",
        permission=Permission.MODERATOR,
        private=True,
    )
    async def test(self, interaction: Interaction) -> None:
        await self.admin.test(interaction)

    @command(
        "kudos give",
        "Thank a member in public for something they did.",
        Option("member", "Whom to thank", OptionType.USER),
        Option("reason", "What for", max_length=MAX_REASON_LENGTH),
        description_de="Einem Mitglied öffentlich für etwas danken.",
    )
    async def kudos_give(self, interaction: Interaction) -> None:
        await self.kudos.give(interaction)

    @command(
        "kudos top",
        "Show this month's most-thanked members.",
        description_de="Die Mitglieder mit den meisten Kudos in diesem Monat zeigen.",
    )
    async def kudos_top(self, interaction: Interaction) -> None:
        await self.kudos.top(interaction)

    @job(REMINDER_KIND)
    async def on_reminder(self, due: Job) -> None:
        await self.rules.remind(due)

    @job(LATER_KIND)
    async def on_welcome_later(self, due: Job) -> None:
        await self.services.outbox.deliver(*await self.greeter.on_later(due))

    @job(END_KIND)
    async def on_wave_end(self, due: Job) -> None:
        await self.waves.on_end_job(due)

    @job(RAID_ACT_KIND)
    async def on_raid_act(self, due: Job) -> None:
        await self.raids.on_act_job(due)

    @job(RAID_END_KIND)
    async def on_raid_end(self, due: Job) -> None:
        await self.raids.on_end_job(due)

    @listen(ReactionAdded)
    async def on_reaction(self, event: ReactionAdded) -> None:
        """A moderator's ↩️ (undo all) or ⏹️ (end the raid state) on a raid's alert."""
        await self.raids.on_reaction(event)

    @listen(Connected)
    async def on_connected(self, event: Connected) -> None:
        """Act on the raid controls moderators used while the bot was away."""
        await self.raids.catch_up(event.community)

    @after_delivery(RAID_STEP_DONE)
    async def on_raid_step(self, tx: Transaction, outcome: Outcome, data: dict[str, Any]) -> None:
        await self.raids.after_step(tx, outcome, data)

    @after_delivery(DM_REFUSED)
    async def on_dm_refused(self, tx: Transaction, outcome: Outcome, data: dict[str, Any]) -> None:
        await self.greeter.after_dm(tx, outcome, data)

    @after_delivery(ALERT_POSTED)
    async def on_alert_posted(
        self, tx: Transaction, outcome: Outcome, data: dict[str, Any]
    ) -> None:
        await self.waves.after_alert_posted(tx, outcome, data)

    @after_delivery(ALERT_EDITED)
    async def on_alert_edited(
        self, tx: Transaction, outcome: Outcome, data: dict[str, Any]
    ) -> None:
        await self.waves.after_alert_edited(tx, outcome, data)


def _welcomed_since_join(newcomer: Newcomer) -> bool:
    """Greeted for their latest join (a rejoin moves `joined_at` past an old welcome)."""
    welcomed, joined = newcomer.welcomed_at, newcomer.joined_at
    return welcomed is not None and (joined is None or welcomed >= joined)
