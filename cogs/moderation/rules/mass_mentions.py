"""@everyone and @here (Slack: <!channel>, <!here>, <!everyone>): pinging a whole crowd.

Flagged when the platform says the message pings everyone, and also when someone without
the permission merely tries: the attempt is what moderators want to know about.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from cogs.moderation.rules._base import RuleHead, SingleRuleSettings
from cogs.moderation.rules.model import Action, Reason, ReasonKey, RuleKind, RuleMatch
from cogs.moderation.rules.view import MessageView

# A label ends at the next "<" too: with `[^>]*`, every unclosed "<!here|" rescanned the
# rest of the text, quadratic in its length.
_MASS_MENTION = re.compile(
    r"(?<![\w.@])@(?:everyone|here)\b|<!(?:everyone|here|channel)(?:\|[^<>]*)?>"
)

# The platform says the message pings everyone, but its text has no markup to quote.
_EVERYONE_PINGED = Reason(ReasonKey.EVERYONE_PINGED)


class MassMentionsSettings(SingleRuleSettings):
    """``type = "mass_mentions"``: @everyone, @here and their Slack forms."""

    type: Literal["mass_mentions"]
    action: Action = Action.FLAG

    def compile(self) -> MassMentionRule:
        return MassMentionRule(RuleHead(self.name, RuleKind.MASS_MENTIONS, self.action, self.scope))


@dataclass(frozen=True, slots=True)
class MassMentionRule:
    head: RuleHead
    window: timedelta | None = None

    def check(self, view: MessageView) -> list[RuleMatch]:
        message = view.message
        if not message.mentions_everyone and "@" not in message.text and "<!" not in message.text:
            return []
        found = _MASS_MENTION.search(message.text)
        if (found is None and not message.mentions_everyone) or not self.head.scope.applies(view):
            return []
        if found is None:
            return [self.head.match(view, None, _EVERYONE_PINGED)]
        reason = Reason(ReasonKey.MASS_MENTION, (("mention", found.group()),))
        return [self.head.match_typed(found.group(), found.span(), reason)]
