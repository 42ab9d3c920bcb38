"""``/dashboard``: an admin, ambassador or moderator gets a sign-in link to the community's
insights pages in a direct message.

The link is one-time, lives 10 minutes and names this member and this community
(`bot.signin`). It goes out through the outbox like every DM; the member hears "sent"
only once the platform took it, and "your direct messages are closed" when they are. A
link that could not be sent at once is not retried later: it would arrive expired, so
the member is asked to try again instead.
"""

from __future__ import annotations

import secrets

from bot import signin
from bot.cog import Services
from bot.effects import DirectMessage
from bot.errors import DirectMessagesClosed, UserError
from bot.interaction import Interaction
from bot.outgoing import Link, OutgoingMessage


class DashboardDesk:
    def __init__(self, services: Services) -> None:
        self.services = services

    async def send_link(self, interaction: Interaction) -> None:
        member, community = interaction.member, interaction.community
        if not signin.may_see_insights(member, interaction.config.community.roles):
            raise UserError(interaction.i18n.text("dashboard.not_staff", interaction.locale))
        base = self.services.board_url
        if base is None:
            raise UserError(interaction.i18n.text("dashboard.no_web", interaction.locale))
        key = await signin.signing_key(self.services)
        now = self.services.clock.now()
        minutes = int(signin.LINK_LIFETIME.total_seconds() // 60)
        token = signin.issue(key, signin.Kind.LINK, community.key, member.id, now)
        text = self.services.i18n.t(
            "dashboard.direct",
            interaction.locale,
            link=Link(signin.link(base, token)),
            minutes=minutes,
        )
        # One entry per request: each /dashboard is a new link.
        entry = f"dashboard:{community.key}:{member.id}:{secrets.token_hex(8)}"
        async with self.services.db.transaction() as tx:
            pending = await self.services.outbox.add(
                tx, DirectMessage(member.ref, OutgoingMessage(text=text)), key=entry
            )
        [outcome] = await self.services.outbox.deliver(pending)
        if outcome.delivered:
            await interaction.say("dashboard.sent", private=True, minutes=minutes)
        elif isinstance(outcome.error, DirectMessagesClosed):
            await interaction.say("dashboard.closed", private=True)
        else:
            if outcome.queued:
                async with self.services.db.transaction() as tx:
                    await self.services.outbox.cancel(tx, entry)
            await interaction.say("dashboard.failed", private=True)
