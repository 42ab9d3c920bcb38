"""The moderation rule engine: pure, synchronous, fast; see FILTERS.md for the design.

Typical use by the cog::

    rules = load_rules_file(path, community.key)      # or RuleSet(parse_rules(entries))
    activity = RecentActivity()                        # one per process
    matches = rules.check(CheckedMessage(...), activity)

Each match's `reason` is a `Reason`: a catalog key and values, which the cog words in the
reader's language (`cogs.moderation.reasons`).
"""

from cogs.moderation.rules.activity import RecentActivity
from cogs.moderation.rules.config import (
    AnyRuleSettings,
    RuleProblem,
    RulesConfigError,
    RulesField,
    parse_rules,
)
from cogs.moderation.rules.engine import RuleSet
from cogs.moderation.rules.files import load_rules_file, validate_rules_file
from cogs.moderation.rules.model import (
    Action,
    CheckedMessage,
    Reason,
    ReasonKey,
    ReasonValue,
    RuleKind,
    RuleMatch,
)
from cogs.moderation.rules.normalise import fold
from cogs.moderation.rules.trial import TrialResult, try_text

__all__ = [
    "Action",
    "AnyRuleSettings",
    "CheckedMessage",
    "Reason",
    "ReasonKey",
    "ReasonValue",
    "RecentActivity",
    "RuleKind",
    "RuleMatch",
    "RuleProblem",
    "RuleSet",
    "RulesConfigError",
    "RulesField",
    "TrialResult",
    "fold",
    "load_rules_file",
    "parse_rules",
    "try_text",
    "validate_rules_file",
]
