"""Message bursts: more messages from one author than anyone types within a few seconds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from pydantic import Field

from cogs.moderation.rules._base import RuleHead, SingleRuleSettings
from cogs.moderation.rules.activity import MAX_POSTS_PER_AUTHOR, MAX_WINDOW
from cogs.moderation.rules.model import Action, Reason, ReasonKey, RuleKind, RuleMatch
from cogs.moderation.rules.view import MessageView


class BurstSettings(SingleRuleSettings):
    """``type = "burst"``: more than `max_messages` within `window_seconds`."""

    type: Literal["burst"]
    action: Action = Action.FLAG
    max_messages: int = Field(default=8, ge=1, lt=MAX_POSTS_PER_AUTHOR)
    window_seconds: float = Field(default=10.0, gt=0, le=MAX_WINDOW.total_seconds())

    def compile(self) -> BurstRule:
        head = RuleHead(self.name, RuleKind.BURST, self.action, self.scope)
        return BurstRule(head, self.max_messages, timedelta(seconds=self.window_seconds))


@dataclass(frozen=True, slots=True)
class BurstRule:
    head: RuleHead
    max_messages: int
    window: timedelta

    def check(self, view: MessageView) -> list[RuleMatch]:
        recent = view.recent
        if len(recent) <= self.max_messages:
            return []
        since = recent[-1].at - self.window
        count = sum(1 for post in recent if post.at >= since)
        if count <= self.max_messages or not self.head.scope.applies(view):
            return []
        reason = Reason(
            ReasonKey.BURST,
            (
                ("count", count),
                ("seconds", self.window.total_seconds()),
                ("limit", self.max_messages),
            ),
        )
        return [self.head.match(view, None, reason)]
