"""``/languages show`` and ``/languages set``: ambassadors and moderators say which
languages they handle, so tickets in those languages ask them first (docs/languages.md).

A role per language (``[community.languages] roles``) counts as well and needs no command;
a declaration adds to it and replaces the member's earlier one as a whole. Admins may set
the languages of another member (``member:@Lena``), which the audit log records.
"""

from __future__ import annotations

from bot.cog import Services
from bot.commands import Permission
from bot.errors import UserError
from bot.i18n import SHIPPED_LOCALES
from bot.interaction import Interaction
from bot.languages import (
    known_language,
    known_languages,
    language_team,
    member_languages,
    role_languages,
)
from bot.model import Member, UserRef
from bot.outgoing import Mention, Segment, join, rich
from bot.permissions import has_permission, is_admin
from bot.text import excerpt
from storage.member_languages import MemberLanguages

# Words that clear a declaration: ``/languages set none``.
_NONE = {"none", "-", "keine"}
# A typed code echoed in an error is cut to this; no language code is longer.
_CODE_SHOWN = 12


class LanguagesDesk:
    def __init__(self, services: Services) -> None:
        self.services = services
        self.declared = MemberLanguages(services.db)

    async def show(self, interaction: Interaction) -> None:
        """The member's own languages, then who handles each language the bot speaks."""
        self._refuse_non_staff(interaction, interaction.member)
        settings = interaction.config.community
        mine = await member_languages(settings, interaction.member, self.declared)
        lines = [
            interaction.t("languages.yours", languages=", ".join(mine))
            if mine
            else interaction.t("languages.yours_none", known=known_languages())
        ]
        lines.append(interaction.t("languages.teams"))
        for code in SHIPPED_LOCALES:
            team = await language_team(settings, code, self.declared, interaction.community.key)
            if team is None:
                lines.append(interaction.t("languages.team_none", language=code))
            else:
                label = interaction.t("languages.team", language=code)
                lines.append(rich(label, " ", team.mentions()))
        await interaction.reply(join(lines))

    async def set(self, interaction: Interaction) -> None:
        """Replace the declared languages of the member (or, for an admin, of another).
        Who may is checked before what was typed: someone refused learns nothing about the
        codes, and is told the same whatever they typed."""
        target = await self._target(interaction)
        self._refuse_non_staff(interaction, target)
        codes = self._codes(interaction, interaction.args.text("languages") or "")
        community, now = interaction.community, self.services.clock.now()
        async with self.services.db.transaction() as tx:
            await self.declared.replace(
                community.key, target.id, codes, interaction.member.id, now, tx
            )
            await self.services.audit.record(
                community.key,
                interaction.member.id,
                "languages.set",
                now,
                subject=f"member:{target.id}",
                details={"languages": codes},
                tx=tx,
            )
        key, values = self._confirmation(interaction, target, codes)
        await interaction.say(key, **values)

    def _confirmation(
        self, interaction: Interaction, target: Member, codes: list[str]
    ) -> tuple[str, dict[str, Segment | str]]:
        roles = role_languages(interaction.config.community, target)
        values: dict[str, Segment | str] = {
            "languages": ", ".join(codes),
            "roles": ", ".join(roles) or "—",
            "member": Mention(target.id, target.shown_name),
        }
        own = target.id == interaction.member.id
        key = (
            ("languages.set_own" if own else "languages.set_other")
            if codes
            else ("languages.cleared_own" if own else "languages.cleared_other")
        )
        return key, values

    def _codes(self, interaction: Interaction, typed: str) -> list[str]:
        """The typed codes as catalog languages (``DE``, ``de-AT`` -> ``de``); ``none``
        clears. Any unknown code refuses the whole command, so nothing half-saved."""
        words = typed.replace(",", " ").split()
        if not words:
            raise UserError(interaction.i18n.text("languages.empty", interaction.locale))
        if len(words) == 1 and words[0].casefold() in _NONE:
            return []
        codes: list[str] = []
        for word in words:
            code = known_language(word)
            if code is None:
                shown = excerpt(word, _CODE_SHOWN)
                text = interaction.i18n.text(
                    "languages.unknown", interaction.locale, code=shown, known=known_languages()
                )
                raise UserError(text)
            codes.append(code)
        return list(dict.fromkeys(codes))

    async def _target(self, interaction: Interaction) -> Member:
        """Whose languages are set: the member's own, or (admins only) another member's."""
        user = interaction.args["member"]
        if not isinstance(user, UserRef) or user.id == interaction.member.id:
            return interaction.member
        text = interaction.i18n.text
        if not is_admin(interaction.member, interaction.config.community.roles):
            raise UserError(text("languages.others_admin", interaction.locale))
        member = await interaction.platform.fetch_member(user)
        if member is None or member.is_bot:
            raise UserError(text("languages.not_member", interaction.locale, member=user.id))
        return member

    def _refuse_non_staff(self, interaction: Interaction, member: Member) -> None:
        """Only ambassadors, moderators and admins handle languages for the community."""
        roles = interaction.config.community.roles
        if any(
            has_permission(member, level, roles)
            for level in (Permission.AMBASSADOR, Permission.MODERATOR)
        ):
            return
        own = member.id == interaction.member.id
        key = "languages.not_staff" if own else "languages.other_not_staff"
        raise UserError(interaction.i18n.text(key, interaction.locale, member=member.shown_name))
