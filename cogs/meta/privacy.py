"""``/privacy``: a member learns what is stored about them and asks for a copy or erasure.

A request reaches the admins as a notice in the moderators' channel (staff only), posted
through the outbox; the member hears "it reached the admins" only once the platform took
the notice, else the truth (saved and waiting, or failed). An admin confirms with
``/privacy confirm N``: an erasure is carried out at once (`storage.privacy.forget`), an
export is answered with the command that writes the file (``python -m bot privacy
export``), since a file of personal data is not something to post in a channel.
"""

from __future__ import annotations

import logging
from typing import Any

from bot.cog import Services
from bot.delivery import Outcome, Then
from bot.effects import Post
from bot.errors import UserError
from bot.interaction import Interaction
from bot.model import MessageRef
from bot.outgoing import Mention, OutgoingMessage
from bot.retention import RetentionPeriods
from storage import privacy
from storage.database import Transaction
from storage.privacy_requests import PrivacyRequests, RequestKind, RequestStatus

log = logging.getLogger(__name__)

NOTICE_POSTED = "meta.privacy_notice_posted"


class PrivacyDesk:
    def __init__(self, services: Services) -> None:
        self.services = services
        self.requests = PrivacyRequests(services.db)

    async def info(self, interaction: Interaction) -> None:
        periods: RetentionPeriods = self.services.retention
        await interaction.say(
            "privacy.info",
            snapshot_days=periods.snapshots,
            report_days=periods.report_texts,
            finished_days=periods.finished_rows,
        )

    async def request(self, interaction: Interaction) -> None:
        kind = RequestKind(str(interaction.args["what"]))
        what = interaction.i18n.text(f"privacy.what_{kind.value}", interaction.locale)
        community, member = interaction.community, interaction.member
        wanted = interaction.config.community.channels.moderators
        platform = interaction.platform
        channel = await platform.find_channel(community, wanted) if wanted else None
        if channel is None:
            raise UserError(interaction.i18n.text("privacy.no_channel", interaction.locale))
        async with self.services.db.transaction() as tx:
            asked, new = await self.requests.add(
                tx, community.key, member.id, member.name, kind, self.services.clock.now()
            )
            if not new:
                await interaction.say("privacy.already", number=asked.id, what=what)
                return
            notice = self.services.i18n.t(  # in the community's language: a shared post
                f"privacy.notice_{kind.value}",
                interaction.config.community.locale,
                number=asked.id,
                member=Mention(member.id, member.display_name or member.name),
            )
            pending = await self.services.outbox.add(
                tx,
                Post(channel, OutgoingMessage(text=notice), allow_pings=False),
                key=f"privacy:{community.key}:{asked.id}:notice",
                then=Then(NOTICE_POSTED, {"request": asked.id}),
            )
        [outcome] = await self.services.outbox.deliver(pending)
        await self._tell(interaction, outcome, asked.id, what)

    async def _tell(
        self, interaction: Interaction, outcome: Outcome, number: int, what: str
    ) -> None:
        """The truth about the notice: it reached the admins, waits, or failed."""
        if outcome.delivered:
            await interaction.say("privacy.sent", number=number, what=what)
        elif outcome.queued:
            await interaction.say("privacy.queued", number=number, what=what)
        else:
            await interaction.say("privacy.failed", number=number, what=what)

    async def after_notice(self, tx: Transaction, outcome: Outcome, data: dict[str, Any]) -> None:
        if outcome.delivered:
            posted: MessageRef = outcome.result
            await self.requests.noticed(tx, int(data["request"]), posted.channel.id, posted.id)
        elif outcome.error is not None:
            log.warning("privacy request %s: notice not posted: %s", data["request"], outcome.error)

    async def confirm(self, interaction: Interaction) -> None:
        number = int(str(interaction.args["number"]).lstrip("#"))
        community, admin = interaction.community, interaction.member
        asked = await self.requests.get(community.key, number)
        if asked is None:
            raise UserError(
                interaction.i18n.text("privacy.unknown", interaction.locale, number=number)
            )
        now = self.services.clock.now()
        decided = UserError(
            interaction.i18n.text("privacy.decided", interaction.locale, number=number)
        )
        if asked.kind is RequestKind.EXPORT:
            if not await self.requests.decide(
                community.key, number, admin.id, now, RequestStatus.CONFIRMED
            ):
                raise decided
            await self.services.audit.record(
                community.key, admin.id, "privacy.export", now, subject=asked.member_id
            )
            await interaction.say(
                "privacy.confirmed_export",
                number=number,
                member=asked.member_id,
                community=community.key,
                file=f"privacy-{number}.json",
            )
            return

        async def erase(tx: Transaction) -> privacy.Forgotten | None:
            """Decided and erased in one transaction: a failed erasure leaves the request
            waiting for another confirm, never marked done with the data still there."""
            if not await self.requests.decide(
                community.key, number, admin.id, now, RequestStatus.DONE, tx
            ):
                return None
            return await privacy.forget(
                self.services.db, community.key, asked.member_id, actor=admin.id, at=now
            )

        forgotten = await self.services.db.atomic(erase)
        if forgotten is None:
            raise decided
        await interaction.say(
            "privacy.erased", number=number, count=forgotten.total, pseudonym=forgotten.pseudonym
        )
