"""Crash harness: kill the bot at N durable steps, restart it, and compare with a clean run.

A full community script (benchmarks/crash.script on benchmarks/crash.toml: joins, a join
wave, rules, breaches, a report, warn/timeout/kick and a quorum ban by two moderators,
tickets through every state with promised follow-ups, escalation, merge, withdraw, reopen,
the weekly digest, time jumps) runs on the local platform in a subprocess
(`benchmarks._crash_child`). Every database COMMIT and every platform call is a numbered
durable step. The uninterrupted reference run is made once; then, for each of N steps
chosen with the seed, a fresh run is SIGKILLed right after that step, restarted on the
same data folder, and finished; what members and moderators saw and what was stored are
compared with the reference (`benchmarks._crash_compare`). Two runs go at once.

Run ``python -m benchmarks.crash [--points N] [--seed S]``. Progress goes to stderr; the
last line on stdout is JSON: ``points``, and how many of them ``lost`` something,
``duplicated`` something, had an ``integrity_failures`` (stored rows differ, or SQLite's
integrity check fails) or a ``failed_restarts`` (the restart exited non-zero or hung),
plus item counts per category and a few examples. The exit status is 0 even when
differences are found (it is a measurement); non-zero only when the harness itself breaks.
Semantics and restart rules: docs/reliability.md.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks._crash_compare import Difference, compare

HERE = Path(__file__).resolve().parent
SCRIPT = HERE / "crash.script"
CONFIG = HERE / "crash.toml"
# A whole run takes about a second; a restart that takes this long is hung.
RUN_TIMEOUT_SECONDS = 120
# Two processes at once: the machines this runs on (laptops, CI) have two cores or more.
WORKERS = 2
EXAMPLES = 5
# tmpfs when there is one: the kill is a process's death, not a power cut, so what the
# page cache holds survives it, and fsync on a disk would make each run several times slower.
SCRATCH = Path("/dev/shm")


class HarnessError(Exception):
    """The harness cannot measure (the reference run failed): exit non-zero."""


@dataclass(frozen=True)
class Step:
    number: int
    line: int
    kind: str


@dataclass
class Outcome:
    step: Step
    difference: Difference | None = None
    failed_restart: str = ""
    script_errors: list[list[Any]] = field(default_factory=list)
    missed: bool = False  # the run ended before reaching the step
    diverged: bool = False  # the killed run's step was another than the reference's


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=400, help="kill points (default 400)")
    parser.add_argument("--seed", type=int, default=1, help="chooses the kill points")
    args = parser.parse_args(argv)
    if args.points < 1:
        parser.error("--points must be at least 1")
    root = Path(tempfile.mkdtemp(prefix="crash-", dir=SCRATCH if SCRATCH.is_dir() else None))
    try:
        report = measure(args.points, args.seed, root)
    except HarnessError as error:
        print(f"crash harness: {error}", file=sys.stderr)
        return 2
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print(json.dumps(report, ensure_ascii=False))
    return 0


def measure(points: int, seed: int, root: Path) -> dict[str, Any]:
    started = time.perf_counter()
    lines = SCRIPT.read_text(encoding="utf-8").splitlines()
    reference, steps = reference_run(root / "reference")
    chosen = choose(steps, points, seed)
    _say(f"reference run: {len(steps)} durable steps; killing at {len(chosen)} of them")
    outcomes: list[Outcome] = []
    with ThreadPoolExecutor(WORKERS) as pool:
        runs = pool.map(lambda s: crash_run(root / f"kill-{s.number}", s, reference), chosen)
        for done, outcome in enumerate(runs, start=1):
            outcomes.append(outcome)
            _say(f"[{done}/{len(chosen)}] step {outcome.step.number} {_summary(outcome)}")
    report = summarise(outcomes, lines)
    report["steps"] = len(steps)
    report["seconds"] = round(time.perf_counter() - started, 1)
    return report


def reference_run(folder: Path) -> tuple[dict[str, Any], list[Step]]:
    result = _child(folder, kill_at=0)
    if result.returncode != 0:
        raise HarnessError(f"the reference run failed:\n{result.stderr[-2000:]}")
    snapshot = json.loads((folder / "snapshot.json").read_text(encoding="utf-8"))
    if snapshot["script_errors"]:
        raise HarnessError(f"the script fails without a crash: {snapshot['script_errors']}")
    return snapshot, read_steps(folder / "progress")


def choose(steps: list[Step], points: int, seed: int) -> list[Step]:
    """`points` distinct steps drawn evenly at random from the whole run (all if fewer)."""
    if points >= len(steps):
        return steps
    return sorted(random.Random(seed).sample(steps, points), key=lambda s: s.number)


def crash_run(folder: Path, step: Step, reference: dict[str, Any]) -> Outcome:
    """Kill a fresh run at `step`, restart it to the end, compare with the reference."""
    try:
        killed = _child(folder, kill_at=step.number)
    except subprocess.TimeoutExpired:
        return Outcome(step, failed_restart=f"hung for {RUN_TIMEOUT_SECONDS}s before the kill")
    if killed.returncode == 0:
        return Outcome(step, missed=True)
    if killed.returncode != -9:
        return Outcome(step, failed_restart=f"died before the kill: {killed.stderr[-500:]}")
    diverged = read_steps(folder / "progress")[-1] != step
    try:
        restarted = _child(folder, kill_at=0)
    except subprocess.TimeoutExpired:
        return Outcome(step, failed_restart=f"hung for {RUN_TIMEOUT_SECONDS}s")
    if restarted.returncode != 0:
        return Outcome(
            step, failed_restart=f"exit {restarted.returncode}: {restarted.stderr[-500:]}"
        )
    snapshot = json.loads((folder / "snapshot.json").read_text(encoding="utf-8"))
    shutil.rmtree(folder, ignore_errors=True)
    return Outcome(
        step,
        compare(reference, snapshot),
        script_errors=snapshot["script_errors"],
        diverged=diverged,
    )


def read_steps(progress: Path) -> list[Step]:
    steps = []
    for raw in progress.read_text(encoding="utf-8").splitlines():
        line, number, kind = raw.split("\t")
        steps.append(Step(int(number), int(line), kind))
    return steps


def summarise(outcomes: list[Outcome], lines: list[str]) -> dict[str, Any]:
    compared = [o for o in outcomes if o.difference is not None]
    items: Counter[str] = Counter()
    by_kind: dict[str, Counter[str]] = {}
    examples: list[dict[str, Any]] = []
    for outcome in compared:
        difference = outcome.difference
        assert difference is not None
        found = {
            "lost": difference.lost,
            "duplicated": difference.duplicated,
            "unexpected": difference.unexpected,
            "stored": difference.stored,
        }
        for category, entries in found.items():
            items[category] += len(entries)
            if entries:
                by_kind.setdefault(category, Counter())[outcome.step.kind] += 1
                if len([e for e in examples if e["category"] == category]) < EXAMPLES:
                    examples.append(_example(outcome, category, entries[0], lines))
    failed = [o for o in outcomes if o.failed_restart]
    return {
        "points": len(outcomes),
        "lost": sum(1 for o in compared if o.difference and o.difference.lost),
        "duplicated": sum(1 for o in compared if o.difference and o.difference.duplicated),
        "integrity_failures": sum(1 for o in compared if o.difference and o.difference.stored),
        "failed_restarts": len(failed),
        "corrupt_databases": sum(1 for o in compared if o.difference and o.difference.corrupt),
        "unexpected": sum(1 for o in compared if o.difference and o.difference.unexpected),
        "script_errors": sum(1 for o in compared if o.script_errors),
        "missed_kills": sum(1 for o in outcomes if o.missed or o.diverged),
        "items": dict(items),
        "points_by_step_kind": {k: dict(v) for k, v in by_kind.items()},
        "examples": examples,
        "failed_restart_examples": [
            {"step": o.step.number, "why": o.failed_restart} for o in failed[:EXAMPLES]
        ],
    }


def _example(outcome: Outcome, category: str, entry: Any, lines: list[str]) -> dict[str, Any]:
    step = outcome.step
    shown = entry if isinstance(entry, str) else " | ".join(str(part) for part in entry)
    return {
        "category": category,
        "step": step.number,
        "kind": step.kind,
        "script_line": lines[step.line].strip() if step.line < len(lines) else "",
        "item": shown[:300],
    }


def _summary(outcome: Outcome) -> str:
    where = f"({outcome.step.kind}, line {outcome.step.line + 1})"
    if outcome.missed:
        return f"{where}: the run ended before this step"
    if outcome.failed_restart:
        return f"{where}: restart failed: {outcome.failed_restart[:200]}"
    difference = outcome.difference
    assert difference is not None
    return (
        f"{where}: lost {len(difference.lost)}, duplicated {len(difference.duplicated)}, "
        f"unexpected {len(difference.unexpected)}, stored {len(difference.stored)}"
    )


def _child(folder: Path, kill_at: int) -> subprocess.CompletedProcess[str]:
    folder.mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable,
        "-m",
        "benchmarks._crash_child",
        *("--data-dir", str(folder / "data"), "--progress", str(folder / "progress")),
        *("--script", str(SCRIPT), "--config", str(CONFIG)),
        *("--snapshot", str(folder / "snapshot.json"), "--kill-at", str(kill_at)),
    ]
    return subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_SECONDS,
        cwd=HERE.parent,
        check=False,
    )


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


if __name__ == "__main__":
    raise SystemExit(main())
