"""Try rules on a message before deploying them: what `python -m bot rules test` shows."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cogs.moderation.rules.activity import RecentActivity
from cogs.moderation.rules.engine import RuleSet
from cogs.moderation.rules.model import CheckedMessage, Reason, RuleMatch
from cogs.moderation.rules.normalise import fold


@dataclass(frozen=True, slots=True)
class TrialResult:
    """A message, the text the rules matched on, and what matched where."""

    text: str
    normalised: str
    matches: tuple[RuleMatch, ...]

    def as_dict(self, explain: Callable[[Reason], str]) -> dict[str, Any]:
        """Plain data for ``--json``; `explain` words a reason (the engine has no words).

        Each match carries its reason worded and as its catalog key and values, for
        scripts that word it themselves or compare reasons across languages.
        """
        return {
            "text": self.text,
            "normalised": self.normalised,
            "matches": [
                {
                    "rule": match.rule,
                    "type": str(match.kind),
                    "action": str(match.action),
                    "text": match.text,
                    "span": list(match.span),
                    "reason": explain(match.reason),
                    "reason_key": str(match.reason.key),
                    "reason_values": dict(match.reason.values),
                }
                for match in self.matches
            ],
        }


def try_text(
    rules: RuleSet,
    text: str,
    *,
    at: datetime,
    channel: str = "",
    roles: frozenset[str] = frozenset(),
    account_created_at: datetime | None = None,
    attachments: tuple[str, ...] = (),
) -> TrialResult:
    """Check `text` as a first message from a member with `roles` in `channel` (ID or name).

    Window rules (bursts, duplicates) see this one message only, so they never match here.
    """
    message = CheckedMessage(
        community_key="trial",
        channel_id=channel,
        channel_name=channel,
        author_id="trial",
        text=text,
        at=at,
        author_roles=roles,
        account_created_at=account_created_at,
        attachments=attachments,
    )
    matches = rules.check(message, RecentActivity())
    return TrialResult(text, fold(text), tuple(matches))
