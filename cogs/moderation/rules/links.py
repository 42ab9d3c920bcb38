"""Link domains: a deny list, and optionally an allow-only list.

A denied domain is caught with or without a scheme ("bad.example" as plain text too) and
so are its subdomains. With `allow_only`, every web link must go to one of those domains
or a subdomain; plain-text domains are not judged there, because file names ("main.rs",
"notes.md") look just like them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Literal

from pydantic import AfterValidator, model_validator

from cogs.moderation.rules._base import RuleHead, SingleRuleSettings
from cogs.moderation.rules._urls import host_within
from cogs.moderation.rules.model import Action, Reason, ReasonKey, RuleKind, RuleMatch
from cogs.moderation.rules.normalise import fold
from cogs.moderation.rules.view import MessageView

# Starts only where a label starts: from every position of a long word without a dot the
# search rescanned the rest of the word, quadratic in its length.
_DOMAIN = re.compile(
    r"(?<![a-z0-9\u00a1-\U0010ffff-])"
    r"[a-z0-9\u00a1-\U0010ffff-]+(?:\.[a-z0-9\u00a1-\U0010ffff-]+)+"
)


def domain(written: str) -> str:
    """The domain in what a moderator wrote: "https://www.Example.com/x" is example.com.

    A ValueError says it is not a domain.
    """
    host = fold(written.strip()).split("://")[-1].split("/")[0].removeprefix("*.")
    host = host.removeprefix("www.")
    if not _DOMAIN.fullmatch(host):
        raise ValueError(f"{written!r} is not a domain like example.com")
    return host


_Domain = Annotated[str, AfterValidator(domain)]


class LinksSettings(SingleRuleSettings):
    """``type = "links"``: denied domains, and optionally the only domains allowed."""

    type: Literal["links"]
    action: Action = Action.FLAG
    deny: tuple[_Domain, ...] = ()
    allow_only: tuple[_Domain, ...] | None = None

    @model_validator(mode="after")
    def _says_something(self) -> LinksSettings:
        if not self.deny and self.allow_only is None:
            raise ValueError("a links rule needs `deny`, `allow_only` or both")
        return self

    def compile(self) -> LinkRule:
        endings = frozenset(d.rpartition(".")[2].encode() for d in self.deny)
        allow_only = None if self.allow_only is None else frozenset(self.allow_only)
        head = RuleHead(self.name, RuleKind.LINKS, self.action, self.scope)
        return LinkRule(head, frozenset(self.deny), endings, allow_only)


@dataclass(frozen=True, slots=True)
class LinkRule:
    head: RuleHead
    deny: frozenset[str]
    deny_endings: frozenset[bytes]  # "com", "example": a denied domain has one as a word
    allow_only: frozenset[str] | None
    window: timedelta | None = None

    def check(self, view: MessageView) -> list[RuleMatch]:
        if not view.links and self.deny_endings.isdisjoint(view.plain):
            return []  # no link, no denied domain's ending: most messages
        denied = self._denied(view)
        found = denied + self._not_allowed(view, [span for span, _ in denied])
        if not found or not self.head.scope.applies(view):
            return []
        return [self.head.match(view, span, reason) for span, reason in sorted(found, key=_span)]

    def _denied(self, view: MessageView) -> list[tuple[tuple[int, int], Reason]]:
        if self.deny_endings.isdisjoint(view.plain):
            return []
        found = []
        for match in _DOMAIN.finditer(view.folded_text):
            host = match.group().removeprefix("www.")
            if host_within(host, self.deny):
                found.append((match.span(), Reason(ReasonKey.DENIED_DOMAIN, (("domain", host),))))
        return found

    def _not_allowed(
        self, view: MessageView, denied: list[tuple[int, int]]
    ) -> list[tuple[tuple[int, int], Reason]]:
        """Web links outside `allow_only`, except those already caught as denied."""
        if self.allow_only is None or not view.links:
            return []
        return [
            ((link.start, link.end), Reason(ReasonKey.UNLISTED_DOMAIN, (("domain", link.host),)))
            for link in view.links
            if link.invite is None
            and not host_within(link.host, self.allow_only)
            and not any(link.start <= start < link.end for start, _ in denied)
        ]


def _span(found: tuple[tuple[int, int], Reason]) -> tuple[int, int]:
    return found[0]
