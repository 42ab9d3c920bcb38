"""Attachments: how many per message, and which file types.

Extensions are judged on the last suffix, so "photo.jpg.exe" is an .exe.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from cogs.moderation.rules._base import RuleHead, SingleRuleSettings
from cogs.moderation.rules.model import Action, Reason, ReasonKey, RuleKind, RuleMatch
from cogs.moderation.rules.view import MessageView


def _extension(written: str) -> str:
    extension = written.strip().lstrip(".").lower()
    if not extension or "." in extension or "/" in extension:
        raise ValueError(f"{written!r} is not a file extension like 'exe' or '.exe'")
    return extension


_Extension = Annotated[str, AfterValidator(_extension)]


class AttachmentsSettings(SingleRuleSettings):
    """``type = "attachments"``: at most `max_count`; denied or only allowed extensions."""

    type: Literal["attachments"]
    action: Action = Action.FLAG
    max_count: int | None = Field(default=None, ge=1)
    deny_extensions: tuple[_Extension, ...] = ()
    allow_extensions: tuple[_Extension, ...] | None = None

    @model_validator(mode="after")
    def _says_something(self) -> AttachmentsSettings:
        if self.max_count is None and not self.deny_extensions and self.allow_extensions is None:
            raise ValueError(
                "an attachments rule needs `max_count`, `deny_extensions` or `allow_extensions`"
            )
        return self

    def compile(self) -> AttachmentRule:
        head = RuleHead(self.name, RuleKind.ATTACHMENTS, self.action, self.scope)
        allow = None if self.allow_extensions is None else frozenset(self.allow_extensions)
        return AttachmentRule(head, self.max_count, frozenset(self.deny_extensions), allow)


@dataclass(frozen=True, slots=True)
class AttachmentRule:
    head: RuleHead
    max_count: int | None
    deny: frozenset[str]
    allow: frozenset[str] | None
    window: timedelta | None = None

    def check(self, view: MessageView) -> list[RuleMatch]:
        files = view.message.attachments
        if not files or not self.head.scope.applies(view):
            return []
        reasons = []
        if self.max_count is not None and len(files) > self.max_count:
            counts = (("count", len(files)), ("limit", self.max_count))
            reasons.append(Reason(ReasonKey.TOO_MANY_ATTACHMENTS, counts))
        for name in files:
            extension = name.rpartition(".")[2].lower() if "." in name else ""
            if extension in self.deny or (self.allow is not None and extension not in self.allow):
                reasons.append(Reason(ReasonKey.FILE_TYPE, (("file", name),)))
        return [self.head.match(view, None, reason) for reason in reasons]
