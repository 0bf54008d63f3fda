"""Connector code that only misbehaves under a frozen clock still records and replays."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from conftest import make_connector, run_replaykit

STAMP = '''
import datetime

from airbyte_cdk.sources.declarative.transformations import RecordTransformation


class SignUpDate(RecordTransformation):
    """Puts a datetime object into each record, as Python connectors built on faker-style libraries do."""

    def __init__(self, *args, **kwargs):
        pass

    def transform(self, record, config=None, stream_state=None, stream_slice=None):
        record["signed_up"] = datetime.datetime(2008, 9, 13, 12, 30, tzinfo=datetime.timezone.utc)
        return record
'''


def test_a_connector_emitting_datetime_objects_records_and_replays(tmp_path: Path, demo_api: Any) -> None:
    connector = make_connector(tmp_path / "source-demo", demo_api, suites=("basic_read",))
    (connector / "components.py").write_text(STAMP, encoding="utf-8")
    manifest = yaml.safe_load((connector / "manifest.yaml").read_text(encoding="utf-8"))
    users = manifest["definitions"]["users_stream"]
    users["transformations"] = [{"type": "CustomTransformation", "class_name": "components.SignUpDate"}]
    users["schema_loader"]["schema"]["properties"]["signed_up"] = {"type": "string", "format": "date-time"}
    (connector / "manifest.yaml").write_text(yaml.safe_dump(manifest, sort_keys=False), encoding="utf-8")

    recorded = run_replaykit(["record"], cwd=connector)
    assert recorded.returncode == 0, recorded.stdout + recorded.stderr
    expected = (connector / "integration_tests" / "expected_records.jsonl").read_text(encoding="utf-8")
    assert '"signed_up": "2008-09-13T12:30:00+00:00"' in expected
    replayed = run_replaykit(["replay"], cwd=connector)
    assert replayed.returncode == 0, replayed.stdout + replayed.stderr
