"""The end-to-end benchmark runs on the wire-level fake and ends with one JSON line.

No timing is asserted (the figures depend on the machine); what is asserted is what the
benchmark guarantees: every breaking message's flag arrived, once, through the whole
pipeline, for both rule sets, and every figure the docs quote is there.
"""

from __future__ import annotations

import json

import pytest

from benchmarks import pipeline as benchmark

PER_RULE_SET = (
    "msgs_per_s",
    "cpu_us_per_msg",
    "flags",
    "discordpy_parse_us_per_msg",
    "bot_us_per_msg",
    "bot_share_vs_parse",
    "bot_us_per_ordinary_msg",
    "ordinary_share_vs_parse",
    "bot_ms_per_flag",
    "discordpy_ms_per_flag_requests",
    "paced_p50_ms",
    "paced_p99_ms",
    "paced_flags",
)


def test_quick_run_prints_every_figure_as_one_json_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    benchmark.main(["--quick"])
    lines = capsys.readouterr().out.strip().splitlines()
    figures = json.loads(lines[-1])
    assert figures["benchmark"] == "pipeline" and figures["quick"] is True
    assert figures["backend"] == "sqlite"
    for rule_set in ("default_rules", "keywords_10k"):
        for key in PER_RULE_SET:
            assert figures[f"{rule_set}_{key}"] > 0, f"{rule_set}_{key}"
        # About 2% of 1,000 messages break a rule; each one's flag arrived (else it raises).
        assert 5 <= figures[f"{rule_set}_flags"] <= 50
        # Each flag's post and its reactions, sent again with discord.py alone.
        assert figures[f"{rule_set}_requests_per_flag"] >= 2
        # At 1,000 messages a second a slow machine may shed some: counted, never hidden.
        assert figures[f"{rule_set}_paced_shed"] >= 0
        assert figures[f"{rule_set}_paced_flags_missing"] >= 0
    for verdict in ("meets_throughput", "meets_share", "meets_latency"):
        assert isinstance(figures[verdict], bool)
    assert [line for line in lines if line.startswith("{")] == [lines[-1]]
