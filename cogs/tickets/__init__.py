"""Ambassador tickets: members raise concerns, ambassadors report back in public until done.

Modules: `lifecycle` (state changes), `render` (tracker and lines), `announce` (posting),
`followups` (durable follow-ups, reminders, first-response pings), `votes` and `reactions`,
`company` (escalation), `digest`, `views` (list and show), `export` and `cli`; the commands
live in `member_commands` and `ambassador_commands`, events and jobs in `handlers`.
"""

from cogs.tickets.cog import TicketsCog

__all__ = ["TicketsCog"]
