"""Rule-engine benchmark: messages per second, p99 latency, baselines, rebuild time.

    python -m benchmarks.rules [--messages 100000] [--terms 10000] [--seed 7]

Runs on one core, on a seeded synthetic corpus (see `_corpus`) with a 10,000-keyword
list and every other rule type enabled, once as normal chat and once disguised. In the
same run it times two baselines on the same messages and keywords, both with Python's
`re` on the raw text (no folding, so they do less work than the engine): one regex per
keyword searched in turn, and one alternation of all keywords between ``\\b``. The
per-keyword baseline is so slow that it runs on a sample of the messages, and says so.

Throughput is the median of several passes (and the best, which other processes on a
shared machine cannot inflate); p99 is the median over passes of each pass's 99th
percentile, and also the 99th percentile of each message's best time. The machine's load
average is printed with the figures. Output: human-readable lines, then exactly one
JSON line with every figure.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import re
import statistics
import time
from collections.abc import Callable, Sequence
from typing import Any

from benchmarks._corpus import Terms, disguise, make_messages, make_terms
from cogs.moderation.rules import CheckedMessage, RecentActivity, RuleSet, parse_rules

# Timed passes per throughput figure: enough for a median that one noisy pass can't move.
_PASSES = 5
# Timed passes for latency, which also records every message's time.
_LATENCY_PASSES = 3
# Rebuilds timed; the median is reported.
_REBUILDS = 5
# Messages checked once before timing starts, so one-off work (the fold table) is done.
_WARM_UP = 1000
# Messages the baselines see. One regex per keyword costs milliseconds per message, so
# a few hundred messages already take seconds; the alternation affords more.
_PER_TERM_SAMPLE = 200
_ALTERNATION_SAMPLE = 2000


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    """Run the benchmark, print its figures, and return them."""
    args = _arguments(argv)
    rng = random.Random(args.seed)
    terms = make_terms(args.terms, rng)
    normal = make_messages(args.messages, terms, rng)
    adversarial = disguise(normal, rng)
    entries = rule_entries(terms)
    figures: dict[str, Any] = {
        "messages": len(normal),
        "terms": len(terms.written),
        "rule_types": len({entry["type"] for entry in entries}),
        "load_average_at_start": round(os.getloadavg()[0], 2),
    }
    figures |= _rebuild(entries)
    rules = RuleSet(parse_rules(entries))
    _warm_up(rules, normal + adversarial)
    gc.collect()
    gc.freeze()  # the corpus is long-lived, as a running bot's startup objects are
    figures |= _engine(rules, normal, adversarial)
    figures |= _throughput("keywords_only", RuleSet(parse_rules(entries[:1])), normal)
    figures |= _baselines(terms, normal)
    fastest = max(
        figures["baseline_per_term_msgs_per_s"], figures["baseline_alternation_msgs_per_s"]
    )
    for name in ("normal", "keywords_only"):
        figures[f"{name}_speedup_vs_faster_baseline"] = round(
            figures[f"{name}_msgs_per_s"] / fastest, 1
        )
    figures["load_average_at_end"] = round(os.getloadavg()[0], 2)
    _report(figures)
    return figures


def rule_entries(terms: Terms) -> list[dict[str, Any]]:
    """The benchmark's rules: the keyword list first, then one rule of every other type."""
    return [
        {"name": "word list", "type": "keywords", "keywords": terms.written},
        {"name": "topics", "type": "watch_words", "keywords": ["refund*", "outage", "data leak"]},
        {"name": "scams", "type": "regex", "patterns": [r"free\s+nitro", r"steam\s*gift"]},
        {"name": "invites", "type": "invites", "allow": ["discord.gg/bench"]},
        {
            "name": "links",
            "type": "links",
            "deny": [f"scam{n}.example" for n in range(20)],
            "allow_only": ["github.com", "python.org", "discord.gg"],
        },
        {"name": "everyone", "type": "mass_mentions"},
        {"name": "mentions", "type": "mention_spam"},
        {"name": "copies", "type": "duplicates"},
        {"name": "burst", "type": "burst"},
        {"name": "caps", "type": "caps"},
        {"name": "zalgo", "type": "zalgo"},
        {"name": "files", "type": "attachments", "max_count": 4, "deny_extensions": ["exe"]},
        {"name": "secrets", "type": "credentials"},
        {"name": "new accounts", "type": "new_account_links"},
    ]


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.rules", description=__doc__)
    parser.add_argument("--messages", type=int, default=100_000, help="corpus size")
    parser.add_argument("--terms", type=int, default=10_000, help="keyword list size")
    parser.add_argument("--seed", type=int, default=7, help="corpus seed")
    return parser.parse_args(argv)


def _rebuild(entries: list[dict[str, Any]]) -> dict[str, float]:
    """Median milliseconds to validate the rule entries, and to compile them."""
    validate, build = [], []
    for _ in range(_REBUILDS):
        started = time.perf_counter()
        settings = parse_rules(entries)
        validated = time.perf_counter()
        RuleSet(settings)
        validate.append((validated - started) * 1e3)
        build.append((time.perf_counter() - validated) * 1e3)
    validate_ms, build_ms = statistics.median(validate), statistics.median(build)
    return {
        "rebuild_validate_ms": round(validate_ms, 2),
        "rebuild_build_ms": round(build_ms, 2),
        "rebuild_total_ms": round(validate_ms + build_ms, 2),
    }


def _warm_up(rules: RuleSet, messages: list[CheckedMessage]) -> None:
    activity = RecentActivity()
    for message in messages[:: max(1, len(messages) // _WARM_UP)]:
        rules.check(message, activity)


def _engine(
    rules: RuleSet, normal: list[CheckedMessage], adversarial: list[CheckedMessage]
) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    hits = {}
    for name, messages in (("normal", normal), ("adversarial", adversarial)):
        figures |= _throughput(name, rules, messages)
        latency, hits[name] = _latency(name, rules, messages)
        figures |= latency
    caught = sum(a and b for a, b in zip(hits["normal"], hits["adversarial"], strict=True))
    figures["disguised_hits_caught_share"] = round(caught / max(1, sum(hits["normal"])), 4)
    return figures


def _throughput(name: str, rules: RuleSet, messages: list[CheckedMessage]) -> dict[str, int]:
    rates = []
    for _ in range(_PASSES):
        activity = RecentActivity()
        check = rules.check
        started = time.perf_counter()
        for message in messages:
            check(message, activity)
        rates.append(len(messages) / (time.perf_counter() - started))
    return {
        f"{name}_msgs_per_s": round(statistics.median(rates)),
        f"{name}_msgs_per_s_best": round(max(rates)),
    }


def _latency(
    name: str, rules: RuleSet, messages: list[CheckedMessage]
) -> tuple[dict[str, float], list[bool]]:
    """p99 µs per message two ways, the hit share, and which messages hit."""
    clock = time.perf_counter_ns
    percentiles = []
    best = [float("inf")] * len(messages)
    hits: list[bool] = []
    for _ in range(_LATENCY_PASSES):
        activity = RecentActivity()
        durations = []
        hits = []
        for index, message in enumerate(messages):
            started = clock()
            hits.append(bool(rules.check(message, activity)))
            durations.append(clock() - started)
            best[index] = min(best[index], durations[-1])
        percentiles.append(_p99(durations))
    figures = {
        f"{name}_p99_us": round(statistics.median(percentiles) / 1e3, 1),
        f"{name}_p99_best_us": round(_p99(best) / 1e3, 1),
        f"{name}_hit_share": round(sum(hits) / len(messages), 4),
    }
    return figures, hits


def _p99(durations: list[float]) -> float:
    return statistics.quantiles(durations, n=100)[98]


def _baselines(terms: Terms, messages: list[CheckedMessage]) -> dict[str, Any]:
    texts = [message.text for message in messages]
    plain = terms.plain
    per_term = [re.compile(rf"\b{re.escape(term)}\b", re.IGNORECASE) for term in plain]
    started = time.perf_counter()
    alternation = re.compile(rf"\b(?:{'|'.join(map(re.escape, plain))})\b", re.IGNORECASE)
    compile_ms = (time.perf_counter() - started) * 1e3
    per_term_sample = texts[:_PER_TERM_SAMPLE]
    alternation_sample = texts[:_ALTERNATION_SAMPLE]
    return {
        "baseline_per_term_msgs_per_s": _rate(
            lambda text: [p for p in per_term if p.search(text)], per_term_sample
        ),
        "baseline_per_term_sample": len(per_term_sample),
        "baseline_alternation_msgs_per_s": _rate(alternation.findall, alternation_sample),
        "baseline_alternation_sample": len(alternation_sample),
        "baseline_alternation_compile_ms": round(compile_ms, 1),
    }


def _rate(find: Callable[[str], object], texts: list[str]) -> float:
    started = time.perf_counter()
    for text in texts:
        find(text)
    return round(len(texts) / (time.perf_counter() - started), 1)


def _report(f: dict[str, Any]) -> None:
    lines = [
        f"Rule engine: {f['messages']:,} messages, {f['terms']:,} keywords,"
        f" {f['rule_types']} rule types enabled, one core"
        f" (load average {f['load_average_at_start']} at start, {f['load_average_at_end']} at end)",
    ]
    for name in ("normal", "adversarial"):
        lines.append(
            f"  full check, {name + ' text:':18}{f[f'{name}_msgs_per_s']:>9,} msg/s"
            f" (best pass {f[f'{name}_msgs_per_s_best']:,})"
            f"   p99 {f[f'{name}_p99_us']} µs (per-message best {f[f'{name}_p99_best_us']} µs)"
            f"   hits {f[f'{name}_hit_share']:.1%}"
        )
    lines += [
        "  normal messages that break a rule and still do when disguised:"
        f" {f['disguised_hits_caught_share']:.1%}",
        f"  keyword rule alone, normal:   {f['keywords_only_msgs_per_s']:>9,} msg/s",
        f"  baseline, one regex per term: {f['baseline_per_term_msgs_per_s']:>9,} msg/s"
        f"   (on the first {f['baseline_per_term_sample']} messages only: it is that slow)",
        f"  baseline, one \\b alternation: {f['baseline_alternation_msgs_per_s']:>9,} msg/s"
        f"   (on the first {f['baseline_alternation_sample']} messages;"
        f" compiled in {f['baseline_alternation_compile_ms']} ms)",
        f"  full check vs faster baseline: {f['normal_speedup_vs_faster_baseline']}x"
        f"   (keyword rule alone: {f['keywords_only_speedup_vs_faster_baseline']}x)",
        f"  rebuild: validate {f['rebuild_validate_ms']} ms + compile {f['rebuild_build_ms']} ms"
        f" = {f['rebuild_total_ms']} ms; the swap is one reference assignment",
    ]
    print("\n".join(lines))
    print(json.dumps(f, sort_keys=True))


if __name__ == "__main__":
    main()
