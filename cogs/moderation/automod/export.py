"""The community's keyword and regex rules as Discord AutoMod rules, within Discord's limits.

Each exported rule is exactly the body of Discord's "Create Auto Moderation Rule" request,
named ``Botschafter: <rule>`` so that ``python -m bot discord automod sync`` knows its own
rules from everyone else's. The name is also how sync finds a rule again, so it must be
unique and the same on every run: a name too long for Discord's 100 characters is
shortened and tagged with a short hash of the whole rule name (``Botschafter: <start>…
#1a2b3c``), as two long names that begin alike would otherwise become one; a name that
fits is left as it is, so no rule already on a server is renamed.

What does not fit is left out with the reason, never cut silently: a rule without its
full allow list would block words the bot lets through, so such a rule is left out whole,
while a single over-long keyword or a pattern Rust cannot run leaves the rest of its rule
in place (the bot's own check still covers everything).

Actions follow the rule's: a rule that removes the message (``delete_and_flag``,
``delete_and_notify_author``) blocks it, with a short note to the author; a rule that
only flags keeps the message, which AutoMod can do only by alerting a channel, so it is
exported only when an alert channel is given. Watch words are not breaches and other rule
types are the bot's alone.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from cogs.moderation.automod import limits
from cogs.moderation.automod.rust_regex import rust_problem
from cogs.moderation.rules import Action, AnyRuleSettings, RuleKind

# The name prefix that marks the bot's own AutoMod rules on a server.
PREFIX = "Botschafter: "
# Prepended to every pattern: the bot's patterns ignore case, and so must AutoMod's.
_IGNORE_CASE = "(?i)"
_BLOCKING = frozenset({Action.DELETE_AND_FLAG, Action.DELETE_AND_NOTIFY_AUTHOR})


@dataclass(frozen=True, slots=True)
class LeftOut:
    """Part of a rule that is not exported, and why (in English, like the command line)."""

    rule: str
    what: str  # "the whole rule", "keyword 'x'", "pattern 'y'", "part 7/8"
    why: str

    def __str__(self) -> str:
        return f"{self.rule}: {self.what}: {self.why}"


@dataclass(frozen=True, slots=True)
class ExportOptions:
    alert_channel: str | None = None  # a channel id for SEND_ALERT_MESSAGE
    timeout: timedelta | None = None  # TIMEOUT after a block
    # The author's note on a block, from the rule's name; at most 150 characters.
    block_message: Callable[[str], str] = lambda rule: f"Blocked: this breaks the rule “{rule}”."


@dataclass(frozen=True, slots=True)
class AutoModExport:
    rules: tuple[dict[str, Any], ...]
    left_out: tuple[LeftOut, ...]
    # Keyword and regex rules read; the others (links, spam, ...) are never exported.
    considered: tuple[str, ...] = ()
    others: tuple[str, ...] = ()

    def as_json(self, community: str | None) -> dict[str, Any]:
        """What ``--output`` writes and ``discord automod sync`` reads."""
        return {"community": community, "rules": list(self.rules)}


def export(
    settings: Sequence[AnyRuleSettings], options: ExportOptions | None = None
) -> AutoModExport:
    """Translate `settings` into AutoMod rules; see the module docstring."""
    options = options or ExportOptions()
    rules: list[dict[str, Any]] = []
    origins: list[tuple[str, str]] = []  # each part's rule name and "(1/3)" suffix
    left_out: list[LeftOut] = []
    considered, others = [], []
    for rule in settings:
        if rule.type not in (RuleKind.KEYWORDS, RuleKind.REGEX):
            others.append(rule.name)
            if rule.type == RuleKind.WATCH_WORDS:
                left_out.append(LeftOut(rule.name, "the whole rule", _WATCH_WORDS))
            continue
        considered.append(rule.name)
        problem = _unfit(rule, options)
        if problem is not None:
            left_out.append(LeftOut(rule.name, "the whole rule", problem))
            continue
        keywords, patterns = _entries(rule, left_out)
        for suffix, part in _parts(rule, keywords, patterns, options):
            origins.append((rule.name, suffix))
            rules.append(part)
    _unique_names(rules, origins)
    for extra in rules[limits.KEYWORD_RULES_PER_SERVER :]:
        left_out.append(LeftOut(extra["name"].removeprefix(PREFIX), "this part", _TOO_MANY))
    return AutoModExport(
        tuple(rules[: limits.KEYWORD_RULES_PER_SERVER]),
        tuple(left_out),
        tuple(considered),
        tuple(others),
    )


_WATCH_WORDS = (
    "watch words tell ambassadors about a topic; AutoMod can only block or alert, "
    "so the bot keeps them"
)
_TOO_MANY = (
    f"Discord allows {limits.KEYWORD_RULES_PER_SERVER} keyword rules per server; "
    "the bot's own check still covers it"
)


def _unfit(rule: AnyRuleSettings, options: ExportOptions) -> str | None:
    """Why the whole rule cannot become an AutoMod rule, or None."""
    if rule.action not in _BLOCKING and rule.action is not Action.FLAG:
        return f"action {rule.action.value!r} has no AutoMod equivalent"
    if rule.action is Action.FLAG and options.alert_channel is None:
        return (
            "action 'flag' keeps the message, and AutoMod can only block it or alert a "
            "channel; pass --alert-channel ID to export it as an alert"
        )
    if rule.channels:
        return (
            "it applies only in some channels; AutoMod can exempt channels but not limit "
            "a rule to some"
        )
    if len(rule.exempt_roles) > limits.EXEMPT_ROLES:
        return f"more than {limits.EXEMPT_ROLES} exempt roles (Discord's limit)"
    allow = [a.written.strip() for a in getattr(rule, "allow", ())]
    if len(allow) > limits.ALLOW_PER_RULE:
        return (
            f"its allow list has {len(allow)} entries and Discord takes "
            f"{limits.ALLOW_PER_RULE}; without the rest AutoMod would block words the bot allows"
        )
    long = [a for a in allow if len(a) > limits.KEYWORD_CHARS]
    if long:
        return (
            f"allow entry {long[0]!r} is longer than {limits.KEYWORD_CHARS} characters; "
            "without it AutoMod would block words the bot allows"
        )
    return None


def _entries(rule: AnyRuleSettings, left_out: list[LeftOut]) -> tuple[list[str], list[str]]:
    """The rule's keywords and patterns that fit, each one left out noted."""
    keywords: list[str] = []
    for keyword in getattr(rule, "keywords", ()):
        written = keyword.written.strip()
        if len(written) > limits.KEYWORD_CHARS:
            why = f"longer than {limits.KEYWORD_CHARS} characters ({len(written)})"
            left_out.append(LeftOut(rule.name, f"keyword '{written}'", why))
        else:
            keywords.append(written)
    patterns: list[str] = []
    for pattern in getattr(rule, "patterns", ()):
        problem = rust_problem(pattern)
        exported = _IGNORE_CASE + pattern
        if problem is None and len(exported) > limits.PATTERN_CHARS:
            problem = f"longer than {limits.PATTERN_CHARS} characters ({len(exported)} with (?i))"
        if problem is None:
            patterns.append(exported)
        else:
            left_out.append(LeftOut(rule.name, f"pattern '{pattern}'", problem))
    return keywords, patterns


def _parts(
    rule: AnyRuleSettings, keywords: list[str], patterns: list[str], options: ExportOptions
) -> list[tuple[str, dict[str, Any]]]:
    """One AutoMod rule per 1,000 keywords and 10 patterns, named "(1/3)" when split; each
    with its suffix."""
    count = max(
        math.ceil(len(keywords) / limits.KEYWORDS_PER_RULE),
        math.ceil(len(patterns) / limits.PATTERNS_PER_RULE),
    )
    allow = [a.written.strip() for a in getattr(rule, "allow", ())]
    parts = []
    for index in range(count):
        metadata: dict[str, Any] = {}
        chunk = keywords[index * limits.KEYWORDS_PER_RULE : (index + 1) * limits.KEYWORDS_PER_RULE]
        if chunk:
            metadata["keyword_filter"] = chunk
        regexes = patterns[
            index * limits.PATTERNS_PER_RULE : (index + 1) * limits.PATTERNS_PER_RULE
        ]
        if regexes:
            metadata["regex_patterns"] = regexes
        if allow:
            metadata["allow_list"] = allow
        suffix = f" ({index + 1}/{count})" if count > 1 else ""
        parts.append(
            (
                suffix,
                {
                    "name": _name(rule.name, suffix),
                    "event_type": limits.MESSAGE_SEND,
                    "trigger_type": limits.KEYWORD_TRIGGER,
                    "trigger_metadata": metadata,
                    "actions": _actions(rule, options),
                    "enabled": rule.enabled,
                    "exempt_roles": list(rule.exempt_roles),
                    "exempt_channels": [],
                },
            )
        )
    return parts


def _name(rule: str, suffix: str, tagged: bool = False) -> str:
    """``Botschafter: <rule><suffix>`` within Discord's limit; a shortened (or `tagged`)
    one ends in the rule's tag, so that it still names this rule and no other."""
    whole = f"{PREFIX}{rule}{suffix}"
    if len(whole) <= limits.RULE_NAME_CHARS and not tagged:
        return whole
    tag = f" #{_tag(rule)}"
    room = limits.RULE_NAME_CHARS - len(PREFIX) - len(tag) - len(suffix)
    shown = rule if len(rule) <= room else rule[: room - 1].rstrip() + "…"
    return f"{PREFIX}{shown}{tag}{suffix}"


def _tag(rule: str) -> str:
    """Six hex digits of the rule name's SHA-256: the same on every run and machine."""
    return hashlib.sha256(rule.encode()).hexdigest()[:6]


def _unique_names(rules: list[dict[str, Any]], origins: list[tuple[str, str]]) -> None:
    """Tag every name two parts share (a rule named ``x (1/2)`` beside the first part of a
    split ``x``): sync keeps one rule per name, so the other would never reach Discord."""
    names = [rule["name"] for rule in rules]
    for rule, (name, suffix) in zip(rules, origins, strict=True):
        if names.count(rule["name"]) > 1:
            rule["name"] = _name(name, suffix, tagged=True)


def _actions(rule: AnyRuleSettings, options: ExportOptions) -> list[dict[str, Any]]:
    actions: list[dict[str, Any]] = []
    if rule.action in _BLOCKING:
        note = _note(options, rule.name)
        actions.append({"type": limits.BLOCK_MESSAGE, "metadata": {"custom_message": note}})
    if options.alert_channel is not None:
        channel = {"channel_id": options.alert_channel}
        actions.append({"type": limits.SEND_ALERT_MESSAGE, "metadata": channel})
    if options.timeout is not None and rule.action in _BLOCKING:
        seconds = int(options.timeout.total_seconds())
        actions.append({"type": limits.TIMEOUT, "metadata": {"duration_seconds": seconds}})
    return actions


def _note(options: ExportOptions, rule: str) -> str:
    """The author's note within Discord's 150 characters: a long rule name is shortened,
    so the sentence around it stays whole."""
    note = options.block_message(rule)
    excess = len(note) - limits.CUSTOM_MESSAGE_CHARS
    if excess <= 0:
        return note
    shortened = rule[: max(len(rule) - excess - 1, 1)] + "…"
    return options.block_message(shortened)[: limits.CUSTOM_MESSAGE_CHARS]
