"""Benchmark: replay lookup through replaykit's interceptor vs stock vcrpy (run by hand, not in CI).

    python tools/bench/interceptor_bench.py [--sizes 1000,10000,50000] [--stock-sizes 5000] [--sample 300]

For each size N a synthetic cassette of N distinct GET interactions is written (vcrpy YAML format), then:

* replaykit: the whole cassette is replayed in recorded order, (a) lookup only (``can_play_response_for``
  + ``play_response``, the work the interceptor adds per request) and (b) end to end through ``requests``
  with vcrpy's patches and replaykit's thread lock installed;
* stock vcrpy (``vcr.cassette.Cassette``, default ``match_on``): its lookup cost grows with the position of
  the request in the cassette (a linear scan from index 0, twice per request), so a full replay of 5k
  takes ~15 minutes; the benchmark measures ``--sample`` requests spread evenly over the cassette, whose
  mean is the mean over a full replay.

Prints one table with per-request times and the ratios the issue asks for: replaykit's flatness from the
smallest to the largest size, and stock / replaykit at each stock size.  Loopback only; nothing connects.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import requests
from vcr.cassette import Cassette
from vcr.record_mode import RecordMode
from vcr.request import Request

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from replaykit import _vcr

BASE = "http://127.0.0.1:9"  # discard port: a request that escaped would fail loudly
DEFAULT_MATCH_ON = ("method", "scheme", "host", "port", "path", "query")
_PC = [time.perf_counter]


def now() -> float:
    return _PC[0]()


def url(i: int) -> str:
    return f"{BASE}/items/{i}?page={i}&limit=100"


def write_cassette(n: int, path: Path) -> None:
    interactions = []
    for i in range(n):
        request = Request("GET", url(i), None, {"Accept": "application/json"})
        body = f'{{"id": {i}, "items": [{i}, {i + 1}], "next": "{i + 1}"}}'.encode()
        response = {
            "status": {"code": 200, "message": "OK"},
            "headers": {"Content-Type": ["application/json"], "Content-Length": [str(len(body))]},
            "body": {"string": body},
        }
        interactions.append((request, response))
    _vcr.save_cassette(path, _vcr.CassetteData(interactions, {"recorded_at": "2026-11-21T00:00:00Z"}))


def bench_replaykit(path: Path, n: int) -> dict[str, float]:
    t0 = now()
    data = _vcr.load_cassette(path)
    cassette = _vcr.new_cassette(path, replay=True)
    cassette.load_interactions(data.interactions)
    load_s = now() - t0
    probes = [Request("GET", url(i), None, {}) for i in range(n)]
    t0 = now()
    for probe in probes:
        assert cassette.can_play_response_for(probe)
        cassette.play_response(probe)
    lookup_us = (now() - t0) / n * 1e6

    cassette = _vcr.new_cassette(path, replay=True)
    cassette.load_interactions(data.interactions)
    session = requests.Session()
    with _vcr.intercept(cassette):
        t0 = now()
        for i in range(n):
            assert session.get(url(i), timeout=5).status_code == 200
        e2e_ms = (now() - t0) / n * 1e3
    assert cassette.unplayed == []
    return {"load_s": load_s, "lookup_us": lookup_us, "e2e_ms": e2e_ms}


def bench_stock(path: Path, n: int, sample: int) -> dict[str, float]:
    t0 = now()
    from vcr import matchers

    match_on = tuple(getattr(matchers, name) for name in DEFAULT_MATCH_ON)
    cassette = Cassette.load(path=str(path), match_on=match_on, record_mode=RecordMode.NONE)
    load_s = now() - t0
    positions = sorted({int(k * (n - 1) / max(1, sample - 1)) for k in range(sample)})
    timings = []
    for i in positions:
        probe = Request("GET", url(i), None, {})
        t0 = now()
        assert cassette.can_play_response_for(probe)
        cassette.play_response(probe)
        timings.append(now() - t0)
    lookup_us = statistics.mean(timings) * 1e6

    import vcr

    session = requests.Session()
    e2e = []
    with vcr.VCR(record_mode="none", match_on=DEFAULT_MATCH_ON).use_cassette(str(path)):
        for i in positions[:: max(1, len(positions) // 60)]:
            t0 = now()
            assert session.get(url(i), timeout=5).status_code == 200
            e2e.append(now() - t0)
    return {
        "load_s": load_s,
        "lookup_us": lookup_us,
        "e2e_ms": statistics.mean(e2e) * 1e3,
        "sampled": float(len(positions)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,5000,10000,50000")
    parser.add_argument("--stock-sizes", default="1000,5000")
    parser.add_argument("--sample", type=int, default=300)
    args = parser.parse_args()
    sizes = sorted({int(s) for s in args.sizes.split(",")} | {int(s) for s in args.stock_sizes.split(",")})
    stock_sizes = {int(s) for s in args.stock_sizes.split(",")}
    ours: dict[int, dict[str, float]] = {}
    stock: dict[int, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            path = Path(tmp) / f"bench_{n}.yaml"
            write_cassette(n, path)
            ours[n] = bench_replaykit(path, n)
            print(f"replaykit N={n}: {ours[n]}", file=sys.stderr, flush=True)
            if n in stock_sizes:
                stock[n] = bench_stock(path, n, args.sample)
                print(f"stock     N={n}: {stock[n]}", file=sys.stderr, flush=True)

    print("| N | impl | load s | lookup µs/request | end-to-end ms/request (requests + vcrpy stubs) |")
    print("|---|---|---|---|---|")
    for n in sizes:
        o = ours[n]
        print(f"| {n} | replaykit | {o['load_s']:.2f} | {o['lookup_us']:.1f} | {o['e2e_ms']:.3f} |")
        if n in stock:
            s = stock[n]
            print(
                f"| {n} | stock vcrpy ({int(s['sampled'])} sampled) | {s['load_s']:.2f} | {s['lookup_us']:.1f} "
                f"| {s['e2e_ms']:.3f} |"
            )
    lo, hi = min(ours), max(ours)
    print()
    print(
        f"replaykit flatness {lo} -> {hi}: lookup x{ours[hi]['lookup_us'] / ours[lo]['lookup_us']:.2f}, "
        f"end-to-end x{ours[hi]['e2e_ms'] / ours[lo]['e2e_ms']:.2f} (target: within 2x)"
    )
    for n in sorted(stock):
        print(
            f"stock / replaykit at N={n}: lookup x{stock[n]['lookup_us'] / ours[n]['lookup_us']:.0f}, "
            f"end-to-end x{stock[n]['e2e_ms'] / ours[n]['e2e_ms']:.0f} (target: >= 100x at 5k)"
        )


if __name__ == "__main__":
    main()
