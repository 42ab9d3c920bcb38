"""The same message posted in several channels within a short window: cross-posted spam.

Copies are compared on their folded words, so "BUY NOW!!!" and "buy now" are one
message. Short replies ("ok", "thanks") are ignored: everyone posts those everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from pydantic import Field

from cogs.moderation.rules._base import RuleHead, SingleRuleSettings
from cogs.moderation.rules.activity import MAX_WINDOW
from cogs.moderation.rules.model import Action, Reason, ReasonKey, RuleKind, RuleMatch
from cogs.moderation.rules.view import MessageView


class DuplicatesSettings(SingleRuleSettings):
    """``type = "duplicates"``: one text in `min_channels` channels within the window."""

    type: Literal["duplicates"]
    action: Action = Action.FLAG
    min_channels: int = Field(default=3, ge=2)
    window_seconds: float = Field(default=60.0, gt=0, le=MAX_WINDOW.total_seconds())
    min_length: int = Field(default=10, ge=1)

    def compile(self) -> DuplicateRule:
        head = RuleHead(self.name, RuleKind.DUPLICATES, self.action, self.scope)
        window = timedelta(seconds=self.window_seconds)
        return DuplicateRule(head, self.min_channels, self.min_length, window)


@dataclass(frozen=True, slots=True)
class DuplicateRule:
    head: RuleHead
    min_channels: int
    min_length: int
    window: timedelta

    def check(self, view: MessageView) -> list[RuleMatch]:
        if not view.recent:
            return []
        latest = view.recent[-1]
        if latest.length < self.min_length:
            return []
        since = latest.at - self.window
        channels = {
            post.channel_id
            for post in view.recent
            if post.fingerprint == latest.fingerprint and post.at >= since
        }
        if len(channels) < self.min_channels or not self.head.scope.applies(view):
            return []
        reason = Reason(
            ReasonKey.DUPLICATES,
            (("channels", len(channels)), ("seconds", self.window.total_seconds())),
        )
        return [self.head.match(view, None, reason)]
