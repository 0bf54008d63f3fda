"""Time `replaykit replay` of the bundled demo's full (high-strictness) plan, side by side in one run:

* warm, parallel: the default (a warm server forks each invocation; one job per CPU core);
* warm, --jobs 1: the same, one invocation at a time;
* (a) fresh: `--runner fresh`, a new Python process per invocation (replaykit before the warm runner);
* (b) the floor: the sum of every invocation's connector work, measured inside the child from the
  connector's entry point to its exit, plus one interpreter start with the CDK imported.

Run by hand from the repository root: `.venv/bin/python tools/bench/suite.py [--repeat 3]`.
Prints one table (median wall seconds of each) and the ratios the speed issue asks for.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def wall(command: list[str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    return elapsed


def floor_parts() -> tuple[float, float, int]:
    """(sum of connector work, one import, invocations) from a warm replay through the Python API."""
    from replaykit.replayer import replay
    from replaykit.settings import resolve_settings

    report = replay(resolve_settings(ROOT, {"jobs": 1}), cwd=ROOT)
    work = sum(r.run.result.connector_s for r in report.results if r.run is not None)
    one_import = wall([sys.executable, "-c", "import replaykit.forkserver as f; f.warm_up()"])
    return work, one_import, len(report.results)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs of each variant (the median is shown)")
    args = parser.parse_args()
    replaykit = [sys.executable, "-m", "replaykit", "replay"]
    variants = {
        "warm, parallel (default)": replaykit,
        "warm, --jobs 1": [*replaykit, "--jobs", "1"],
        "(a) fresh process per invocation": [*replaykit, "--runner", "fresh", "--jobs", "1"],
    }
    times: dict[str, list[float]] = {name: [] for name in variants}
    floors: list[float] = []
    for _ in range(args.repeat):  # interleaved, so a slow moment of the machine hits every variant alike
        for name, command in variants.items():
            times[name].append(wall(command))
        work, one_import, count = floor_parts()
        floors.append(work + one_import)
    median = {name: statistics.median(values) for name, values in times.items()}
    floor = statistics.median(floors)
    fresh = median["(a) fresh process per invocation"]
    print(f"demo replay, {count} invocations, median of {args.repeat} run(s), {len(times)} variants + floor")
    print(f"{'variant':38} {'seconds':>8} {'vs (a)':>8} {'vs (b)':>8}")
    for name, seconds in [*median.items(), ("(b) floor: connector work + one import", floor)]:
        print(f"{name:38} {seconds:8.2f} {fresh / seconds:7.1f}x {seconds / floor:7.2f}x")
    print(
        f"warm parallel: {fresh / median['warm, parallel (default)']:.1f}x faster than (a), "
        f"{median['warm, parallel (default)'] / floor:.2f}x the floor; "
        f"--jobs 1: {fresh / median['warm, --jobs 1']:.1f}x faster than (a)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
