"""The crash harness on a sample of kill points, as CI runs it (docs/reliability.md).

The full run (`python -m benchmarks.crash`, 400 points) is the measurement; this sample
keeps the guarantee in CI: every killed run restarts and finishes, nothing members or
moderators saw is lost or doubled, and what is stored matches an uninterrupted run.
"""

from __future__ import annotations

import json

import pytest

from benchmarks.crash import main

SAMPLE_POINTS = 20


@pytest.mark.crash_sample
def test_a_sample_of_kill_points_loses_nothing_and_does_nothing_twice(
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
    assert (figures["lost"], figures["duplicated"], figures["unexpected"]) == (0, 0, 0), figures
    assert figures["integrity_failures"] == 0, figures
    with capsys.disabled():
        shown = {k: figures[k] for k in ("lost", "duplicated", "integrity_failures", "seconds")}
        print(f"\ncrash sample: {shown}")
