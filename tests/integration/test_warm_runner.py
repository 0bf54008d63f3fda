"""The warm fork runner: invocations are isolated from each other, and its outputs are the fresh runner's.

Isolation runs a real manifest connector (the demo's, with a custom transformation in ``components.py``
that misbehaves on request) through the runner, replaying the committed demo recording.
"""

from __future__ import annotations

import filecmp
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import DEMO_DIR, ROOT, make_connector, run_replaykit
from replaykit.connector import resolve_connector
from replaykit.errors import ConnectorCrashedError
from replaykit.files import dump_json
from replaykit.fingerprint import FINGERPRINT_KEY
from replaykit.fork_runner import ForkRunner
from replaykit.forkserver import SHARED_SERVER_VARIABLE
from replaykit.invocations import load_index
from replaykit.runner import FreshRunner, InvocationRun, Runner, write_inputs
from replaykit.runtime import Job

DEMO_CASSETTES = ROOT / "cassettes" / "source-demo"

MISCHIEF = '''
import ctypes
import os
import threading

import airbyte_cdk
from airbyte_cdk.sources.declarative.transformations import RecordTransformation


FIRST = []


def seen():
    return {
        "module_state": getattr(airbyte_cdk, "_mischief_count", 0),
        "env": os.environ.get("MISCHIEF_LEFT_BEHIND", ""),
        "threads": sum(t.name == "mischief" for t in threading.enumerate()),
    }


class Mischief(RecordTransformation):
    """Reports what an earlier invocation could have left behind, then leaves something behind itself."""

    def __init__(self, *args, **kwargs):
        pass

    def transform(self, record, config=None, stream_state=None, stream_slice=None):
        if not FIRST:
            FIRST.append(seen())
        record["first_seen"], record["seen"] = FIRST[0], seen()
        airbyte_cdk._mischief_count = getattr(airbyte_cdk, "_mischief_count", 0) + 1
        os.environ["MISCHIEF_LEFT_BEHIND"] = "yes"
        mode = os.environ.get("MISCHIEF", "")
        if mode == "thread" and not record["seen"]["threads"]:
            threading.Thread(target=threading.Event().wait, name="mischief", daemon=True).start()
        if mode == "exit":
            os._exit(7)
        if mode == "segfault":
            ctypes.string_at(0)
        return record
'''


@pytest.fixture(scope="module")
def mischief_connector() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="replaykit-mischief-") as tmp:
        connector = Path(tmp) / "source-mischief"
        shutil.copytree(DEMO_DIR, connector)
        (connector / "components.py").write_text(MISCHIEF, encoding="utf-8")
        manifest = yaml.safe_load((connector / "manifest.yaml").read_text(encoding="utf-8"))
        manifest["definitions"]["users_stream"]["transformations"] = [
            {"type": "CustomTransformation", "class_name": "components.Mischief"}
        ]
        (connector / "manifest.yaml").write_text(yaml.safe_dump(manifest, sort_keys=False), encoding="utf-8")
        yield connector


def read_users(runner: Runner, connector: Path, tmp_path: Path) -> InvocationRun:
    """The demo's recorded basic read, replayed by ``runner``."""
    invocation = load_index(DEMO_CASSETTES, record_hint="-").get("basic_read-0")
    inputs = tmp_path / f"inputs-{len(list(tmp_path.iterdir()))}"
    inputs.mkdir()
    config, catalog, state = write_inputs(inputs, config=invocation.config, catalog=invocation.catalog, state=None)
    job = Job(
        mode="replay",
        cassette=str(DEMO_CASSETTES / invocation.cassette),
        connector=resolve_connector(connector).to_dict(),
        args=invocation.connector_args(config, catalog, state),
        frozen_at=invocation.frozen_at,
        invocation=invocation.id,
    )
    return runner.run(job, cwd=connector, timeout_s=120)


def users(run: InvocationRun) -> list[dict[str, object]]:
    return [r["data"] for r in run.output.records if r["stream"] == "users"]


@pytest.mark.parametrize("mode", ["state", "thread", "exit", "segfault"])
def test_what_an_invocation_leaves_behind_never_reaches_the_next(
    mischief_connector: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mode: str
) -> None:
    runner = ForkRunner(mischief_connector)
    try:
        monkeypatch.setenv("MISCHIEF", mode)
        if mode in ("exit", "segfault"):
            with pytest.raises(ConnectorCrashedError, match="died with exit code"):
                read_users(runner, mischief_connector, tmp_path)
        else:
            first = users(read_users(runner, mischief_connector, tmp_path))
            # within one invocation the mischief is real: later records see what earlier ones left
            assert max(r["seen"]["module_state"] for r in first) >= len(first) - 1
            assert "yes" in {r["seen"]["env"] for r in first}
            assert max(r["seen"]["threads"] for r in first) == (1 if mode == "thread" else 0)
        monkeypatch.delenv("MISCHIEF")
        second = read_users(runner, mischief_connector, tmp_path)
        assert second.exit_code == 0
        assert runner.note is None  # still the warm runner after a crash
        assert {json.dumps(r["first_seen"]) for r in users(second)} == {
            json.dumps({"module_state": 0, "env": "", "threads": 0})
        }
    finally:
        runner.close()


def test_fresh_and_warm_runners_give_the_same_output(tmp_path: Path) -> None:
    warm = ForkRunner(DEMO_DIR)
    try:
        forked = read_users(warm, DEMO_DIR, tmp_path)
    finally:
        warm.close()
    fresh = read_users(FreshRunner(), DEMO_DIR, tmp_path)
    # the concurrent CDK's record order depends on thread timing, in either runner; the multiset does not
    assert sorted(map(json.dumps, forked.output.records)) == sorted(map(json.dumps, fresh.output.records))
    assert forked.output.summary() == fresh.output.summary()
    assert forked.result.connector_s > 0  # the floor of the speed benchmark is measured in the child


def test_commands_share_one_warm_server_only_when_they_agree_on_the_start_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert os.environ.get(SHARED_SERVER_VARIABLE)  # the suite's own shared server (tests/conftest.py)
    shared = ForkRunner(DEMO_DIR)
    try:
        from_shared = read_users(shared, DEMO_DIR, tmp_path)
    finally:
        shared.close()
    assert shared.shared
    monkeypatch.setenv("FAKETIME", "+0d")  # what a child inherits at start-up differs: a server of its own
    own = ForkRunner(DEMO_DIR)
    try:
        from_own = read_users(own, DEMO_DIR, tmp_path)
    finally:
        own.close()
    assert not own.shared
    assert from_shared.exit_code == from_own.exit_code == 0
    assert from_shared.output.summary() == from_own.output.summary()
    monkeypatch.setenv(SHARED_SERVER_VARIABLE, str(tmp_path / "no-such.sock"))  # a server that is gone
    gone = ForkRunner(DEMO_DIR)
    try:
        assert read_users(gone, DEMO_DIR, tmp_path).exit_code == 0
    finally:
        gone.close()
    assert not gone.shared
    assert gone.note is None


def test_a_warm_server_with_threads_falls_back_to_fresh_processes_and_says_so(
    mischief_connector: Path, tmp_path: Path
) -> None:
    (mischief_connector / "thread_at_import.py").write_text(
        "import threading\nthreading.Thread(target=threading.Event().wait, name='poller', daemon=True).start()\n"
    )
    runner = ForkRunner(mischief_connector, warm_modules=("thread_at_import",))
    try:
        run = read_users(runner, mischief_connector, tmp_path)
    finally:
        runner.close()
    assert run.exit_code == 0
    assert users(run)
    assert runner.note == (
        "each invocation runs in a fresh process: threads were running in the warm server after its imports: poller"
    )


def test_replay_with_runner_fresh_says_so_once(tmp_path: Path) -> None:
    proc = run_replaykit(["replay", "--runner", "fresh", "--only", "spec-0", "--only", "connection-0"], cwd=ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.count("note: each invocation runs in a fresh process") == 0  # chosen, not a fallback
    bad = run_replaykit(["replay", "--runner", "frsh"], cwd=ROOT)
    assert bad.returncode == 2
    assert "invalid choice: 'frsh'" in bad.stderr


def _regenerate(tmp_path: Path, name: str, connector: Path, cassettes: Path, *flags: str) -> tuple[Path, dict]:
    """A copy of a recording with its snapshots and index regenerated offline by `replay --update`."""
    copy = tmp_path / name
    shutil.copytree(connector, copy / "connector", ignore=shutil.ignore_patterns("cassettes"))
    shutil.copytree(cassettes, copy / "cassettes")
    snapshots = 1 + len(list((copy / "cassettes" / "states").glob("*.json")))
    (copy / "connector" / "integration_tests" / "expected_records.jsonl").unlink()
    shutil.rmtree(copy / "cassettes" / "states")
    report = copy / "report.json"
    where = ["--connector-dir", "connector", "--cassette-dir", "cassettes"]
    # --update runs the checks again on the files it rewrote: the report holds those verdicts
    update = run_replaykit(["replay", "--update", *where, "--json", str(report), *flags], cwd=copy)
    assert update.returncode == 0, update.stdout + update.stderr
    assert f"rewrote {snapshots} snapshot file(s)" in update.stdout, update.stdout + update.stderr
    verdicts = {c["id"]: (c["status"], c["message"], c["details"]) for c in json.loads(report.read_text())["checks"]}
    return copy, verdicts


def _same_files(left: Path, right: Path) -> None:
    names = sorted(p.relative_to(left) for p in left.rglob("*") if p.is_file())
    assert names == sorted(p.relative_to(right) for p in right.rglob("*") if p.is_file())
    _, mismatch, errors = filecmp.cmpfiles(left, right, [str(n) for n in names], shallow=False)
    assert (mismatch, errors) == ([], [])


MODES = {"parallel": ("--jobs", "4"), "serial": ("--jobs", "1"), "fresh": ("--runner", "fresh", "--jobs", "2")}


def _same_three_ways(tmp_path: Path, connector: Path, cassettes: Path) -> Path:
    """Regenerate the recording warm in parallel, warm one at a time and in fresh processes: the same bytes
    and the same verdicts.  Returns the parallel copy."""
    runs = {name: _regenerate(tmp_path, name, connector, cassettes, *flags) for name, flags in MODES.items()}
    parallel, verdicts = runs["parallel"]
    assert verdicts
    assert all(status != "failed" for status, _, _ in verdicts.values())
    for name in ("serial", "fresh"):
        other, other_verdicts = runs[name]
        assert other_verdicts == verdicts
        _same_files(parallel / "cassettes", other / "cassettes")
        _same_files(parallel / "connector", other / "connector")
    return parallel


@pytest.mark.slow
def test_demo_outputs_are_byte_identical_warm_parallel_serial_and_fresh(tmp_path: Path) -> None:
    """The committed demo, regenerated three ways, is byte for byte the committed demo, verdicts included."""
    parallel = _same_three_ways(tmp_path, DEMO_DIR, DEMO_CASSETTES)
    # --update adds a fingerprint of the connector's files (and CDK version) that the committed index lacks
    index = json.loads((parallel / "cassettes" / "index.json").read_text(encoding="utf-8"))
    assert index["connector"].pop(FINGERPRINT_KEY)
    (parallel / "cassettes" / "index.json").write_text(dump_json(index), encoding="utf-8")
    _same_files(parallel / "cassettes", DEMO_CASSETTES)
    assert filecmp.cmp(
        parallel / "connector" / "integration_tests" / "expected_records.jsonl",
        DEMO_DIR / "integration_tests" / "expected_records.jsonl",
        shallow=False,
    )


@pytest.mark.slow
def test_a_thread_pool_variant_is_byte_identical_warm_parallel_serial_and_fresh(tmp_path: Path, demo_api: Any) -> None:
    """Eight CDK worker threads, substream partitions and date windows read concurrently."""
    connector = make_connector(
        tmp_path / "source-demo", demo_api, suites=("basic_read", "incremental"), extra_config={"num_workers": 8}
    )
    recorded = run_replaykit(["record"], cwd=connector)
    assert recorded.returncode == 0, recorded.stdout + recorded.stderr
    _same_three_ways(tmp_path, connector, connector / "cassettes")
