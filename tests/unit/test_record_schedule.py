"""What a parallel recording waits for, and the scrubbing of a secret learned while other invocations ran."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from conftest import DEMO_DIR
from replaykit.acceptance import load_acceptance_config
from replaykit.invocations import Invocation
from replaykit.plan import build_plan
from replaykit.record_schedule import inputs_of
from replaykit.recording_session import RecordingSession
from replaykit.scrub import Secret
from replaykit.settings import resolve_settings


def test_each_invocation_waits_for_the_outputs_it_reads_and_nothing_else() -> None:
    acceptance = load_acceptance_config(DEMO_DIR / "acceptance-test-config.yml")
    plan = build_plan(DEMO_DIR, acceptance, DEMO_DIR / "secrets" / "config.json")
    waits = {p.id: inputs_of(p) for p in plan}
    assert waits["spec-0"] == set()
    assert waits["connection-0"] == waits["discovery-0"] == {"spec-0"}
    assert waits["basic_read-0"] == {"spec-0", "discovery-0"}  # the discovered catalog
    assert waits["basic_read-0-bad_catalog"] == {"spec-0"}
    assert "full_refresh-0-read1" in waits["full_refresh-0-read2"]  # CAT reads them one after the other
    assert "incremental-0-read1" in waits["incremental-0-read2"]  # from its final states
    order = [p.id for p in plan]
    assert all(order.index(need) < order.index(p) for p, needs in waits.items() for need in needs)


def test_a_secret_learned_meanwhile_is_scrubbed_from_what_an_invocation_that_did_not_know_it_stored(
    tmp_path: Path,
) -> None:
    connector = tmp_path / "source-demo"
    shutil.copytree(DEMO_DIR, connector)
    settings = resolve_settings(tmp_path, {"connector_dir": str(connector)})
    session = RecordingSession(settings, connector / "secrets" / "config.json", None, None)
    session.scrubber.add(Secret("api_key", "known-key-0123456789"))
    staging = tmp_path / "staging"
    staging.mkdir()
    cassette = {"interactions": [{"request": {"uri": "https://api/x?key=known-key-0123456789"}}], "token": ""}
    # basic_read-0 ran knowing 1 secret; a concurrent one learned a token that basic_read-0's response holds
    token = "tok-7f3a9c2e5b81d04"
    cassette["token"] = token
    (staging / "basic_read-0.json").write_text(json.dumps(cassette))
    (staging / "spec-0.json").write_text(json.dumps({"token": token}))
    session.scrubbed_with.update({"basic_read-0": 1, "spec-0": 2})
    session.scrubber.add(Secret("access_token", token))
    invocations = [
        Invocation("spec-0", "spec", "spec", "spec-0.json", "2026-01-01T00:00:00Z"),
        Invocation("basic_read-0", "basic_read", "read", "basic_read-0.json", "2026-01-01T00:00:01Z"),
    ]
    invocations[1].outputs = {"message": f"token {token}"}
    session.scrub_again(invocations, staging)
    text = (staging / "basic_read-0.json").read_text()
    assert token not in text
    assert "**REDACTED:access_token**" in text
    assert "known-key-0123456789" in text  # scrubbed when written (here planted): only what it did not know
    assert invocations[1].outputs == {"message": "token **REDACTED:access_token**"}
    assert token in (staging / "spec-0.json").read_text()  # ran knowing both: left as written
