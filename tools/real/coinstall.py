"""By hand, not in CI (asks PyPI): can replaykit be installed next to real connectors from PyPI?

For each ``airbyte-source-<name>``, uv resolves the connector alone and next to this checkout's replaykit, and the
table says whether the newest connector version still installs (``same``), only an older one does (``older``: the
resolver walked back to a version whose pins agree with replaykit's), or none (``conflict``, with uv's reason).

    python tools/real/coinstall.py [NAME ...]      (default: the list below, Python connectors in airbytehq/airbyte)
"""

from __future__ import annotations

import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from uv import find_uv_bin

ROOT = Path(__file__).resolve().parents[2]
UV = find_uv_bin()  # once: sysconfig is not safe to initialise from several threads
CONNECTORS = [
    "stripe", "hubspot", "github", "salesforce", "shopify", "zendesk-support", "slack", "jira", "google-sheets",
    "facebook-marketing", "google-ads", "amazon-ads", "amazon-seller-partner", "bing-ads", "klaviyo", "mixpanel",
    "intercom", "linkedin-ads", "tiktok-marketing", "s3", "google-analytics-data-api", "iterable", "notion",
    "pinterest", "marketo", "freshdesk", "mailchimp", "twilio", "recharge", "monday", "gitlab", "chargebee",
    "google-search-console", "typeform", "zoom", "greenhouse", "okta", "posthog", "pipedrive", "cart", "faker",
]  # fmt: skip


def resolve(*requirements: str) -> tuple[dict[str, str], str]:
    proc = subprocess.run(
        [UV, "pip", "compile", "--quiet", "--no-header", "--python-version", "3.11", "-"],
        input="\n".join(requirements), capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    pins = dict(re.findall(r"^([A-Za-z0-9_.\-]+)==(\S+)", proc.stdout, re.M))
    reason = " ".join(proc.stderr.split())
    return pins, reason


def row(name: str) -> tuple[str, str, str, str]:
    package = f"airbyte-source-{name}"
    alone, why = resolve(package)
    if package not in alone:
        return name, "-", "-", f"unresolvable alone: {why[:100]}"
    together, why = resolve(package, str(ROOT))
    newest = f"{alone[package]} (cdk {alone.get('airbyte-cdk', '?')})"
    if package not in together:
        cause = re.search(r"depends on (\S+ ?[<>=!~][^ ,]*)", why)
        return name, newest, "-", "conflict" + (f": {cause.group(1)}" if cause else "")
    picked = f"{together[package]} (cdk {together.get('airbyte-cdk', '?')})"
    return name, newest, picked, "same" if together[package] == alone[package] else "older"


def main(names: list[str]) -> int:
    with ThreadPoolExecutor(4) as pool:
        rows = list(pool.map(row, names or CONNECTORS))
    print(f"{'connector':28} {'newest alone':24} {'next to replaykit':24} verdict")
    for name, newest, picked, verdict in rows:
        print(f"{name:28} {newest:24} {picked:24} {verdict}")
    counts = {v: sum(r[3].startswith(v) for r in rows) for v in ("same", "older", "conflict")}
    print(f"\n{len(rows)} connectors: " + ", ".join(f"{n} {v}" for v, n in counts.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
