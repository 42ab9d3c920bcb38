"""Try rules on a message before deploying them: what `python -m bot rules test` shows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cogs.moderation.rules.activity import RecentActivity
from cogs.moderation.rules.engine import RuleSet
from cogs.moderation.rules.model import CheckedMessage, RuleMatch
from cogs.moderation.rules.normalise import fold


@dataclass(frozen=True, slots=True)
class TrialResult:
    """A message, the text the rules matched on, and what matched where."""

    text: str
    normalised: str
    matches: tuple[RuleMatch, ...]

    def as_dict(self) -> dict[str, Any]:
        """Plain data for ``--json``."""
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
                    "reason": match.reason,
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
