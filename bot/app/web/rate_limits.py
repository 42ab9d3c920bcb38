"""Rate-limit waits for /metrics, counted from the lines that announce them.

discord.py waits out a 429 inside its HTTP client and says so in a warning, and so does
the Slack adapter's retry handler before it waits. Counting those lines keeps the
adapters free of any metrics code and costs nothing while no limit is hit.
"""

from __future__ import annotations

import logging

from bot.metrics import Metrics

# The loggers that announce a wait, and the platform each speaks for.
SOURCES = {"discord.http": "discord", "adapters.slack.rate_limits": "slack"}
WAITING = "Retrying in"


class RateLimitWaits(logging.Handler):
    def __init__(self, metrics: Metrics) -> None:
        super().__init__(logging.INFO)
        self._metrics = metrics

    def emit(self, record: logging.LogRecord) -> None:
        platform = SOURCES.get(record.name)
        if platform is None or WAITING not in str(record.msg) or not record.args:
            return
        args = record.args if isinstance(record.args, tuple) else (record.args,)
        try:
            seconds = float(args[-1])  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return
        waited = self._metrics.rate_limit_seconds
        self._metrics.rate_limit_waits[platform] += 1
        waited[platform] = waited.get(platform, 0.0) + seconds

    def install(self) -> None:
        for name in SOURCES:
            logging.getLogger(name).addHandler(self)

    def remove(self) -> None:
        for name in SOURCES:
            logging.getLogger(name).removeHandler(self)
