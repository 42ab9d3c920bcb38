"""The rule-engine benchmark runs and ends with one JSON line; no timing is asserted."""

from __future__ import annotations

import json

import pytest

from benchmarks import rules as benchmark


def test_benchmark_smoke_run_prints_figures_as_a_last_json_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    benchmark.main(["--messages", "2000", "--terms", "500"])
    last = capsys.readouterr().out.strip().splitlines()[-1]
    figures = json.loads(last)
    assert figures["messages"] == 2000
    assert figures["terms"] == 500
    assert figures["rule_types"] == 14
    for key in (
        "normal_msgs_per_s",
        "adversarial_msgs_per_s",
        "normal_p99_us",
        "adversarial_p99_us",
        "normal_p99_best_us",
        "normal_msgs_per_s_best",
        "keywords_only_msgs_per_s",
        "baseline_per_term_msgs_per_s",
        "baseline_alternation_msgs_per_s",
        "normal_speedup_vs_faster_baseline",
        "rebuild_total_ms",
        "keywords_only_speedup_vs_faster_baseline",
    ):
        assert figures[key] > 0
    assert 0.005 < figures["normal_hit_share"] < 0.1
    assert 0 < figures["disguised_hits_caught_share"] <= 1
