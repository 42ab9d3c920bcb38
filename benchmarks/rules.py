"""Rule-engine benchmark: messages per second, p99 latency, baselines, rebuild time.

    python -m benchmarks.rules [--messages 100000] [--terms 10000] [--seed 7]

Runs on one core, on a seeded synthetic corpus (see `_corpus`) with a 10,000-keyword
list and every other rule type enabled. In the same run it times two baselines on the
same messages and keywords, both with Python's `re` on the raw text (no folding, so they
do less work than the engine): one regex per keyword searched in turn, and one
alternation of all keywords between ``\\b``. The per-keyword baseline is so slow that it
runs on a sample of the messages, and says so. Output: human-readable lines, then exactly
one JSON line with every figure.
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import re
import statistics
import time
from collections.abc import Callable, Sequence
from typing import Any

from benchmarks._corpus import Terms, disguise, make_messages, make_terms
from cogs.moderation.rules import CheckedMessage, RecentActivity, RuleSet, parse_rules

# Timed passes per figure; the median is reported, so one noisy pass does not decide.
_PASSES = 3
# Rebuilds timed; the median is reported.
_REBUILDS = 5
# Messages checked once before timing starts.
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
    validate_ms, build_ms = _rebuild_times(entries)
    rules = RuleSet(parse_rules(entries))
    keywords_only = RuleSet(parse_rules(entries[:1]))
    _warm_up(rules, normal + adversarial)
    gc.collect()
    gc.freeze()  # the corpus is long-lived, as a running bot's startup objects are

    figures: dict[str, Any] = {
        "messages": len(normal),
        "terms": len(terms.written),
        "rule_types": len({entry["type"] for entry in entries}),
        "normal_msgs_per_s": _median_rate(rules, normal),
        "adversarial_msgs_per_s": _median_rate(rules, adversarial),
        "keywords_only_msgs_per_s": _median_rate(keywords_only, normal),
        "rebuild_validate_ms": validate_ms,
        "rebuild_build_ms": build_ms,
        "rebuild_total_ms": round(validate_ms + build_ms, 2),
    }
    for name, messages in (("normal", normal), ("adversarial", adversarial)):
        figures[f"{name}_p99_us"], figures[f"{name}_hit_share"] = _latency(rules, messages)
    figures |= _baselines(terms, normal)
    fastest = max(
        figures["baseline_per_term_msgs_per_s"], figures["baseline_alternation_msgs_per_s"]
    )
    figures["speedup_vs_faster_baseline"] = round(figures["normal_msgs_per_s"] / fastest, 1)
    figures["keywords_only_speedup_vs_faster_baseline"] = round(
        figures["keywords_only_msgs_per_s"] / fastest, 1
    )
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


def _rebuild_times(entries: list[dict[str, Any]]) -> tuple[float, float]:
    """Median milliseconds to validate the rule entries, and to compile them."""
    validate, build = [], []
    for _ in range(_REBUILDS):
        started = time.perf_counter()
        settings = parse_rules(entries)
        validated = time.perf_counter()
        RuleSet(settings)
        built = time.perf_counter()
        validate.append(validated - started)
        build.append(built - validated)
    return round(statistics.median(validate) * 1e3, 2), round(statistics.median(build) * 1e3, 2)


def _warm_up(rules: RuleSet, messages: list[CheckedMessage]) -> None:
    """Check a sample once, untimed, so one-off work (the fold table, caches) is done."""
    activity = RecentActivity()
    for message in messages[:: max(1, len(messages) // _WARM_UP)]:
        rules.check(message, activity)


def _median_rate(rules: RuleSet, messages: list[CheckedMessage]) -> int:
    rates = []
    for _ in range(_PASSES):
        activity = RecentActivity()
        check = rules.check
        started = time.perf_counter()
        for message in messages:
            check(message, activity)
        rates.append(len(messages) / (time.perf_counter() - started))
    return round(statistics.median(rates))


def _latency(rules: RuleSet, messages: list[CheckedMessage]) -> tuple[float, float]:
    """The median over passes of the 99th percentile µs per message, and the hit share."""
    clock = time.perf_counter_ns
    percentiles = []
    for _ in range(_PASSES):
        activity = RecentActivity()
        durations = []
        hits = 0
        for message in messages:
            started = clock()
            hits += bool(rules.check(message, activity))
            durations.append(clock() - started)
        percentiles.append(statistics.quantiles(durations, n=100)[98] / 1e3)
    return round(statistics.median(percentiles), 1), round(hits / len(messages), 4)


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


def _report(figures: dict[str, Any]) -> None:
    print(f"Rule engine, {figures['messages']:,} messages, {figures['terms']:,} keywords, ", end="")
    print(f"{figures['rule_types']} rule types enabled, one core")
    print(f"  full check, normal text:       {figures['normal_msgs_per_s']:>10,} msg/s", end="")
    print(f"   p99 {figures['normal_p99_us']} µs   hits {figures['normal_hit_share']:.1%}")
    print(
        f"  full check, adversarial text:  {figures['adversarial_msgs_per_s']:>10,} msg/s", end=""
    )
    print(
        f"   p99 {figures['adversarial_p99_us']} µs   hits {figures['adversarial_hit_share']:.1%}"
    )
    print(f"  keyword rule alone, normal:    {figures['keywords_only_msgs_per_s']:>10,} msg/s")
    print(
        f"  baseline, one regex per term:  {figures['baseline_per_term_msgs_per_s']:>10,} msg/s"
        f"   (on the first {figures['baseline_per_term_sample']} messages only)"
    )
    print(
        f"  baseline, one \\b alternation:  {figures['baseline_alternation_msgs_per_s']:>10,} msg/s"
        f"   (first {figures['baseline_alternation_sample']} messages; compiled in"
        f" {figures['baseline_alternation_compile_ms']} ms)"
    )
    print(f"  full check vs faster baseline:  {figures['speedup_vs_faster_baseline']}x", end="")
    print(f"   (keyword rule alone: {figures['keywords_only_speedup_vs_faster_baseline']}x)")
    print(
        f"  rebuild: validate {figures['rebuild_validate_ms']} ms + compile"
        f" {figures['rebuild_build_ms']} ms = {figures['rebuild_total_ms']} ms; swap is one"
        " reference assignment"
    )
    print(json.dumps(figures, sort_keys=True))


if __name__ == "__main__":
    main()
