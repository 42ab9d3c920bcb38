"""The ``[[moderation.rules]]`` entries of a community's TOML, validated.

Every entry has a `name`, a `type` and the keys of that type (see each rule's module);
`channels`, `exempt_roles`, `enabled` and `action` are common to all. Validation collects
every problem of every entry, and each problem names the rule, the key and what is wrong,
so a moderator can fix a whole file in one go.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, TypeAdapter, ValidationError

from bot.sanitise import clean_data
from cogs.moderation.rules.attachments import AttachmentsSettings
from cogs.moderation.rules.burst import BurstSettings
from cogs.moderation.rules.caps import CapsSettings
from cogs.moderation.rules.credentials import CredentialsSettings
from cogs.moderation.rules.duplicates import DuplicatesSettings
from cogs.moderation.rules.invites import InvitesSettings
from cogs.moderation.rules.keyword_rules import KeywordsSettings, WatchWordsSettings
from cogs.moderation.rules.links import LinksSettings
from cogs.moderation.rules.mass_mentions import MassMentionsSettings
from cogs.moderation.rules.mention_spam import MentionSpamSettings
from cogs.moderation.rules.model import RuleKind
from cogs.moderation.rules.new_accounts import NewAccountLinksSettings
from cogs.moderation.rules.patterns import RegexSettings
from cogs.moderation.rules.zalgo import ZalgoSettings

AnyRuleSettings = Annotated[
    KeywordsSettings
    | WatchWordsSettings
    | RegexSettings
    | InvitesSettings
    | LinksSettings
    | MassMentionsSettings
    | MentionSpamSettings
    | DuplicatesSettings
    | BurstSettings
    | CapsSettings
    | ZalgoSettings
    | AttachmentsSettings
    | CredentialsSettings
    | NewAccountLinksSettings,
    Field(discriminator="type"),
]

_ADAPTER: TypeAdapter[AnyRuleSettings] = TypeAdapter(AnyRuleSettings)


@dataclass(frozen=True, slots=True)
class RuleProblem:
    """One thing wrong with one rule entry; `line` is filled in when read from a file."""

    index: int  # the entry's position in the rules list, from 0; -1: the file as a whole
    rule: str | None  # the entry's name, when it has one
    key: str  # the key within the entry ("keywords.2"), empty for the entry as a whole
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"line {self.line}: " if self.line else ""
        if self.index < 0:
            return f"{where}{self.message}"
        rule = f"rule {self.rule!r}" if self.rule else f"rule #{self.index + 1}"
        key = f" {self.key}" if self.key else ""
        return f"{where}{rule}{key}: {self.message}"


class RulesConfigError(ValueError):
    """Rule entries that do not validate; `problems` has each of them."""

    def __init__(self, problems: Sequence[RuleProblem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(map(str, self.problems)))


def parse_rules(entries: Sequence[Any]) -> tuple[AnyRuleSettings, ...]:
    """Validate rule entries (TOML tables); raise `RulesConfigError` naming every problem."""
    parsed: list[AnyRuleSettings] = []
    problems: list[RuleProblem] = []
    names: dict[str, int] = {}
    for index, entry in enumerate(clean_data(list(entries))):
        name = entry.get("name") if isinstance(entry, Mapping) else None
        name = name.strip() if isinstance(name, str) and name.strip() else None
        try:
            settings = _ADAPTER.validate_python(entry)
        except ValidationError as error:
            problems.extend(_problems(error, index, name))
        else:
            parsed.append(settings)
        if name is not None and name in names:
            first = names[name] + 1
            message = f"the name is already used by rule #{first}; names must be unique"
            problems.append(RuleProblem(index, name, "name", message))
        if name is not None:
            names.setdefault(name, index)
    if problems:
        raise RulesConfigError(problems)
    return tuple(parsed)


def _parse_or_explain(entries: Any) -> tuple[AnyRuleSettings, ...]:
    if not isinstance(entries, Sequence) or isinstance(entries, str):
        raise ValueError("rules must be a list of tables: [[moderation.rules]]")
    try:
        return parse_rules(entries)
    except RulesConfigError as error:
        raise ValueError(str(error)) from None


# For a settings model that embeds the rules: ``rules: RulesField = ()``. Its errors
# name each rule, which pydantic's own messages for a tagged union would not.
RulesField = Annotated[tuple[AnyRuleSettings, ...], BeforeValidator(_parse_or_explain)]


def _problems(error: ValidationError, index: int, name: str | None) -> list[RuleProblem]:
    problems = []
    for detail in error.errors():
        location = list(detail["loc"])
        if detail["type"].startswith("union_tag"):
            message = f"`type` must be one of: {', '.join(RuleKind)}"
            problems.append(RuleProblem(index, name, "type", message))
            continue
        key = ".".join(str(part) for part in location[1:])
        message = detail["msg"].removeprefix("Value error, ")
        if detail["type"] == "extra_forbidden":
            message = f"unknown key for a rule of type {location[0]!r}"
        problems.append(RuleProblem(index, name, key, message))
    return problems
