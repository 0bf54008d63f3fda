"""Issue 12, point 9: volatile record fields and non-deterministic connectors, on real runs of the demo connector.

A connector that stamps ``now()`` into its records never re-records byte-identically (the clock is frozen at
each recording's instant); ``volatile_record_fields`` leaves the field out of the expected records, ``record
--detect-volatile`` proposes it, and replay still compares it through the index digests. A connector whose
output varies run to run (a uuid4 per record) is named non-deterministic by replay, with the stream and field.
"""

from __future__ import annotations

import datetime as dt
import json
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import yaml

from conftest import make_connector, run_replaykit

EXPECTED = Path("integration_tests") / "expected_records.jsonl"

NONCE = '''
import uuid

from airbyte_cdk.sources.declarative.transformations import RecordTransformation


class Nonce(RecordTransformation):
    """A value that differs on every run, as a connector using uuid4 or a process pool's order would give."""

    def __init__(self, *args, **kwargs):
        pass

    def transform(self, record, config=None, stream_state=None, stream_slice=None):
        record["nonce"] = uuid.uuid4().hex
        return record
'''


def edit_users(connector: Path, transformation: dict[str, Any], field: str) -> None:
    path = connector / "manifest.yaml"
    manifest = yaml.safe_load(path.read_text(encoding="utf-8"))
    users = manifest["definitions"]["users_stream"]
    users["transformations"] = [transformation]
    users["schema_loader"]["schema"]["properties"][field] = {"type": "string"}
    path.write_text(yaml.safe_dump(manifest, sort_keys=False), encoding="utf-8")


def stamp(value: str) -> dict[str, Any]:
    """users get ``synced_at``: the connector's clock (frozen at the recording's instant) in ``value``."""
    field = {"type": "AddedFieldDefinition", "path": ["synced_at"], "value": value}
    return {"type": "AddFields", "fields": [field]}


def record(connector: Path, *args: str) -> str:
    proc = run_replaykit(["record", *args], cwd=connector)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def record_later(connector: Path) -> None:
    """Record once more, at a later instant than every invocation of the current recording."""
    last = max(instant(connector, i["id"]) for i in index_of(connector)["invocations"])
    while dt.datetime.now(dt.timezone.utc) < last + dt.timedelta(seconds=1):
        time.sleep(0.1)
    record(connector)


def index_of(connector: Path) -> dict[str, Any]:
    return dict(json.loads((connector / "cassettes" / "index.json").read_text(encoding="utf-8")))


def basic_read(connector: Path) -> dict[str, Any]:
    return dict(next(i for i in index_of(connector)["invocations"] if i["id"] == "basic_read-0"))


def instant(connector: Path, invocation: str = "basic_read-0") -> dt.datetime:
    found = next(i for i in index_of(connector)["invocations"] if i["id"] == invocation)
    return dt.datetime.fromisoformat(found["frozen_at"].replace("Z", "+00:00"))


def test_a_masked_now_stamp_re_records_byte_identically_and_replay_still_compares_it(
    tmp_path: Path, demo_api: Any
) -> None:
    connector = make_connector(tmp_path / "source-demo", demo_api, suites=("basic_read",))
    edit_users(connector, stamp("{{ now_utc().isoformat() }}"), "synced_at")
    shipped = (connector / EXPECTED).read_bytes()

    out = record(connector, "--detect-volatile").splitlines()
    assert "volatile: users: synced_at differs in 12 of 12 records" in out
    proposed = out[out.index(next(x for x in out if "record again" in x)) + 1]
    assert proposed == 'volatile_record_fields = { users = ["synced_at"] }'
    assert out[-1].startswith("nothing was written")
    assert (connector / EXPECTED).read_bytes() == shipped  # a proposal, not a change
    assert not (connector / "cassettes").exists()
    assert not (connector / "pyproject.toml").exists()

    (connector / "pyproject.toml").write_text(f"[tool.replaykit]\n{proposed}\nstrict = true\n", encoding="utf-8")
    record(connector)
    masked = (connector / EXPECTED).read_bytes()
    first = basic_read(connector)
    record_later(connector)
    assert (connector / EXPECTED).read_bytes() == masked  # byte-identical, recorded at another instant
    assert b'"synced_at"' not in masked
    assert masked.count(b'"stream": "users"') == 12
    second = basic_read(connector)
    assert first["frozen_at"] != second["frozen_at"]  # the stamps differ (as --detect-volatile measured above)

    # a real change of the masked field is still caught, by the index digests
    edit_users(connector, stamp("{{ now_utc().strftime('%Y-%m-%d') }}"), "synced_at")
    changed = run_replaykit(["replay"], cwd=connector)
    out_text = changed.stdout + changed.stderr
    assert changed.returncode == 1, out_text
    said = [
        "stream users: the 12 replayed records differ from the recorded ones",
        "which leaves out the volatile record fields synced_at",
        "Hint (update)",  # two replays agree: a real change
        "non-deterministic",
        # the strict whole-record comparison leaves the masked field out, as CAT's ignored_fields
        "acceptance checks FAILED",
        "test_expected_records_whole",
    ]
    assert [text in out_text for text in said] == [True, True, True, False, False, False], out_text
    assert (connector / EXPECTED).read_bytes() == masked


def test_a_non_deterministic_connector_is_named_with_its_stream_and_field(tmp_path: Path, demo_api: Any) -> None:
    connector = make_connector(tmp_path / "source-demo", demo_api, suites=("basic_read",))
    (connector / "components.py").write_text(NONCE, encoding="utf-8")
    edit_users(connector, {"type": "CustomTransformation", "class_name": "components.Nonce"}, "nonce")
    record(connector)
    recorded = basic_read(connector)
    expected = (connector / EXPECTED).read_bytes()
    # an edit elsewhere in the connector: its files no longer are the recorded ones, yet nothing changed
    manifest = connector / "manifest.yaml"
    manifest.write_text(manifest.read_text(encoding="utf-8") + "# reviewed\n", encoding="utf-8")

    proc = run_replaykit(["replay", "--update", "--json", "report.json", "--junit-xml", "junit.xml"], cwd=connector)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    assert "non-deterministic: a second replay of the same recording disagrees with the first" in out
    assert "field nonce changed in 12 record(s)" in out
    assert (
        "Hint (non-deterministic): two replays of basic_read-0 disagree with each other although every request "
        "matched its cassette: the connector is non-deterministic (stream(s) users, field(s) users.nonce)"
    ) in out
    assert "if the connector's change is intended" not in out
    report = json.loads((connector / "report.json").read_text(encoding="utf-8"))
    assert "non-deterministic" in [h["kind"] for h in report["hints"]]
    junit = ET.parse(connector / "junit.xml").getroot()
    case = next(c for c in junit.iter("testcase") if c.get("name") == "basic_read-0")
    assert "Hint: two replays of basic_read-0 disagree" in (case.findtext("failure") or "")
    # --update accepts no sample of a varying output
    assert "--update wrote nothing: 1 invocation(s) (basic_read-0) give other outputs on each replay" in out
    assert basic_read(connector)["outputs"] == recorded["outputs"]
    assert (connector / EXPECTED).read_bytes() == expected


def test_detect_volatile_without_a_basic_read_is_a_usage_error(tmp_path: Path, demo_api: Any) -> None:
    connector = make_connector(tmp_path / "source-demo", demo_api, suites=("connection",))
    proc = run_replaykit(["record", "--detect-volatile"], cwd=connector)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "acceptance-test-config.yml has no basic_read test" in proc.stderr
    assert "Hint: Add a basic_read test" in proc.stderr
    assert not (connector / "cassettes").exists()
