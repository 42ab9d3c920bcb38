"""The dispatch benchmark runs and ends with one JSON line (figures are not asserted)."""

from __future__ import annotations

import json

import pytest

from benchmarks.dispatch import main


def test_the_benchmark_prints_its_figures_as_a_final_json_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["--events", "300"]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    figures = json.loads(last)
    assert figures["benchmark"] == "dispatch"
    assert figures["events"] == 300
    assert {"events_per_second", "overhead_us_per_event", "meets_target"} <= set(figures)
