"""Leaked credentials: tokens and keys that give anyone who reads them someone's access.

The default action removes the message at once and tells the author privately, because
every minute a token stays visible is a minute someone can copy it. The match shows only
the first characters: a flag must not leak the secret a second time.

Matching is on the text as typed (tokens are case-sensitive), through one RE2 set; only
the kinds that set reports are searched again for their position.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

import re2

from cogs.moderation.rules._base import RuleHead, SingleRuleSettings
from cogs.moderation.rules.model import Action, Reason, ReasonKey, RuleKind, RuleMatch
from cogs.moderation.rules.view import MessageView

# The shortest secret below is an AWS key id (20 characters); shorter messages hold none.
_MIN_LENGTH = 20
# Characters of a secret shown to moderators: enough to tell the kind, useless to abuse.
_SHOWN = 6

_KINDS: tuple[tuple[ReasonKey, str], ...] = (
    (ReasonKey.DISCORD_BOT_TOKEN, r"\b[MNO][\w-]{23,27}\.[\w-]{6}\.[\w-]{27,40}\b"),
    (ReasonKey.DISCORD_WEBHOOK, r"(?:https://)?discord(?:app)?\.com/api/webhooks/\d+/[\w-]{30,}"),
    (ReasonKey.SLACK_TOKEN, r"\bxox[abeoprs]-[0-9A-Za-z-]{10,}"),
    (ReasonKey.SLACK_APP_TOKEN, r"\bxapp-\d-[0-9A-Za-z-]{10,}"),
    (ReasonKey.SLACK_WEBHOOK, r"(?:https://)?hooks\.slack\.com/(?:services|workflows)/[\w/-]{20,}"),
    (ReasonKey.AWS_ACCESS_KEY, r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
    (ReasonKey.GITHUB_TOKEN, r"\b(?:gh[pousr]_[0-9A-Za-z]{36,}|github_pat_\w{22,})"),
    (ReasonKey.API_KEY, r"\bsk-(?:[\w-]{0,12}-)?[0-9A-Za-z_]{20,}|\b[rs]k_live_[0-9A-Za-z]{20,}"),
    (ReasonKey.GOOGLE_API_KEY, r"\bAIza[\w-]{35}"),
    # The whole block (up to its END line, or the end of a message that cut it off): the
    # secret is the body, not the header.
    (
        ReasonKey.PRIVATE_KEY,
        r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----(?s:.*?)"
        r"(?:-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----|\z)",
    ),
)

# The reason of each kind: its name alone, which the reader's catalog words.
_REASONS = tuple(Reason(kind) for kind, _ in _KINDS)


class CredentialsSettings(SingleRuleSettings):
    """``type = "credentials"``: tokens and keys; removed at once, the author told why."""

    type: Literal["credentials"]
    action: Action = Action.DELETE_AND_NOTIFY_AUTHOR

    def compile(self) -> CredentialRule:
        head = RuleHead(self.name, RuleKind.CREDENTIALS, self.action, self.scope)
        return CredentialRule(head, *_compiled())


def secret_spans(text: str) -> list[tuple[int, int]]:
    """Where `text` holds a secret, for text the rules never saw (what Discord's AutoMod
    blocked), so that it is redacted there as well."""
    if len(text) < _MIN_LENGTH:
        return []
    kinds, patterns = _shared()
    return [
        secret.span()
        for index in sorted(kinds.Match(text.encode()) or ())
        for secret in patterns[index].finditer(text)
    ]


@functools.cache
def _shared() -> tuple[re2.Set, tuple[re2._Regexp, ...]]:
    return _compiled()


def _compiled() -> tuple[re2.Set, tuple[re2._Regexp, ...]]:
    kinds = re2.Set.SearchSet()
    for _, pattern in _KINDS:
        kinds.Add(pattern)
    kinds.Compile()
    return kinds, tuple(re2.compile(pattern) for _, pattern in _KINDS)


@dataclass(frozen=True, slots=True)
class CredentialRule:
    head: RuleHead
    kinds: re2.Set
    patterns: tuple[re2._Regexp, ...]
    window: timedelta | None = None

    def check(self, view: MessageView) -> list[RuleMatch]:
        text = view.message.text
        if len(text) < _MIN_LENGTH:
            return []
        found = self.kinds.Match(text.encode())
        if not found or not self.head.scope.applies(view):
            return []
        matches = []
        for index in sorted(found):
            # Every occurrence: a second token of the same kind must be redacted as well.
            for secret in self.patterns[index].finditer(text):
                shown = secret.group()[:_SHOWN] + "…"
                matches.append(self.head.match_typed(shown, secret.span(), _REASONS[index]))
        return matches
