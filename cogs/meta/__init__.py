"""Built-in commands every community gets: /help, /about, /config, /privacy, /dashboard and
/languages."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

from bot import __version__, command_texts, formatting
from bot.cog import Cog, Services, after_delivery, command
from bot.commands import Option, OptionType, Permission
from bot.community_check import refusal
from bot.config import is_secret_key, mask_secret
from bot.delivery import Outcome
from bot.errors import UserError
from bot.interaction import Interaction
from bot.outgoing import Markup, join, rich
from bot.permissions import may_use
from cogs.meta.dashboard import DashboardDesk
from cogs.meta.languages import LanguagesDesk
from cogs.meta.privacy import NOTICE_POSTED, PrivacyDesk
from storage.database import Transaction


class MetaCog(Cog):
    name = "meta"
    locales = Path(__file__).parent / "locales"

    def __init__(self, services: Services) -> None:
        super().__init__(services)
        self.privacy = PrivacyDesk(services)
        self.dashboard_desk = DashboardDesk(services)
        self.languages = LanguagesDesk(services)

    @command(
        "help",
        "List the commands you can use here.",
        description_de="Die Befehle zeigen, die du hier nutzen kannst.",
        private=True,
    )
    async def help(self, interaction: Interaction) -> None:
        dispatcher = self.services.dispatcher
        assert dispatcher is not None
        roles = interaction.config.community.roles
        member, platform = interaction.member, interaction.platform
        lines = [interaction.t("help.title")]
        for _, registered in sorted(dispatcher.commands.items()):
            spec = registered.spec
            if may_use(member, spec, roles, platform):
                description = command_texts.description(interaction.i18n, spec, interaction.locale)
                lines.append(
                    interaction.t("help.line", usage=spec.usage(), description=description)
                )
        for _, action in sorted(dispatcher.message_commands.items()):
            if may_use(member, action.spec, roles, platform):
                lines.append(
                    interaction.t(
                        "help.action",
                        name=command_texts.action_name(
                            interaction.i18n, action.spec, interaction.locale
                        ),
                        description=command_texts.action_description(
                            interaction.i18n, action.spec, interaction.locale
                        ),
                    )
                )
        await interaction.reply(join(lines))

    @command(
        "about",
        "Show the version, uptime and connected platforms.",
        description_de="Version, Laufzeit und verbundene Plattformen zeigen.",
    )
    async def about(self, interaction: Interaction) -> None:
        services = self.services
        uptime = services.clock.now() - services.started_at
        # A public answer: in the channel's language (or the community's), for all who read it.
        language = interaction.community_locale
        await interaction.reply(
            interaction.t_public(
                "about.text",
                version=__version__,
                uptime=formatting.duration(uptime, language),
                platforms=", ".join(services.platforms.names()),
                community=interaction.config.community.name
                or await interaction.platform.community_name(interaction.community),
            )
        )

    @command(
        "config show",
        "Show this community's effective configuration.",
        Option("section", "Only this section, e.g. welcome", required=False),
        description_de="Die geltende Konfiguration dieser Community zeigen.",
        permission=Permission.ADMIN,
        private=True,
    )
    async def config_show(self, interaction: Interaction) -> None:
        everything = interaction.config.shown()
        section = interaction.args.text("section")
        if section is not None:
            if section not in everything:
                raise UserError(
                    interaction.i18n.text(
                        "config.unknown_section",
                        interaction.locale,
                        section=section,
                        sections=", ".join(sorted(everything)),
                    )
                )
            everything = {section: everything[section]}
        dumped = json.dumps(everything, indent=2, ensure_ascii=False)
        # The fence stands on a line of its own: text right after ``` would be read as the
        # code block's language and hide the JSON's first line on Discord.
        await interaction.reply(
            rich(interaction.t("config.show"), Markup("\n```\n"), dumped, Markup("\n```"))
        )

    @command(
        "config set",
        "Override one setting for this community, e.g. /config set welcome.dm true.",
        Option("key", "Dotted setting name, e.g. community.locale"),
        Option("value", "New value; TOML syntax for lists and numbers, else text"),
        description_de="Eine Einstellung für diese Community überschreiben, z. B. "
        "/config set welcome.dm true.",
        permission=Permission.ADMIN,
        private=True,
    )
    async def config_set(self, interaction: Interaction) -> None:
        key = str(interaction.args["key"])
        raw = str(interaction.args["value"])
        value = parse_value(raw)
        community = interaction.community
        candidate = await self.services.config.preview(community, key, value)
        # A channel or role that is not there would fail quietly later (a flag posted
        # nowhere): refuse it now, naming what there is.
        for facts in await interaction.platform.inspect_communities():
            if facts.community == community and (problem := refusal(candidate, key, facts)):
                raise problem
        await self.services.config.set_override(
            community, key, value, interaction.member.id, self.services.clock.now()
        )
        # A webhook URL or token is neither echoed nor written to the audit log.
        shown = mask_secret(value) if is_secret_key(key) else value
        await self.services.audit.record(
            interaction.community.key,
            interaction.member.id,
            "config.set",
            self.services.clock.now(),
            subject=key,
            details={"value": shown},
        )
        await interaction.say("config.saved", key=key, value=json.dumps(shown, ensure_ascii=False))

    @command(
        "config reset",
        "Remove an override so the configuration file's value applies again.",
        Option("key", "Dotted setting name"),
        description_de="Eine Überschreibung entfernen, sodass wieder der Wert aus der "
        "Konfigurationsdatei gilt.",
        permission=Permission.ADMIN,
        private=True,
    )
    async def config_reset(self, interaction: Interaction) -> None:
        key = str(interaction.args["key"])
        if not await self.services.config.clear_override(interaction.community, key):
            await interaction.say("config.not_overridden", key=key)
            return
        await self.services.audit.record(
            interaction.community.key,
            interaction.member.id,
            "config.reset",
            self.services.clock.now(),
            subject=key,
        )
        await interaction.say("config.reset", key=key)

    @command(
        "privacy info",
        "What this bot stores about you, for how long, and how to get a copy or have it erased.",
        description_de="Was dieser Bot über dich speichert, wie lange, und wie du eine Kopie "
        "oder die Löschung bekommst.",
        private=True,
    )
    async def privacy_info(self, interaction: Interaction) -> None:
        await self.privacy.info(interaction)

    @command(
        "privacy request",
        "Ask the admins for a copy of your data (export) or to erase it (erase).",
        Option("what", "export or erase", OptionType.CHOICE, choices=("export", "erase")),
        description_de="Die Admins um eine Kopie deiner Daten (export) oder ihre Löschung "
        "(erase) bitten.",
        private=True,
    )
    async def privacy_request(self, interaction: Interaction) -> None:
        await self.privacy.request(interaction)

    @command(
        "privacy confirm",
        "Confirm a member's privacy request: an erasure is carried out at once.",
        Option("number", "The request's number, e.g. 3", OptionType.INTEGER, min_value=1),
        description_de="Die Datenschutz-Anfrage eines Mitglieds bestätigen: eine Löschung "
        "wird sofort ausgeführt.",
        permission=Permission.ADMIN,
        private=True,
    )
    async def privacy_confirm(self, interaction: Interaction) -> None:
        await self.privacy.confirm(interaction)

    @command(
        "dashboard",
        # At most 100 characters: Discord's limit for a description, in every language.
        "Get a sign-in link to the insights pages by direct message (admins, ambassadors,"
        " moderators).",
        description_de="Per Direktnachricht einen Anmeldelink zu den Auswertungen holen"
        " (Botschafter, Moderation, Admins).",
        private=True,
    )
    async def dashboard(self, interaction: Interaction) -> None:
        await self.dashboard_desk.send_link(interaction)

    @command(
        "languages show",
        "Show the languages you handle and who handles each language (ambassadors and moderators).",
        description_de="Zeigen, welche Sprachen du betreust und wer welche Sprache betreut"
        " (Botschafter und Moderatoren).",
        private=True,
    )
    async def languages_show(self, interaction: Interaction) -> None:
        await self.languages.show(interaction)

    @command(
        "languages set",
        "Say which languages you handle, e.g. /languages set de fr; none clears them.",
        Option("languages", "Language codes, e.g. de fr (or none)"),
        Option(
            "member",
            "Admins only: whose languages to set",
            OptionType.USER,
            required=False,
            keyword_only=True,
        ),
        description_de="Sagen, welche Sprachen du betreust, z. B. /languages set de fr;"
        " none löscht sie.",
        private=True,
    )
    async def languages_set(self, interaction: Interaction) -> None:
        await self.languages.set(interaction)

    @after_delivery(NOTICE_POSTED)
    async def on_privacy_notice(
        self, tx: Transaction, outcome: Outcome, data: dict[str, Any]
    ) -> None:
        await self.privacy.after_notice(tx, outcome, data)


def parse_value(raw: str) -> object:
    """Read a value as TOML (numbers, booleans, lists, quoted text); else take it as text."""
    try:
        return tomllib.loads(f"value = {raw}")["value"]
    except tomllib.TOMLDecodeError:
        return raw
