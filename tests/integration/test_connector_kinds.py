"""A connector packaged the way Python connectors are (``main.py`` + a package) records and replays."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from conftest import make_connector, run_replaykit
from demo_api import DemoAPI

RUN_PY = """
import logging
import sys
from pathlib import Path

from airbyte_cdk.entrypoint import AirbyteEntrypoint, launch
from airbyte_cdk.exception_handler import init_uncaught_exception_handler
from airbyte_cdk.sources.declarative.yaml_declarative_source import YamlDeclarativeSource

MANIFEST = str(Path(__file__).with_name("manifest.yaml"))


def run() -> None:
    # Like the CDK's own entry points: an error before launch() (a bad catalog) is a TRACE message too.
    init_uncaught_exception_handler(logging.getLogger("airbyte"))
    args = sys.argv[1:]
    parsed = AirbyteEntrypoint.parse_args(args)
    config = YamlDeclarativeSource.read_config(parsed.config) if hasattr(parsed, "config") else None
    catalog = YamlDeclarativeSource.read_catalog(parsed.catalog) if hasattr(parsed, "catalog") else None
    state = YamlDeclarativeSource.read_state(parsed.state) if getattr(parsed, "state", None) else []
    launch(YamlDeclarativeSource(MANIFEST, config=config, catalog=catalog, state=state), args)


if __name__ == "__main__":
    run()
"""


def python_connector(tmp_path: Path, api: DemoAPI) -> Path:
    connector = make_connector(tmp_path / "source-demo", api, days_back=5, suites=("connection", "basic_read"))
    package = connector / "source_demo"
    package.mkdir()
    (package / "__init__.py").write_text("")
    shutil.move(connector / "manifest.yaml", package / "manifest.yaml")
    (package / "run.py").write_text(RUN_PY)
    (connector / "main.py").write_text("from source_demo.run import run\n\nif __name__ == '__main__':\n    run()\n")
    return connector


@pytest.mark.parametrize("command", [None, "python -m source_demo.run"], ids=["main.py", "python -m"])
def test_python_connector_records_and_replays(tmp_path: Path, demo_api: DemoAPI, command: str | None) -> None:
    connector = python_connector(tmp_path, demo_api)
    flags = ["--connector-command", command] if command else []
    recorded = run_replaykit(["record", *flags], cwd=connector)
    assert recorded.returncode == 0, recorded.stdout + recorded.stderr
    assert "basic_read-0" in recorded.stdout
    served = len(demo_api.access_log)
    if command:  # replay runs the connector the index says was recorded: no flag, nothing to auto-detect
        (connector / "main.py").unlink()
    replayed = run_replaykit(["replay"], cwd=connector)
    assert replayed.returncode == 0, replayed.stdout + replayed.stderr
    recorded = json.loads((connector / "cassettes" / "index.json").read_text())["invocations"]
    assert f"replay passed: {len(recorded)} invocation(s)" in replayed.stdout  # every recorded invocation
    assert len(demo_api.access_log) == served
