"""Applying exported AutoMod rules to a server, idempotently, touching only the bot's own.

The bot's rules are the ones named ``Botschafter: …`` (the export's prefix); every other
rule on the server is read (it takes one of the six keyword-rule slots) and left alone.
A run lists the server's rules, deletes the bot's rules the export no longer has, edits
the ones that differ and creates the missing ones, in that order (so a slot freed by a
deletion is there for a creation); a second copy of one of its rules (two runs at once)
is deleted too; a second run finds nothing to change and says so. Rules are matched by
name; one of the bot's rules whose name the export no longer has but whose keywords,
patterns and allow list a new name has (a rule renamed in the configuration, or a long
name now tagged by the export) is edited to the new name rather than deleted and created
again, so it keeps its id and the server never goes without it.

Exempt roles and channels may be given by name in the rules file; they are looked up
here, on the server, and a name the server does not know leaves that rule out (an
unintended exemption, or none, would change what the rule blocks); its version already on
the server, if any, stays as it was. Requests go through
discord.py's HTTP client, which waits out a 429 for as long as Retry-After says.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import discord

# The export's name prefix (cogs/moderation/automod/export.py), which the adapter cannot
# import: the bot's own rules on a server.
PREFIX = "Botschafter: "
KEYWORD_TRIGGER = 1
KEYWORD_RULES_PER_SERVER = 6
# Discord's JSON error code for a form it refuses (a limit exceeded).
INVALID_FORM_BODY = 50035
# Shown in the server's audit log next to each change.
_AUDIT = "python -m bot discord automod sync"
_COMPARED = ("event_type", "trigger_type", "enabled")
_METADATA = ("keyword_filter", "regex_patterns", "allow_list")


class AutoModRefused(Exception):
    """Discord refused the sync; the message says why and what to do."""


@dataclass
class SyncResult:
    created: list[str] = field(default_factory=list)
    modified: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    others: list[str] = field(default_factory=list)  # rules the bot leaves alone
    left_out: list[str] = field(default_factory=list)  # "name: why"

    @property
    def changed(self) -> bool:
        return bool(self.created or self.modified or self.deleted)


async def sync_rules(
    http: discord.http.HTTPClient, guild_id: int, wanted: Sequence[dict[str, Any]]
) -> SyncResult:
    """Make the bot's AutoMod rules on `guild_id` exactly `wanted`; raises `AutoModRefused`."""
    result = SyncResult()
    existing = await _call(http.get_auto_moderation_rules(guild_id))
    ours: dict[str, dict[str, Any]] = {}
    copies = []  # one of the bot's rules twice (two runs at once): the later copies go
    for r in existing:
        if not str(r.get("name", "")).startswith(PREFIX):
            continue
        if r["name"] in ours:
            copies.append(r)
        else:
            ours[r["name"]] = r
    result.others = [r["name"] for r in existing if r["name"] not in ours]
    taken = sum(
        1 for r in existing if r["name"] not in ours and r["trigger_type"] == KEYWORD_TRIGGER
    )
    resolved = await _resolved(http, guild_id, wanted, result)
    # A rule left out for a name the server does not know keeps its version on the server:
    # deleting it would drop the protection over a renamed role.
    kept = _kept(ours, wanted, resolved)
    free = KEYWORD_RULES_PER_SERVER - taken - len(kept)
    for rule in resolved[free:]:
        result.left_out.append(
            f"{rule['name']}: the server's other rules use {taken} of Discord's "
            f"{KEYWORD_RULES_PER_SERVER} keyword-rule slots"
        )
    fitting = {rule["name"]: rule for rule in resolved[: max(free, 0)]}
    for rule in copies:
        await _call(http.delete_auto_moderation_rule(guild_id, rule["id"], reason=_AUDIT))
        result.deleted.append(rule["name"])
    current_of = {name: ours[name] for name in fitting if name in ours}
    gone = [rule for name, rule in ours.items() if name not in fitting and name not in kept]
    current_of |= _renamed(gone, [rule for name, rule in fitting.items() if name not in ours])
    renamed = {rule["id"] for rule in current_of.values()}
    for rule in gone:
        if rule["id"] not in renamed:
            await _call(http.delete_auto_moderation_rule(guild_id, rule["id"], reason=_AUDIT))
            result.deleted.append(rule["name"])
    for name, rule in fitting.items():
        current = current_of.get(name)
        if current is None:
            continue
        if same(current, rule):
            result.unchanged.append(name)
            continue
        changes = {k: v for k, v in rule.items() if k != "trigger_type"}
        await _call(
            http.edit_auto_moderation_rule(guild_id, current["id"], reason=_AUDIT, **changes),
            name,
        )
        result.modified.append(name)
    for name, rule in fitting.items():
        if name not in current_of:
            await _call(http.create_auto_moderation_rule(guild_id, reason=_AUDIT, **rule), name)
            result.created.append(name)
    return result


def _kept(
    ours: dict[str, dict[str, Any]],
    wanted: Sequence[dict[str, Any]],
    resolved: Sequence[dict[str, Any]],
) -> set[str]:
    """The names of the bot's rules on the server whose new version is left out: by name,
    or, for a new name (renamed in the configuration, or a long name now tagged), the
    rule that matches the same (`_renamed`)."""
    done = {rule["name"] for rule in resolved}
    left = [rule for rule in wanted if rule["name"] not in done]
    named = {rule["name"] for rule in wanted}
    earlier = [rule for name, rule in ours.items() if name not in named]
    twins = _renamed(earlier, [rule for rule in left if rule["name"] not in ours])
    return {rule["name"] for rule in left if rule["name"] in ours} | {
        rule["name"] for rule in twins.values()
    }


def _renamed(
    gone: Sequence[dict[str, Any]], new: Sequence[dict[str, Any]]
) -> dict[str, dict[str, Any]]:
    """Each new name's rule on the server that only its name sets apart: the same
    keywords, patterns and allow list. Each rule once, in the server's order."""
    found: dict[str, dict[str, Any]] = {}
    left = list(gone)
    for rule in new:
        twin = next((old for old in left if _trigger(old) == _trigger(rule)), None)
        if twin is not None:
            left.remove(twin)
            found[rule["name"]] = twin
    return found


def _trigger(rule: dict[str, Any]) -> tuple[tuple[str, ...], ...]:
    """What a rule matches: its keywords, patterns and allow list."""
    metadata = rule.get("trigger_metadata") or {}
    return tuple(tuple(metadata.get(key) or []) for key in _METADATA)


def same(current: dict[str, Any], wanted: dict[str, Any]) -> bool:
    """Whether the server's rule already is `wanted` (Discord adds fields of its own)."""
    if any(current.get(key) != wanted.get(key) for key in _COMPARED):
        return False
    if current.get("name") != wanted.get("name"):
        return False
    if _trigger(current) != _trigger(wanted):
        return False
    if _ids(current.get("exempt_roles")) != _ids(wanted.get("exempt_roles")):
        return False
    if _ids(current.get("exempt_channels")) != _ids(wanted.get("exempt_channels")):
        return False
    return _actions(current.get("actions")) == _actions(wanted.get("actions"))


def _ids(values: Any) -> set[str]:
    return {str(v) for v in values or []}


def _actions(actions: Any) -> list[tuple[int, tuple[tuple[str, str], ...]]]:
    """Each action's type and the metadata Discord keeps (it adds empty fields)."""
    shown = []
    for action in actions or []:
        metadata = action.get("metadata") or {}
        kept = tuple(sorted((k, str(v)) for k, v in metadata.items() if v not in (None, "", 0)))
        shown.append((int(action["type"]), kept))
    return sorted(shown)


async def _resolved(
    http: discord.http.HTTPClient,
    guild_id: int,
    wanted: Sequence[dict[str, Any]],
    result: SyncResult,
) -> list[dict[str, Any]]:
    """The rules with exempt role and channel names replaced by the server's ids."""
    names = {n for r in wanted for n in [*r.get("exempt_roles", []), *r.get("exempt_channels", [])]}
    if all(str(n).isdigit() for n in names):
        return [dict(rule) for rule in wanted]
    roles = {r["name"].casefold(): r["id"] for r in await _call(http.get_roles(guild_id))}
    channels = {
        c["name"].casefold(): c["id"] for c in await _call(http.get_all_guild_channels(guild_id))
    }
    resolved = []
    for rule in wanted:
        try:
            resolved.append(
                {
                    **rule,
                    "exempt_roles": _lookup(rule.get("exempt_roles", []), roles, "@"),
                    "exempt_channels": _lookup(rule.get("exempt_channels", []), channels, "#"),
                }
            )
        except LookupError as missing:
            result.left_out.append(f"{rule['name']}: {missing.args[0]}")
    return resolved


def _lookup(names: Sequence[str], known: dict[str, str], sign: str) -> list[str]:
    ids = []
    for name in names:
        text = str(name).strip().lstrip(sign)
        if text.isdigit():
            ids.append(text)
        elif text.casefold() in known:
            ids.append(str(known[text.casefold()]))
        else:
            kind = "role" if sign == "@" else "channel"
            raise LookupError(f"the server has no {kind} named {sign}{text}")
    return ids


async def _call(request: Any, rule: str | None = None) -> Any:
    """One request; Discord's refusals as `AutoModRefused` with what to do."""
    try:
        return await request
    except discord.Forbidden:
        raise AutoModRefused(
            "the bot lacks the Manage Server permission, which AutoMod rules need: give "
            "the bot's role Manage Server (Server Settings → Roles), then run this again"
        ) from None
    except discord.HTTPException as error:
        what = f"rule {rule!r}: " if rule else ""
        if error.code == INVALID_FORM_BODY:
            raise AutoModRefused(
                f"{what}Discord refused it as beyond its limits: {error.text}; export it again "
                "with `python -m bot rules export --discord-automod`"
            ) from None
        raise AutoModRefused(f"{what}Discord answered {error.status}: {error.text}") from None
