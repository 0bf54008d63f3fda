"""Time the mock-server tests `replaykit export-mocks` generates for the bundled demo, under plain pytest.

Exports them from the committed cassettes into a scratch copy of the demo connector, then runs pytest there
(as a connector developer would) a few times.  The target is under 10 s for the whole generated suite.
Run by hand from the repository root: `.venv/bin/python tools/bench/mock_tests.py [--repeat 3]`.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        connector = Path(tmp) / "source-demo"
        shutil.copytree(ROOT / "tools/demo/source-demo", connector, ignore=shutil.ignore_patterns("config.json"))
        shutil.copytree(ROOT / "cassettes/source-demo", connector / "cassettes")
        subprocess.run([sys.executable, "-m", "replaykit", "export-mocks"], cwd=connector, check=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
        times = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            done = subprocess.run(
                [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "unit_tests"],
                cwd=connector,
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
            times.append(time.perf_counter() - started)
            if done.returncode != 0:
                sys.exit(done.stdout[-3000:])
        print(f"generated demo mock-server tests: {done.stdout.strip().splitlines()[-1]}")
        print(f"wall seconds per run (pytest start included): {', '.join(f'{t:.1f}' for t in times)}; target < 10")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
