"""The scale-out benchmark runs with tiny numbers and ends with one JSON line (figures are
not asserted, except that nothing was posted twice or lost)."""

from __future__ import annotations

import json

import pytest

from benchmarks.scaleout import main
from tests.postgres import PostgresServer


def test_the_scaleout_benchmark_prints_its_figures_as_a_final_json_line(
    capsys: pytest.CaptureFixture[str],
    request: pytest.FixtureRequest,
    postgres_server: PostgresServer,
) -> None:
    if request.config.getoption("--backend") == "sqlite":
        pytest.skip("the benchmark needs PostgreSQL (--backend sqlite)")
    argv = ["--jobs", "20", "--kill-jobs", "60", "--tickets", "50", "--latency", "0"]
    assert main(argv, server=postgres_server) == 0
    figures = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert figures["benchmark"] == "scaleout"
    assert [run["instances"] for run in figures["throughput"]] == [1, 2, 4]
    assert figures["kill"]["jobs"] == 60 and figures["kill"]["finished"]
    assert figures["met"]["no_duplicates"] and figures["met"]["nothing_lost"]
    assert set(figures["ticket_list_ms"]) == {"sqlite", "postgresql"}
