"""Cassette load time per format at 1k / 10k / 50k interactions (replaykit's strict loader, which replay uses).

Interactions are shaped like a paginated JSON API's: a GET with query parameters and four headers, a
response of about 1 KB of JSON records with six headers.  Run by hand from the repository root:
`.venv/bin/python tools/bench/cassette_load.py [--sizes 1000,10000,50000]`.  The target is a
10,000-interaction cassette loaded in under 0.5 s.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from vcr.request import Request

from replaykit._vcr import CassetteData, load_cassette, save_cassette


def interactions(count: int) -> list[tuple[Request, dict[str, object]]]:
    out = []
    for i in range(count):
        request = Request(
            "GET",
            f"https://api.example.com/v1/events?page={i}&limit=10&start_time=2026-01-01T00%3A00%3A00Z",
            None,
            {
                "Accept": "application/json",
                "User-Agent": "python-requests/2.32",
                "Authorization": "Bearer **REDACTED**",
            },
        )
        records = [
            {"id": i * 10 + k, "type": "page_view", "amount": k * 3.5, "ts": "2026-01-01T00:00:00Z"} for k in range(10)
        ]
        body = json.dumps({"data": records, "next": f"/v1/events?page={i + 1}"}).encode()
        response = {
            "status": {"code": 200, "message": "OK"},
            "headers": {
                "Content-Type": ["application/json"],
                "Content-Length": [str(len(body))],
                "Date": ["Wed, 02 Dec 2026 06:00:00 GMT"],
                "Server": ["demo"],
                "X-Request-Id": [f"req-{i:08d}"],
                "Connection": ["keep-alive"],
            },
            "body": {"string": body},
        }
        out.append((request, response))
    return out


def best_of(path: Path, runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        load_cassette(path)
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,50000")
    parser.add_argument("--runs", type=int, default=3, help="loads per size and format (the best is shown)")
    args = parser.parse_args()
    print(f"{'interactions':>12} {'format':>6} {'MB':>7} {'load s':>8}")
    with tempfile.TemporaryDirectory() as tmp:
        for size in (int(s) for s in args.sizes.split(",")):
            data = CassetteData(interactions(size), {"invocation": "bench"})
            paths = [Path(tmp) / f"bench-{size}.{suffix}" for suffix in ("json", "yaml")]
            for path in paths:
                save_cassette(path, data)
            del data  # the loads below run on a heap like replay's, not one holding the generated data
            for path in paths:
                suffix = path.suffix[1:]
                seconds = best_of(path, args.runs)
                print(f"{size:>12} {suffix:>6} {path.stat().st_size / 1e6:7.1f} {seconds:8.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
