"""Welcome and recognition: greet newcomers in their language, rules acceptance,
join-wave alerts for moderators, and kudos between members. See docs/welcome.md."""

from cogs.welcome.cog import WelcomeCog

__all__ = ["WelcomeCog"]
