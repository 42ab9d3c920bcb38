"""Admin and moderator commands: preview the welcome, change it, send it for real.

`/welcome set` stores community overrides through the config store, so the same
validation as the TOML file applies; a template is checked with `bot.templates.problems`
first so the admin hears exactly what is wrong with it. All changes of one command are
validated together before any is stored, and each stored change is audited.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from pydantic import ValidationError

from bot.cog import Services
from bot.config import apply_dotted
from bot.errors import UserError
from bot.i18n import normalise_locale
from bot.interaction import Interaction
from bot.model import ChannelRef, Member, UserRef
from bot.outgoing import ChannelMention, OutgoingMessage, Plain, Rich, join
from cogs.welcome.config import MAX_VARIANTS, WelcomeConfig, template_problems
from cogs.welcome.greeting import PREVIEW_ACTION, Delivery, Greeter, settings_of


class WelcomeAdmin:
    def __init__(self, services: Services, greeter: Greeter) -> None:
        self.services = services
        self.greeter = greeter

    async def preview(self, interaction: Interaction) -> None:
        """Show the invoking member the welcome they would get, where it would go."""
        locale = interaction.args.text("locale")
        composed = await self.greeter.compose(interaction.member, interaction.config, locale)
        header = [await self._where(interaction)]
        if composed.variants > 1:
            header.append(interaction.t("welcome.preview.variants", count=composed.variants))
        message = composed.message
        buttons = tuple(replace(b, action_id=PREVIEW_ACTION) for b in message.buttons)
        await interaction.reply(
            OutgoingMessage(title=join(header), text=message.text, buttons=buttons)
        )

    async def set(self, interaction: Interaction) -> None:
        changes = self._changes(interaction)
        if not changes:
            raise UserError(interaction.i18n.text("welcome.set.nothing", interaction.locale))
        self._validate_together(interaction, changes)
        store = self.services.config
        now = self.services.clock.now()
        community = interaction.community
        # Switch things on before switching others off, so no single step would leave
        # welcomes with nowhere to go (each step is validated on its own when stored).
        for key, value in sorted(changes.items(), key=lambda item: item[1] is not True):
            await store.set_override(community, key, value, interaction.member.id, now)
            await self.services.audit.record(
                community.key, interaction.member.id, "welcome.set", now, key, {"value": value}
            )
        await interaction.reply(
            join([interaction.t("welcome.set.saved"), *self._describe(interaction, changes)])
        )

    async def test(self, interaction: Interaction) -> None:
        """Send the real welcome for a member, as if they had just joined, and tell the
        moderator where it truly went (or that it waits for the platform)."""
        target = interaction.args["member"]
        member = None
        if isinstance(target, UserRef):
            member = await interaction.platform.fetch_member(target)
        if member is None:
            raise UserError(interaction.i18n.text("welcome.test.not_member", interaction.locale))
        if member.is_bot:
            raise UserError(interaction.i18n.text("welcome.test.bot", interaction.locale))
        delivery = await self.greeter.deliver(member, interaction.config)
        await self.services.audit.record(
            interaction.community.key,
            interaction.member.id,
            "welcome.test",
            self.services.clock.now(),
            member.id,
        )
        await interaction.reply(_delivery_report(interaction, member, delivery))

    # -- helpers --------------------------------------------------------------------------

    async def _where(self, interaction: Interaction) -> Rich:
        settings = settings_of(interaction.config)
        configured, channel = await self.greeter.welcome_channel(
            interaction.community, interaction.config
        )
        shown = ChannelMention(channel.id, channel.name) if channel else Plain(f"#{configured}")
        if not settings.enabled:
            return interaction.t("welcome.preview.disabled")
        if settings.dm and settings.public:
            return interaction.t("welcome.preview.both", channel=shown)
        if settings.dm:
            return interaction.t("welcome.preview.dm", channel=shown)
        return interaction.t("welcome.preview.public", channel=shown)

    def _changes(self, interaction: Interaction) -> dict[str, Any]:
        """The overrides a `/welcome set` asks for, as dotted keys."""
        args = interaction.args
        changes: dict[str, Any] = {}
        channel = args["channel"]
        if isinstance(channel, ChannelRef):
            changes["welcome.channel"] = channel.id
        for option in ("dm", "public"):
            if args[option] is not None:
                changes[f"welcome.{option}"] = bool(args[option])
        template, locale = args.text("template"), args.text("locale")
        if template is not None:
            changes.update(self._template_change(interaction, template, locale))
        elif locale is not None:
            raise UserError(interaction.i18n.text("welcome.set.locale_alone", interaction.locale))
        return changes

    def _template_change(
        self, interaction: Interaction, template: str, locale: str | None
    ) -> dict[str, list[str]]:
        """Replace a language's variants with `template`, or add it with ``add:yes``."""
        reasons = template_problems(template)
        if reasons:
            raise UserError(
                interaction.i18n.text(
                    "welcome.set.bad_template", interaction.locale, reasons="; ".join(reasons)
                )
            )
        language = normalise_locale(locale or interaction.config.community.locale) or "en"
        variants = [template]
        if interaction.args["add"]:
            variants = [*settings_of(interaction.config).templates.get(language, []), template]
        if len(variants) > MAX_VARIANTS:
            raise UserError(
                interaction.i18n.text(
                    "welcome.set.too_many", interaction.locale, limit=MAX_VARIANTS
                )
            )
        return {f"welcome.templates.{language}": variants}

    def _validate_together(self, interaction: Interaction, changes: dict[str, Any]) -> None:
        """Refuse the whole command if its changes, taken together, would not validate."""
        current = {"welcome": settings_of(interaction.config).model_dump(mode="json")}
        candidate = apply_dotted(current, changes)["welcome"]
        try:
            WelcomeConfig.model_validate(candidate)
        except ValidationError as error:
            problem = "; ".join(str(e["msg"]).removeprefix("Value error, ") for e in error.errors())
            raise UserError(
                interaction.i18n.text("welcome.set.invalid", interaction.locale, problem=problem)
            ) from None

    def _describe(self, interaction: Interaction, changes: dict[str, Any]) -> list[Rich]:
        described = []
        for key, value in changes.items():
            setting = key.removeprefix("welcome.")
            if isinstance(value, list):
                described.append(
                    interaction.t(
                        "welcome.set.template_saved",
                        language=setting.removeprefix("templates."),
                        count=len(value),
                    )
                )
            elif isinstance(value, bool):
                state = interaction.i18n.text(
                    "welcome.set.on" if value else "welcome.set.off", interaction.locale
                )
                described.append(interaction.t("welcome.set.value", setting=setting, value=state))
            else:
                described.append(interaction.t("welcome.set.value", setting=setting, value=value))
        return described


def _delivery_report(interaction: Interaction, member: Member, delivery: Delivery) -> Rich:
    channel = (
        ChannelMention(delivery.channel.id, delivery.channel.name) if delivery.channel else None
    )
    name = member.shown_name
    if delivery.queued:
        return interaction.t("welcome.test.queued", member=name)
    if delivery.missing_channel is not None and not delivery.dm:
        return interaction.t(
            "welcome.test.nowhere", member=name, channel=f"#{delivery.missing_channel}"
        )
    if delivery.dm_closed and channel is not None:
        return interaction.t("welcome.test.fallback", member=name, channel=channel)
    if delivery.dm and channel is not None:
        return interaction.t("welcome.test.both", member=name, channel=channel)
    if delivery.dm:
        return interaction.t("welcome.test.dm", member=name)
    assert channel is not None
    return interaction.t("welcome.test.channel", member=name, channel=channel)
