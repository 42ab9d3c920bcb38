"""Moderation: the rule engine (`cogs.moderation.rules`), flags, reports and reactions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cogs.moderation.cog import ModerationCog

__all__ = ["ModerationCog"]


def __getattr__(name: str) -> Any:
    # Imported on first use, so the rule engine (CLI, benchmarks) loads without the cog.
    if name == "ModerationCog":
        from cogs.moderation.cog import ModerationCog

        return ModerationCog
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
