"""The escalation ladder: which configured step, if any, a member's record has reached.

Counting happens in storage; this module only orders the steps, strongest first, so a
member who has reached both "3 warnings → timeout" and "5 warnings → ban" gets the ban
suggested, not the timeout.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta

from bot.commands import format_duration
from cogs.moderation.actions import SEVERITY, ModAction
from cogs.moderation.config import EscalationStep

# Counts infractions of a kind since a moment; storage answers it.
Counter = Callable[[str, datetime], Awaitable[int]]


async def reached_step(
    steps: Sequence[EscalationStep], kind: ModAction, now: datetime, count: Counter
) -> EscalationStep | None:
    """The strongest step for infractions of `kind` whose threshold the member has reached."""
    candidates = sorted(
        (step for step in steps if step.kind == kind.value),
        key=lambda step: (SEVERITY[ModAction(step.then)], step.count),
        reverse=True,
    )
    for step in candidates:
        if await count(step.kind, now - step.within) >= step.count:
            return step
    return None


def step_details(step: EscalationStep) -> dict[str, object]:
    """What an escalation flag stores about its step, to explain itself later."""
    return {"count": step.count, "kind": step.kind, "within": format_duration(step.within)}


def step_duration(step: EscalationStep, default: timedelta) -> timedelta:
    return step.duration or default
