"""Features as cogs; each is platform-neutral and knows only the core (bot/)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.cog import Cog


def all_cogs() -> list[type[Cog]]:
    """Every shipped feature, in the order their listeners run for one event."""
    from cogs.meta import MetaCog
    from cogs.moderation import ModerationCog
    from cogs.tickets import TicketsCog
    from cogs.welcome import WelcomeCog

    return [MetaCog, WelcomeCog, ModerationCog, TicketsCog]
