"""The bot's counters (bot/metrics.py) as Prometheus metrics, read when /metrics is
scraped; plus what only the database knows (pending jobs, the scheduler's lag), read
just before. Each bot gets its own registry: no process-wide state."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

from bot.metrics import Histogram, Metrics


@dataclass(frozen=True, slots=True)
class QueueState:
    """Read from the database for each scrape."""

    jobs: dict[str, int]  # by status
    outbox: dict[str, int]  # by status
    scheduler_lag_seconds: float


class BotCollector(Collector):
    def __init__(self, metrics: Metrics) -> None:
        self._metrics = metrics
        self.queues = QueueState({}, {}, 0.0)

    def collect(self) -> Iterator[Metric]:
        m = self._metrics
        events = CounterMetricFamily(
            "botschafter_events", "Events that reached the dispatcher.", labels=["platform", "kind"]
        )
        by_name = {(platform, kind.__name__): n for (kind, platform), n in m.events.items()}
        for (platform, kind), count in sorted(by_name.items()):
            events.add_metric([platform, kind], count)
        yield events
        handlers = HistogramMetricFamily(
            "botschafter_handler_seconds",
            "Handler time by cog (listeners sampled, commands every one).",
            labels=["cog"],
        )
        for cog, histogram in sorted(m.handlers.items()):
            handlers.add_metric([cog], _buckets(histogram), histogram.sum)
        yield handlers
        rules = HistogramMetricFamily(
            "botschafter_rule_check_seconds", "Time to check one message against the rules."
        )
        rules.add_metric([], _buckets(m.rule_checks), m.rule_checks.sum)
        yield rules
        yield _counter(
            "botschafter_flags", "Rule hits recorded on flags, by rule.", "rule", m.flags
        )
        yield _counter(
            "botschafter_actions", "Platform actions carried out, by kind.", "kind", m.actions
        )
        errors = CounterMetricFamily(
            "botschafter_platform_errors",
            "Platform calls that failed, by error.",
            labels=["platform", "kind"],
        )
        for (platform, kind), count in sorted(m.platform_errors.items()):
            errors.add_metric([platform, kind], count)
        yield errors
        yield _counter(
            "botschafter_rate_limit_waits",
            "Waits a platform's rate limit imposed.",
            "platform",
            m.rate_limit_waits,
        )
        yield _counter(
            "botschafter_rate_limit_wait_seconds",
            "Seconds spent waiting out rate limits.",
            "platform",
            m.rate_limit_seconds,
        )
        yield _gauge("botschafter_jobs", "Scheduled jobs, by status.", self.queues.jobs)
        yield _gauge("botschafter_outbox", "Outbox entries, by status.", self.queues.outbox)
        yield GaugeMetricFamily(
            "botschafter_scheduler_lag_seconds",
            "How long the most overdue job has been due (0: none is late).",
            value=self.queues.scheduler_lag_seconds,
        )


def registry_for(metrics: Metrics) -> tuple[CollectorRegistry, BotCollector]:
    registry = CollectorRegistry(auto_describe=False)
    collector = BotCollector(metrics)
    registry.register(collector)
    return registry, collector


def exposition(registry: CollectorRegistry) -> bytes:
    return generate_latest(registry)


def _buckets(histogram: Histogram) -> list[tuple[str, float]]:
    """Cumulative counts per upper bound, as the exposition format wants them."""
    total, cumulative = 0, []
    for bound, count in zip((*histogram.bounds, float("inf")), histogram.counts, strict=True):
        total += count
        cumulative.append(("+Inf" if bound == float("inf") else repr(bound), float(total)))
    return cumulative


def _counter(name: str, help_text: str, label: str, counts: Mapping[str, float]) -> Metric:
    family = CounterMetricFamily(name, help_text, labels=[label])
    for key, count in sorted(counts.items()):
        family.add_metric([key], count)
    return family


def _gauge(name: str, help_text: str, values: dict[str, int]) -> Metric:
    family = GaugeMetricFamily(name, help_text, labels=["status"])
    for key, value in sorted(values.items()):
        family.add_metric([key], value)
    return family
