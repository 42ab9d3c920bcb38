"""Mention spam: too many members or roles mentioned in one message or within a window."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from pydantic import Field

from cogs.moderation.rules._base import RuleHead, SingleRuleSettings
from cogs.moderation.rules.activity import MAX_WINDOW
from cogs.moderation.rules.model import Action, Reason, ReasonKey, RuleKind, RuleMatch
from cogs.moderation.rules.view import MessageView


class MentionSpamSettings(SingleRuleSettings):
    """``type = "mention_spam"``: mentions per message and per author within a window."""

    type: Literal["mention_spam"]
    action: Action = Action.FLAG
    max_per_message: int = Field(default=5, ge=1)
    max_in_window: int = Field(default=10, ge=1)
    window_seconds: float = Field(default=60.0, gt=0, le=MAX_WINDOW.total_seconds())

    def compile(self) -> MentionSpamRule:
        head = RuleHead(self.name, RuleKind.MENTION_SPAM, self.action, self.scope)
        window = timedelta(seconds=self.window_seconds)
        return MentionSpamRule(head, self.max_per_message, self.max_in_window, window)


@dataclass(frozen=True, slots=True)
class MentionSpamRule:
    head: RuleHead
    max_per_message: int
    max_in_window: int
    window: timedelta

    def check(self, view: MessageView) -> list[RuleMatch]:
        count = view.mention_count
        if count == 0:
            return []
        if count > self.max_per_message:
            reason = Reason(
                ReasonKey.MENTIONS_IN_MESSAGE, (("count", count), ("limit", self.max_per_message))
            )
        else:
            since = view.message.at - self.window
            total = sum(post.mentions for post in view.recent if post.at >= since)
            if total <= self.max_in_window:
                return []
            reason = Reason(
                ReasonKey.MENTIONS_IN_WINDOW,
                (
                    ("count", total),
                    ("seconds", self.window.total_seconds()),
                    ("limit", self.max_in_window),
                ),
            )
        return [self.head.match(view, None, reason)] if self.head.scope.applies(view) else []
