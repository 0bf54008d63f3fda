"""Connector code that only misbehaves under a frozen clock still records and replays."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import faketime_env, make_connector, run_replaykit

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


IMPORT_TIME = """
import datetime

from airbyte_cdk.sources.declarative.transformations import RecordTransformation

LOADED_AT = datetime.datetime.now(datetime.timezone.utc).isoformat()  # read once, when the module is imported


class LoadedAt(RecordTransformation):
    def __init__(self, *args, **kwargs):
        pass

    def transform(self, record, config=None, stream_state=None, stream_slice=None):
        record["loaded_at"] = LOADED_AT
        return record
"""


def with_component(connector: Path, code: str, name: str, field: dict[str, Any]) -> Path:
    """The connector with ``components.<name>`` as a transformation of users, its new field declared."""
    (connector / "components.py").write_text(code, encoding="utf-8")
    manifest = yaml.safe_load((connector / "manifest.yaml").read_text(encoding="utf-8"))
    users = manifest["definitions"]["users_stream"]
    users["transformations"] = [{"type": "CustomTransformation", "class_name": f"components.{name}"}]
    users["schema_loader"]["schema"]["properties"].update(field)
    (connector / "manifest.yaml").write_text(yaml.safe_dump(manifest, sort_keys=False), encoding="utf-8")
    return connector


def test_a_connector_emitting_datetime_objects_records_and_replays(tmp_path: Path, demo_api: Any) -> None:
    connector = make_connector(tmp_path / "source-demo", demo_api, suites=("basic_read",))
    with_component(connector, STAMP, "SignUpDate", {"signed_up": {"type": "string", "format": "date-time"}})

    recorded = run_replaykit(["record"], cwd=connector)
    assert recorded.returncode == 0, recorded.stdout + recorded.stderr
    expected = (connector / "integration_tests" / "expected_records.jsonl").read_text(encoding="utf-8")
    assert '"signed_up": "2008-09-13T12:30:00+00:00"' in expected
    replayed = run_replaykit(["replay"], cwd=connector)
    assert replayed.returncode == 0, replayed.stdout + replayed.stderr


@pytest.mark.parametrize("runner", ["fork", "fresh"])
def test_clock_reads_at_import_time_replay_identically_400_days_later(
    tmp_path: Path, demo_api: Any, runner: str
) -> None:
    connector = make_connector(tmp_path / "source-demo", demo_api, suites=("basic_read",))
    with_component(connector, IMPORT_TIME, "LoadedAt", {"loaded_at": {"type": "string"}})
    recorded = run_replaykit(["record", "--runner", runner], cwd=connector)
    assert recorded.returncode == 0, recorded.stdout + recorded.stderr
    index = (connector / "cassettes" / "index.json").read_text(encoding="utf-8")
    instant = next(i for i in json.loads(index)["invocations"] if i["id"] == "basic_read-0")["frozen_at"]
    expected = (connector / "integration_tests" / "expected_records.jsonl").read_text(encoding="utf-8")
    assert f'"loaded_at": "{instant.replace("Z", "+00:00")}"' in expected  # the frozen instant, not the wall clock
    later = run_replaykit(["replay", "--runner", runner], cwd=connector, env=faketime_env("+400d"))
    assert later.returncode == 0, later.stdout + later.stderr
