"""Counters and latency histograms of the running bot, cheap enough for the hot path.

The dispatcher, scheduler and delivery loop count into plain dicts and fixed-bucket
histograms here; nothing is formatted or locked on the way. The application layer turns
them into Prometheus metrics only when ``/metrics`` is scraped (bot/app/web/prometheus.py),
so the core needs no metrics library and an event pays a dict update, not a library call.
Everything runs on the event loop, so plain ints are safe.

Listener latency is timed for one event in `LISTENER_SAMPLE` (two clock reads per handler
on every message would be a tenth of the dispatcher's whole budget, see
``python -m benchmarks.dispatch``); a histogram of a sample has the same shape. Commands,
jobs and rule checks are rare or slow enough to time every one.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter, defaultdict
from dataclasses import dataclass, field

# Upper bounds in seconds: a handler that answers within 5 ms is the norm, 1 s is slow,
# the 30 s handler time limit is the end.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 30.0)
# Rule checks run on every message and take microseconds; their buckets start lower.
RULE_BUCKETS = (0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.25)
# Every 16th event's listeners are timed: a power of two, so the test is one bit mask.
LISTENER_SAMPLE = 16


class Histogram:
    """Counts per bucket (the last one is +Inf), their sum, as Prometheus wants them."""

    __slots__ = ("bounds", "counts", "sum")

    def __init__(self, bounds: tuple[float, ...] = LATENCY_BUCKETS) -> None:
        self.bounds = bounds
        self.counts = [0] * (len(bounds) + 1)
        self.sum = 0.0

    def observe(self, seconds: float) -> None:
        self.counts[bisect_left(self.bounds, seconds)] += 1
        self.sum += seconds

    @property
    def count(self) -> int:
        return sum(self.counts)


@dataclass
class Metrics:
    """One bot's counters; the app creates one and hands it to every part that counts."""

    # (event type, platform) → events that reached the dispatcher. A defaultdict keyed by
    # the class: the cheapest count there is (a Counter's lookup is a Python call).
    events: defaultdict[tuple[type, str], int] = field(default_factory=lambda: defaultdict(int))
    # cog name → handler time (listeners sampled, commands every one).
    handlers: dict[str, Histogram] = field(default_factory=dict)
    rule_checks: Histogram = field(default_factory=lambda: Histogram(RULE_BUCKETS))
    # rule name → flags raised; outbox entry kind (post, timeout, ban, ...) → actions
    # carried out. Scheduler lag and pending jobs are read from the database when scraped.
    flags: Counter[str] = field(default_factory=Counter)
    actions: Counter[str] = field(default_factory=Counter)
    # (platform, error type name) → platform calls that failed.
    platform_errors: Counter[tuple[str, str]] = field(default_factory=Counter)
    # platform → waits a rate limit imposed, and their total seconds.
    rate_limit_waits: Counter[str] = field(default_factory=Counter)
    rate_limit_seconds: dict[str, float] = field(default_factory=dict)

    def handler_histogram(self, cog: str) -> Histogram:
        found = self.handlers.get(cog)
        if found is None:
            found = self.handlers[cog] = Histogram()
        return found
