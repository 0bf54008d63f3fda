"""Benchmark: `replaykit scan` throughput over ~100 MB of cassettes (run by hand, not in CI).

    python tools/bench/scan_bench.py [--mb 100] [--files 200]

Writes a corpus of vcrpy cassettes shaped like connector recordings (paginated JSON record pages, headers with
placeholders, a gzip !!binary body now and then), plants a handful of secrets of known kinds, then times
`scan_files` (the code behind the pre-commit hook) over all of it and prints MB/s and what it found.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import tempfile
import time
from pathlib import Path

from vcr.request import Request

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from replaykit import _vcr
from replaykit.scan import scan_files
from replaykit.scrub import Scrubber, Secret

KNOWN = "kn0wn-s3cret-value-9f8e7d"
# Built at run time so that no credential-shaped string sits in the source tree.
GITHUB_LIKE = "gh" + "p_" + "Zq8XwV2nR5tY7uI1oP3aS4dF6gH9jK0lM2xC"
AWS_LIKE = "AK" + "IA" + "QWERTYUIOPASDFGH"


def page(file_no: int, page_no: int, records: int) -> dict:
    return {
        "data": [
            {
                "id": f"rec_{file_no}_{page_no}_{i}",
                "created": "2026-11-01T03:00:00Z",
                "type": "purchase",
                "amount": (i * 37) % 997,
                "customer": {"email": f"user{i}@example.com", "plan": "pro"},
                "description": "A record as APIs return them, with a sentence of text in it.",
            }
            for i in range(records)
        ],
        "next_token": f"cursor-{page_no + 1}" if page_no < 9 else None,
    }


def cassette(file_no: int, target_bytes: int, plant: str | None) -> _vcr.CassetteData:
    interactions = []
    size = 0
    page_no = 0
    while size < target_bytes:
        body = json.dumps(page(file_no, page_no, 60))
        if plant and page_no == 3:
            body = body.replace("A record as APIs", f"Leaked {plant} as APIs", 1)
        uri = f"https://api.example.com/v1/records?api_key=**REDACTED:api_key**&limit=60&next_token=cursor-{page_no}"
        request = Request(
            "GET", uri, None, {"Authorization": "Bearer **REDACTED:api_key**", "User-Agent": "python-requests/2.34.2"}
        )
        raw: bytes | str = body
        headers = {"Content-Type": ["application/json"], "Date": ["Sat, 21 Nov 2026 06:29:11 GMT"]}
        if page_no % 7 == 6:  # a compressed body, kept as !!binary
            raw = gzip.compress(body.encode())
        interactions.append(
            (
                request,
                {
                    "status": {"code": 200, "message": "OK"},
                    "headers": headers,
                    "body": {"string": raw if isinstance(raw, bytes) else raw.encode()},
                },
            )
        )
        size += len(body) + 400
        page_no += 1
    return _vcr.CassetteData(interactions, {"recorded_at": "2026-11-21T06:29:11Z"})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mb", type=float, default=100)
    parser.add_argument("--files", type=int, default=200)
    args = parser.parse_args()
    plants = {7: KNOWN, 42: GITHUB_LIKE, 99: AWS_LIKE}
    with tempfile.TemporaryDirectory() as tmp:
        files = []
        for n in range(args.files):
            path = Path(tmp) / f"cassette_{n:04d}.yaml"
            _vcr.save_cassette(path, cassette(n, int(args.mb * 1e6 / args.files), plants.get(n)))
            files.append(path)
        total = sum(p.stat().st_size for p in files) / 1e6
        binary_bodies = sum(p.read_text().count("!!binary") for p in files[:5]) * len(files) // 5
        print(f"corpus: {len(files)} cassettes, {total:.1f} MB, ~{binary_bodies} gzip !!binary bodies", flush=True)
        known = Scrubber([Secret("api_key", KNOWN)])
        started = time.perf_counter()
        findings = scan_files(files, known)
        elapsed = time.perf_counter() - started
    print(f"scan: {elapsed:.2f} s, {total / elapsed:.1f} MB/s (target >= 10 MB/s)")
    for finding in findings:
        print("  " + finding.render().replace(tmp, "<corpus>"))
    rules = sorted({f.rule for f in findings})
    print(f"{len(findings)} finding(s), rules: {rules} (planted: known-secret, GitHub Token, AWS Access Key)")


if __name__ == "__main__":
    main()
