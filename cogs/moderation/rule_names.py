"""Rule names as a reader sees them: the admins' own names as written, and the names the
bot gives its default rules in the reader's language.

A rule's name is its identity in storage (hits, flags, metrics), so it never changes; only
how it is shown does. The defaults apply when a community wrote no ``[[moderation.rules]]``
at all: then "leaked secrets" reads "geleakte Geheimnisse" on a German flag. A community
that names a rule itself, even with the same words, sees exactly what it wrote.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from bot.i18n import I18n

if TYPE_CHECKING:
    from cogs.moderation.config import ModerationConfig

# The rules every community has until it writes its own: the two breaches no community
# wants (leaked tokens, @everyone/@here pings). Their names are the catalog's keys.
DEFAULT_RULES = (
    {"name": "leaked secrets", "type": "credentials"},
    {"name": "mass mentions", "type": "mass_mentions"},
)
_CATALOG_KEYS = {
    "leaked secrets": "rule_name.leaked_secrets",
    "mass mentions": "rule_name.mass_mentions",
}


def rule_name(i18n: I18n, locale: str, section: ModerationConfig, name: str) -> str:
    """`name` in `locale` if it is one of the defaults the community uses, else as written."""
    key = _CATALOG_KEYS.get(name)
    if key is None or "rules" in section.model_fields_set:
        return name
    return i18n.text(key, locale)


def rule_names(
    i18n: I18n, locale: str, section: ModerationConfig, names: Iterable[str]
) -> list[str]:
    return [rule_name(i18n, locale, section, name) for name in names]
