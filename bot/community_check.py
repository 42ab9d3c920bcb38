"""The community check: does every channel and role the configuration names exist, and may
the bot do there what the features need (post, react, open threads, grant the rules role)?

A deployment with a renamed channel or a role above the bot's own fails quietly otherwise:
flags that never reach the moderators, a rules button that grants nothing. The facts come
from `Platform.inspect_communities`; what each setting needs comes from its `ChannelNeeds`
mark. Problems are catalog texts (``core.check.*``), so the admins' channel reads them in
the community's language and logs in English.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from bot.config import EffectiveConfig
from bot.errors import UserError
from bot.i18n import FALLBACK_LOCALE, I18n, core_error
from bot.inventory import ChannelFacts, CommunityFacts, Use
from bot.platform import Capability

# Names listed after "does not exist": enough to spot the intended one, short enough to read.
MAX_NAMES = 25
# A use the bot needs in a channel only where the platform offers the capability at all;
# a platform without threads (or a token without the reactions scope) says so elsewhere.
_NEEDS_CAPABILITY = {Use.REACT: Capability.REACT, Use.THREADS: Capability.THREADS}
# The role settings of ``[community.roles]``; `GRANTED_ROLE` is the one the bot gives members.
ROLE_SETTINGS = ("admins", "moderators", "ambassadors", "member")
GRANTED_ROLE = "member"


@dataclass(frozen=True)
class Problem:
    """One configured channel or role the bot cannot use, as a catalog text."""

    key: str  # under core.check
    values: Mapping[str, str]
    uses: tuple[Use, ...] = ()  # what the bot may not do there, named in the reader's language

    def text(self, i18n: I18n, locale: str = FALLBACK_LOCALE) -> str:
        uses = ", ".join(
            i18n.text(f"core.check.use.{use.name.lower()}", locale) for use in self.uses
        )
        return i18n.text(f"core.check.{self.key}", locale, **self.values, uses=uses)


def problems(
    config: EffectiveConfig, facts: CommunityFacts, capabilities: frozenset[Capability]
) -> list[Problem]:
    """Every configured channel and role that is missing or unusable, one problem each."""
    return [*_channel_problems(config, facts, capabilities), *_role_problems(config, facts)]


def refusal(candidate: EffectiveConfig, key: str, facts: CommunityFacts) -> UserError | None:
    """Why ``/config set key`` must not be saved: it names a channel or role that does not
    exist (in `candidate`, the configuration as it would be); None when it may be."""
    for setting, value in candidate.channel_settings().items():
        if _within(setting, key) and facts.channel(value) is None:
            names = _names(f"#{c.name}" for c in facts.channels)
            return core_error("core.check.no_such_channel", channel=value, names=names)
    if facts.roles is None:
        return None  # the platform cannot list roles here: nothing to compare with
    for setting, value in role_settings(candidate):
        if _within(setting, key) and facts.role(value) is None:
            names = _names(r.name for r in facts.roles)
            return core_error("core.check.no_such_role", role=value, names=names)
    return None


def role_settings(config: EffectiveConfig) -> list[tuple[str, str]]:
    """(dotted key, role name or id) for every configured role, empty ones left out."""
    roles = config.community.roles
    found: list[tuple[str, str]] = []
    for name in ROLE_SETTINGS:
        value = getattr(roles, name)
        for role in value if isinstance(value, list) else [value]:
            if role.strip():
                found.append((f"community.roles.{name}", role.strip()))
    for code, team in config.community.languages.roles.items():
        found += [(f"community.languages.roles.{code}", r.strip()) for r in team if r.strip()]
    return found


# -- channels ---------------------------------------------------------------------------------


@dataclass
class _Wanted:
    """One channel as the configuration names it, with every setting that does."""

    value: str
    settings: list[str] = field(default_factory=list)
    needs: set[Use] = field(default_factory=set)


def _channel_problems(
    config: EffectiveConfig, facts: CommunityFacts, capabilities: frozenset[Capability]
) -> list[Problem]:
    found: dict[str, tuple[ChannelFacts, _Wanted]] = {}
    missing: dict[str, _Wanted] = {}
    for setting, value in config.channel_settings().items():
        channel = facts.channel(value)
        if channel is None:
            wanted = missing.setdefault(value.casefold(), _Wanted(value))
        else:
            wanted = found.setdefault(channel.id, (channel, _Wanted(value)))[1]
        wanted.settings.append(setting)
        wanted.needs |= config.channel_needs(setting).uses
    names = _names(f"#{c.name}" for c in facts.channels)
    result = [
        Problem(
            "channel_missing",
            {"channel": w.value, "settings": ", ".join(w.settings), "names": names},
        )
        for w in missing.values()
    ]
    for channel, wanted in found.values():
        lacking = tuple(
            use
            for use in Use
            if use in wanted.needs and use not in channel.may and _offered(use, capabilities)
        )
        if lacking:
            advice = " ".join(
                dict.fromkeys(channel.advice[u] for u in lacking if u in channel.advice)
            )
            values = {"channel": channel.name, "settings": ", ".join(wanted.settings)}
            result.append(Problem("channel_unusable", {**values, "advice": advice}, lacking))
    return result


# -- roles ------------------------------------------------------------------------------------


def _role_problems(config: EffectiveConfig, facts: CommunityFacts) -> list[Problem]:
    configured = role_settings(config)
    if not configured:
        return []
    if facts.roles is None:
        return [Problem("roles_unknown", {"reason": facts.roles_unknown})]
    by_role: dict[str, list[str]] = {}
    for setting, value in configured:
        by_role.setdefault(value, []).append(setting)
    names = _names(r.name for r in facts.roles)
    result: list[Problem] = []
    for value, settings in by_role.items():
        values = {"role": value, "settings": ", ".join(settings)}
        role = facts.role(value)
        if role is None:
            result.append(Problem("role_missing", {**values, "names": names}))
        elif f"community.roles.{GRANTED_ROLE}" in settings and not role.grantable:
            values["role"] = role.name
            result.append(Problem("role_not_grantable", {**values, "advice": role.advice}))
    return result


# -- helpers ----------------------------------------------------------------------------------


def _offered(use: Use, capabilities: frozenset[Capability]) -> bool:
    needed = _NEEDS_CAPABILITY.get(use)
    return needed is None or needed in capabilities


def _within(setting: str, key: str) -> bool:
    """Whether setting `key` sets `setting` (itself, or a table holding it)."""
    return setting == key or setting.startswith(f"{key}.")


def _names(names: Iterable[str]) -> str:
    listed = sorted(set(names), key=str.casefold)
    if not listed:
        return "–"
    shown = ", ".join(listed[:MAX_NAMES])
    more = len(listed) - MAX_NAMES
    return f"{shown} … (+{more})" if more > 0 else shown
