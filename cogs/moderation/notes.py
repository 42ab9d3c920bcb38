"""/note: what moderators want each other to know about a member.

Notes are for moderators only: they show on flags about the member and in /infractions,
never to the member. Adding one refreshes the member's open flags, so whoever decides next
sees it.
"""

from __future__ import annotations

from bot.cog import Services, command
from bot.commands import Option, OptionType, Permission
from bot.errors import UserError
from bot.interaction import Interaction
from bot.model import UserRef
from cogs.moderation.desk import FlagDesk
from storage.moderation import ModerationRepository

# Long enough for a paragraph of context; a flag shows the first 200 characters.
NOTE_MAX_CHARS = 1000


class MemberNoting:
    """The /note command, mixed into the moderation cog (which provides these attributes)."""

    services: Services
    repo: ModerationRepository
    desk: FlagDesk

    @command(
        "note",
        "Note something about a member for the moderators; the member never sees it.",
        Option("member", "About whom: @name", OptionType.USER),
        Option("text", "The note", max_length=NOTE_MAX_CHARS),
        permission=Permission.MODERATOR,
        private=True,
        description_de="Eine Notiz zu einem Mitglied für das Moderationsteam; es sieht sie nie.",
    )
    async def note(self, interaction: Interaction) -> None:
        user = interaction.args["member"]
        assert isinstance(user, UserRef)
        text = (interaction.args.text("text") or "").strip()
        if not text:
            raise UserError(interaction.i18n.text("note.empty", interaction.locale))
        community = interaction.community
        member = await interaction.platform.fetch_member(user)
        if member is not None:
            name = member.shown_name
        else:
            found = await self.repo.find_member(community.key, user.id)
            name = found[1] if found else user.id
        now = self.services.clock.now()
        number = await self.desk.notes.add(
            community.key, user.id, name, interaction.member.id, text, now
        )
        written = []
        async with self.services.db.transaction() as tx:
            for flag_id in await self.repo.open_about(tx, community.key, user.id):
                pending = await self.desk.publish(tx, community, flag_id)
                if pending is not None:
                    written.append(pending)
        await self.services.outbox.deliver(*written)
        await interaction.say("note.done", number=number, member=name)
