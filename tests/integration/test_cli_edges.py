"""Issue 16: the command line's edge cases (no connector, a closed pipe, typos, help texts, a corrupt index)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from conftest import DEMO_DIR, ROOT, run_replaykit


def test_plan_without_a_connector_is_a_usage_error_like_record(tmp_path: Path) -> None:
    proc = run_replaykit(["plan"], cwd=tmp_path)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "no connector found" in proc.stderr
    assert "default plan" not in proc.stdout
    assert "Hint: Run `replaykit plan` in the connector directory, or pass --connector-dir." in proc.stderr


def test_plan_into_a_closed_pipe_is_quiet_and_exits_0() -> None:
    # `replaykit plan | head -2`: the reader stops after two lines
    with subprocess.Popen(
        [sys.executable, "-m", "replaykit", "plan"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    ) as plan:
        assert plan.stdout is not None
        assert plan.stderr is not None
        head = subprocess.run(["head", "-2"], stdin=plan.stdout, capture_output=True, text=True, check=True)
        plan.stdout.close()
        err = plan.stderr.read().decode()
        code = plan.wait(timeout=60)
    assert len(head.stdout.splitlines()) == 2
    assert code == 0, err
    assert "BrokenPipeError" not in err
    assert "internal error" not in err


def test_a_flag_typo_shows_the_subcommands_usage_with_the_closest_option() -> None:
    proc = run_replaykit(["replay", "--stirct"], cwd=ROOT)
    assert proc.returncode == 2
    assert proc.stderr.startswith("usage: replaykit replay ")
    assert "unrecognized arguments: --stirct (did you mean --strict?)" in proc.stderr
    typo = run_replaykit(["plan", "--conector-dir", "x"], cwd=ROOT)
    assert typo.returncode == 2
    assert typo.stderr.startswith("usage: replaykit plan ")
    assert "--conector-dir (did you mean --connector-dir?)" in typo.stderr
    command = run_replaykit(["repaly"], cwd=ROOT)
    assert command.returncode == 2
    assert "did you mean 'replay'?" in command.stderr


def test_plan_help_offers_only_the_options_plan_uses_and_only_says_it_repeats() -> None:
    plan = run_replaykit(["plan", "--help"], cwd=ROOT)
    assert plan.returncode == 0
    assert "--connector-dir" in plan.stdout
    assert "--cassette-dir" in plan.stdout
    for unused in ("--connector-command", "--timeout"):
        assert unused not in plan.stdout
    replay = run_replaykit(["replay", "--help"], cwd=ROOT)
    only_help = " ".join(replay.stdout.split("--only INVOCATION", 2)[2].split()[:12])
    assert "repeat --only for several" in only_help


def test_plan_with_a_corrupt_index_gives_a_real_command(tmp_path: Path) -> None:
    connector = tmp_path / "source-demo"
    shutil.copytree(DEMO_DIR, connector)
    (connector / "cassettes").mkdir()
    (connector / "cassettes" / "index.json").write_text("{ not json", encoding="utf-8")
    proc = run_replaykit(["plan"], cwd=connector)
    assert proc.returncode == 2
    assert "invocation index" in proc.stderr
    assert "is not valid JSON" in proc.stderr
    assert "re-record: -" not in proc.stderr
    assert "Hint: Restore it from git or re-record: replaykit record --config secrets/config.json" in proc.stderr
