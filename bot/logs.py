"""Logging set-up: the bot's own level, with the libraries it uses kept at INFO.

At DEBUG, aiosqlite logs every SQL statement with its parameters (webhook URLs, message
text), and the HTTP and platform libraries log requests and payloads. BOTSCHAFTER_LOG_LEVEL
is about the bot's own code, so these libraries stay at INFO even when it says DEBUG;
BOTSCHAFTER_LOG_LIBRARIES_DEBUG=true lets their DEBUG lines through too, for the rare
session that needs them (they may then contain secrets and members' messages).
"""

from __future__ import annotations

import logging

from bot.settings import Settings

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Loggers of third-party code. "adapters.slack.bolt" is slack-bolt's own logger, named
# under ours by the Slack adapter; at DEBUG it logs whole request bodies.
LIBRARIES = (
    "aiosqlite",
    "asyncpg",
    "asyncio",
    "aiohttp",
    "discord",
    "slack_bolt",
    "slack_sdk",
    "websockets",
    "adapters.slack.bolt",
)


def configure_logging(settings: Settings) -> None:
    """Log to stderr at the configured level, libraries at INFO unless asked otherwise."""
    logging.basicConfig(level=settings.log_level, format=FORMAT)
    quiet_libraries(settings)


def quiet_libraries(settings: Settings) -> None:
    """Hold the libraries at INFO when the bot logs at DEBUG. At any other level they
    simply follow the root logger (the terminal mode raises it to WARNING later)."""
    below_info = settings.log_level == "DEBUG" and not settings.log_libraries_debug
    for name in LIBRARIES:
        logging.getLogger(name).setLevel(logging.INFO if below_info else logging.NOTSET)
