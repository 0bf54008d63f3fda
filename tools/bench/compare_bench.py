"""Benchmark: strict-mode expected-records comparison against DeepDiff(ignore_order=True).

    python tools/bench/compare_bench.py [--records 1000000] [--deepdiff-limit 300]

Writes N records of 20 fields as an ``expected_records.jsonl`` and as connector output (RECORD messages, shuffled:
the order differs, the data does not), then, each in a fresh process so peak memory is its own:
- replaykit: ``compare_stream`` over the expected file and the output's records, streamed (strict mode);
- DeepDiff(expected, actual, ignore_order=True) at doubling sizes until one takes longer than the limit;
and prints times, peak RSS and the ratio at the largest size DeepDiff finished. Run by hand (minutes).
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
from pathlib import Path

FIELDS = 20


def make_record(i: int, rng: random.Random) -> dict[str, object]:
    data: dict[str, object] = {
        "id": i,
        "name": f"user-{i}",
        "email": f"user{i}@example.com",
        "created": f"2026-{1 + i % 12:02d}-{1 + i % 28:02d}T{i % 24:02d}:00:00Z",
        "score": round(rng.random() * 1000, 3),
        "active": bool(i % 2),
        "tags": [f"t{i % 7}", f"t{i % 5}"],
        "address": {"city": f"city-{i % 500}", "zip": f"{i % 99999:05d}"},
    }
    for k in range(FIELDS - len(data)):
        data[f"field_{k}"] = f"value-{k}-{rng.randrange(10**6)}"
    return data


def write_files(directory: Path, n: int) -> tuple[Path, Path]:
    rng = random.Random(7)
    expected, output = directory / f"expected_{n}.jsonl", directory / f"output_{n}.jsonl"
    records = [make_record(i, rng) for i in range(n)]
    with expected.open("w") as handle:
        for data in records:
            handle.write(json.dumps({"stream": "users", "data": data, "emitted_at": 0}) + "\n")
    rng.shuffle(records)
    with output.open("w") as handle:
        for data in records:
            record = {"stream": "users", "data": data, "emitted_at": 1_700_000_000_000}
            handle.write(json.dumps({"type": "RECORD", "record": record}) + "\n")
    return expected, output


# VmHWM: this process's own peak RSS (ru_maxrss would carry the forking parent's over the exec)
PEAK = """
def PEAK():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
"""

REPLAYKIT = (
    PEAK
    + """
import sys, time, orjson
from pathlib import Path
from replaykit.records import compare_stream, expected_records
expected, output = Path(sys.argv[1]), Path(sys.argv[2])
def actual():
    with output.open("rb") as handle:
        for line in handle:
            yield orjson.loads(line)["record"]["data"]
start = time.perf_counter()
result = compare_stream("users", expected_records(expected, "users"), actual, pk_paths=[["id"]])
print(time.perf_counter() - start, result.ok, PEAK())
"""
)

DEEPDIFF = (
    PEAK
    + """
import sys, time, json
from deepdiff import DeepDiff
start = time.perf_counter()
expected = [json.loads(l)["data"] for l in open(sys.argv[1])]
actual = [json.loads(l)["record"]["data"] for l in open(sys.argv[2])]
diff = DeepDiff(expected, actual, ignore_order=True)
print(time.perf_counter() - start, not diff, PEAK())
"""
)


def run(code: str, expected: Path, output: Path, timeout: float) -> tuple[float, bool, float] | None:
    """(seconds, equal, peak RSS MiB) of ``code`` in a fresh interpreter, None when over ``timeout``."""
    try:
        proc = subprocess.run(
            [sys.executable, "-c", code, str(expected), str(output)],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=True,
        )
    except subprocess.TimeoutExpired:
        return None
    seconds, equal, peak_kib = proc.stdout.split()[:3]
    return float(seconds), equal == "True", int(peak_kib) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--deepdiff-limit", type=float, default=300.0, help="seconds (default 300)")
    parser.add_argument("--deepdiff-start", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="replaykit-bench-") as tmp:
        directory = Path(tmp)
        expected, output = write_files(directory, args.records)
        size_mb = (expected.stat().st_size + output.stat().st_size) / 1e6
        result = run(REPLAYKIT, expected, output, timeout=3600)
        assert result is not None
        seconds, equal, peak = result
        print(
            f"replaykit  {args.records:>9} records ({size_mb:.0f} MB of JSONL): {seconds:7.2f} s, equal={equal}, "
            f"peak RSS {peak:.0f} MiB (targets: < 20 s, < 3072 MiB)",
            flush=True,
        )
        rows: list[tuple[int, float, float]] = []
        n = args.deepdiff_start
        while n <= args.records:
            exp_n, out_n = write_files(directory, n)
            deep = run(DEEPDIFF, exp_n, out_n, timeout=args.deepdiff_limit)
            if deep is None:
                print(f"deepdiff   {n:>9} records: over {args.deepdiff_limit:.0f} s, stopped", flush=True)
                break
            ours = run(REPLAYKIT, exp_n, out_n, timeout=600)
            assert ours is not None
            rows.append((n, deep[0], ours[0]))
            print(
                f"deepdiff   {n:>9} records: {deep[0]:8.2f} s, equal={deep[1]}, peak {deep[2]:.0f} MiB | "
                f"replaykit {ours[0]:.3f} s | ratio x{deep[0] / ours[0]:.0f}",
                flush=True,
            )
            n *= 2
        if rows:
            n, deep_s, ours_s = rows[-1]
            print(
                f"largest size DeepDiff finished within {args.deepdiff_limit:.0f} s: {n} records; "
                f"DeepDiff {deep_s:.1f} s vs replaykit {ours_s:.3f} s = x{deep_s / ours_s:.0f} (target >= x20)"
            )


if __name__ == "__main__":
    main()
