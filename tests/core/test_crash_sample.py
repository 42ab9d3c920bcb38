"""The crash harness on a sample of kill points, as CI runs it (docs/reliability.md).

The full run (`python -m benchmarks.crash`, 400 points) is the measurement; this sample
proves the harness works end to end: every killed run restarts and finishes, and the
database is never corrupt. Lost and duplicated notices are printed, not asserted, until
the outbox makes them zero.
"""

from __future__ import annotations

import json

import pytest

from benchmarks.crash import main

SAMPLE_POINTS = 20


@pytest.mark.crash_sample
def test_a_sample_of_kill_points_restarts_every_time_and_keeps_the_database_sound(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["--points", str(SAMPLE_POINTS), "--seed", "7"]) == 0
    output = capsys.readouterr().out.strip().splitlines()
    figures = json.loads(output[-1])
    fields = {"points", "lost", "duplicated", "integrity_failures", "failed_restarts"}
    assert fields <= set(figures)
    assert figures["points"] == SAMPLE_POINTS
    assert figures["missed_kills"] == 0
    assert figures["failed_restarts"] == 0
    assert figures["corrupt_databases"] == 0
    with capsys.disabled():
        shown = {k: figures[k] for k in ("lost", "duplicated", "integrity_failures", "seconds")}
        print(f"\ncrash sample: {shown}")
