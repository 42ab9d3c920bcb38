"""Invites to other communities: Discord invite links and Slack join links.

The community's own invites go in `allow`, as links or bare codes ("discord.gg/acme",
"acme"); a bare code allows both a Discord invite code and a Slack workspace of that name.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from cogs.moderation.rules._base import RuleHead, SingleRuleSettings
from cogs.moderation.rules._urls import invite_key
from cogs.moderation.rules.model import Action, Reason, ReasonKey, RuleKind, RuleMatch
from cogs.moderation.rules.normalise import fold
from cogs.moderation.rules.view import MessageView


class InvitesSettings(SingleRuleSettings):
    """``type = "invites"``: links that invite members to another community."""

    type: Literal["invites"]
    action: Action = Action.DELETE_AND_FLAG
    allow: tuple[str, ...] = ()

    def compile(self) -> InviteRule:
        allowed: set[str] = set()
        for entry in self.allow:
            folded = fold(entry.strip())
            key = invite_key(folded)
            allowed.update([key] if key else [f"discord/{folded}", f"slack/{folded}"])
        head = RuleHead(self.name, RuleKind.INVITES, self.action, self.scope)
        return InviteRule(head, frozenset(allowed))


@dataclass(frozen=True, slots=True)
class InviteRule:
    head: RuleHead
    allowed: frozenset[str]
    window: timedelta | None = None

    def check(self, view: MessageView) -> list[RuleMatch]:
        matches = []
        for link in view.links:
            if link.invite and link.invite not in self.allowed and self.head.scope.applies(view):
                span = (link.start, link.end)
                reason = Reason(ReasonKey.INVITE, (("invite", link.invite),))
                matches.append(self.head.match(view, span, reason))
        return matches
