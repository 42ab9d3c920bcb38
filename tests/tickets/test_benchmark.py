"""The tickets benchmark runs tiny and ends with one JSON line (figures are not asserted)."""

from __future__ import annotations

import json

import pytest

from benchmarks.tickets import main


def test_the_benchmark_prints_its_figures_as_a_final_json_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["--scale", "0.002"]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    figures = json.loads(last)
    assert figures["benchmark"] == "tickets"
    assert [level["tickets"] for level in figures["levels"]] == [10, 20, 200]
    assert [level["open"] for level in figures["levels"]] == [1, 2, 20]
    for level in figures["levels"]:
        assert {"list_first_page_ms", "reload_ms", "wakeup_us", "rearm_all_s"} <= set(level)
    assert {"meets_targets", "wakeup_ratio_largest_to_smallest", "targets"} <= set(figures)
