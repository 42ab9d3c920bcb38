"""Rules read from a TOML file, with problems pointing at the line to fix.

Rules live where the bot's configuration file keeps them: ``[[moderation.rules]]`` for
every community, ``[[communities."<platform>:<id>".moderation.rules]]`` for one (which
then replaces the shared list, as every per-community table does).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from cogs.moderation.rules.config import (
    AnyRuleSettings,
    RuleProblem,
    RulesConfigError,
    parse_rules,
)
from cogs.moderation.rules.engine import RuleSet

_RULES = ("moderation", "rules")
_TOML_LINE = re.compile(r"at line (\d+)")
_HEADER = re.compile(r"^\s*(\[\[?)([^\[\]]+)\]\]?\s*(?:#.*)?$")
_KEY = re.compile(r'^\s*([A-Za-z0-9_-]+|"[^"]*")\s*=')
_PATH_PART = re.compile(r'"([^"]*)"|([^.\s"]+)')


def validate_rules_file(path: Path) -> list[RuleProblem]:
    """Every problem with the rules in `path`, each with its line; empty when all is well."""
    text = path.read_text(encoding="utf-8")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        line = _TOML_LINE.search(str(error))
        return [
            RuleProblem(-1, None, "", f"not valid TOML: {error}", int(line[1]) if line else None)
        ]
    lines = _Lines(text)
    problems = []
    for table, entries in _rule_lists(data):
        try:
            parse_rules(entries)
        except RulesConfigError as error:
            problems += [replace(p, line=lines.find(table, p.index, p.key)) for p in error.problems]
    return problems


def load_rules_file(path: Path, community: str | None = None) -> RuleSet:
    """The rule set in `path` for `community` ("platform:id"; None: the shared rules).

    Raises `RulesConfigError` with line numbers when the file has problems.
    """
    problems = validate_rules_file(path)
    if problems:
        raise RulesConfigError(problems)
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    own = data.get("communities", {}).get(community, {}) if community else {}
    entries = _dig(own, _RULES)
    if entries is None:
        entries = _dig(data, _RULES)
    settings: tuple[AnyRuleSettings, ...] = parse_rules(entries or [])
    return RuleSet(settings)


def _rule_lists(data: dict[str, Any]) -> Iterator[tuple[tuple[str, ...], Any]]:
    if (entries := _dig(data, _RULES)) is not None:
        yield _RULES, entries
    for key, table in data.get("communities", {}).items():
        if (entries := _dig(table, _RULES)) is not None:
            yield ("communities", key, *_RULES), entries


def _dig(data: Any, keys: tuple[str, ...]) -> Any:
    for key in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


class _Lines:
    """Where each rule entry and each of its keys starts in the TOML text."""

    def __init__(self, text: str) -> None:
        self._entries: dict[tuple[tuple[str, ...], int], int] = {}
        self._keys: dict[tuple[tuple[str, ...], int, str], int] = {}
        self._inline: dict[tuple[str, ...], int] = {}
        counts: dict[tuple[str, ...], int] = {}
        table: tuple[str, ...] = ()
        entry: int | None = None
        for number, line in enumerate(text.splitlines(), start=1):
            if header := _HEADER.match(line):
                table = tuple(a or b for a, b in _PATH_PART.findall(header[2]))
                entry = None
                if header[1] == "[[":
                    entry = counts[table] = counts.get(table, -1) + 1
                    self._entries[table, entry] = number
            elif key := _KEY.match(line):
                name = key[1].strip('"')
                if entry is not None:
                    self._keys.setdefault((table, entry, name), number)
                else:
                    self._inline.setdefault((*table, name), number)

    def find(self, table: tuple[str, ...], index: int, key: str) -> int | None:
        first = key.split(".")[0]
        return (
            self._keys.get((table, index, first))
            or self._entries.get((table, index))
            or self._inline.get(table)
        )
