"""Botschafter: the platform-neutral core of the bot."""

__version__ = "0.1.0"
