"""Accounts younger than a minimum age posting links: the classic spam-bot pattern."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from pydantic import Field

from cogs.moderation.rules._base import RuleHead, SingleRuleSettings
from cogs.moderation.rules.model import Action, Reason, ReasonKey, RuleKind, RuleMatch
from cogs.moderation.rules.view import MessageView


class NewAccountLinksSettings(SingleRuleSettings):
    """``type = "new_account_links"``: links or invites from accounts younger than this."""

    type: Literal["new_account_links"]
    action: Action = Action.FLAG
    min_account_age_hours: float = Field(default=24.0, gt=0)

    def compile(self) -> NewAccountLinkRule:
        head = RuleHead(self.name, RuleKind.NEW_ACCOUNT_LINKS, self.action, self.scope)
        return NewAccountLinkRule(head, timedelta(hours=self.min_account_age_hours))


@dataclass(frozen=True, slots=True)
class NewAccountLinkRule:
    head: RuleHead
    min_age: timedelta
    window: timedelta | None = None

    def check(self, view: MessageView) -> list[RuleMatch]:
        created = view.message.account_created_at
        if created is None or view.message.at - created >= self.min_age:
            return []
        links = view.links
        if not links or not self.head.scope.applies(view):
            return []
        hours = round((view.message.at - created) / timedelta(hours=1))
        minimum = self.min_age / timedelta(hours=1)
        reason = Reason(ReasonKey.NEW_ACCOUNT_LINK, (("hours", hours), ("minimum", minimum)))
        return [self.head.match(view, (links[0].start, links[0].end), reason)]
