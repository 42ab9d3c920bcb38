"""The tickets cog: member and ambassador commands, reactions and jobs in one feature."""

from __future__ import annotations

from cogs.tickets.ambassador_commands import AmbassadorCommands
from cogs.tickets.handlers import TicketHandlers
from cogs.tickets.member_commands import MemberCommands


class TicketsCog(MemberCommands, AmbassadorCommands, TicketHandlers):
    """Ambassador tickets: see docs/tickets.md."""
