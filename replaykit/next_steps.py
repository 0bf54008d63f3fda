"""What to do next after a replay, chosen by the kind of failure (pure: the shells render the hints).

* ``re-record``: an invocation cannot be replayed from its recording (a request with no recording, the
  network touched): the connector's requests changed; only ``replaykit record`` fixes it.
* ``update``: records, states or snapshot files differ after an edit of the connector: ``replay --update``
  accepts them offline (also the expected-records comparison of ``TestBasicRead::test_read``).
* ``non-deterministic``: two replays of the same recording disagree with each other (every request matched),
  or outputs differ although the connector's files are the ones recorded: the connector is not deterministic,
  ``--update`` would only move the difference.
* ``check``: an acceptance check fails on the replayed outputs: fix the connector or the acceptance config;
  ``--update`` rewrites snapshots and cannot fix a check.
* ``record``: the acceptance config needs invocations that were never recorded.
"""

from __future__ import annotations

from dataclasses import dataclass

from replaykit.checks import FAIL, CheckResult
from replaykit.determinism import SecondReplay
from replaykit.replayer import InvocationReplay, ReplayReport

RE_RECORD, UPDATE, NON_DETERMINISTIC, CHECK, RECORD = "re-record", "update", "non-deterministic", "check", "record"
UPDATE_COMMAND = "replaykit replay --update"


@dataclass(frozen=True)
class Hint:
    kind: str
    text: str


def fixed_by_update(check: CheckResult) -> bool:
    """A failed check that compares with the expected-records file, which ``--update`` rewrites."""
    if check.suite != "basic_read":
        return False
    if check.test == "test_expected_records_whole":  # strict mode's record-by-record comparison
        return True
    if check.test != "test_read":
        return False
    text = "\n".join([check.message, *check.details])
    return "the records differ from" in text or "Expected to see those primary keys" in text


def _names(checks: list[CheckResult], limit: int = 3) -> str:
    shown = ", ".join(c.node_id for c in checks[:limit])
    return shown + (f" and {len(checks) - limit} more" if len(checks) > limit else "")


def check_hint(check: CheckResult) -> Hint:
    if fixed_by_update(check):
        return Hint(
            UPDATE,
            f"it compares with the expected records; if the connector's change is intended, run `{UPDATE_COMMAND}` "
            "(offline) to rewrite them, and commit",
        )
    return Hint(
        CHECK,
        "the check failed on the replayed outputs: fix the connector (or acceptance-test-config.yml, e.g. a "
        f"bypass_reason), then replay again; `{UPDATE_COMMAND}` cannot fix a failed check, it only rewrites snapshots",
    )


def invocation_hint(outcome: InvocationReplay, report: ReplayReport) -> Hint | None:
    if outcome.problems:
        return Hint(
            RE_RECORD,
            f"the connector's requests changed; re-record with `{report.record_command}` "
            f"(`{UPDATE_COMMAND}` cannot fix this: it never touches the network)",
        )
    if outcome.differences and not outcome.updated:
        return _difference_hint(report, [outcome])
    return None


def _difference_hint(report: ReplayReport, results: list[InvocationReplay] | None = None) -> Hint:
    """The hint for outputs that differ from the recording (in ``results``: by default, all of the report)."""
    unstable = [r.second_replay for r in results or report.results if r.second_replay is not None and r.unstable]
    if unstable:
        return Hint(NON_DETERMINISTIC, _unstable_text(unstable))
    if report.connector_changed is False:
        return Hint(
            NON_DETERMINISTIC,
            "the connector's files are the ones recorded, yet its outputs differ: the connector is not "
            "deterministic (wall clock outside the frozen one, random values, set or thread order); make its "
            f"output stable, `{UPDATE_COMMAND}` would only move the difference",
        )
    return Hint(
        UPDATE,
        f"if the connector's change is intended, run `{UPDATE_COMMAND}` (offline) and commit the rewritten files",
    )


def _unstable_text(unstable: list[SecondReplay]) -> str:
    streams = list(dict.fromkeys(s for u in unstable for s in u.streams))
    fields = list(dict.fromkeys(f for u in unstable for f in u.fields))
    where = f"stream(s) {', '.join(streams[:5])}" if streams else "its outputs"
    if fields:
        where += f", field(s) {', '.join(fields[:5])}" + (" ..." if len(fields) > 5 else "")
    return (
        f"two replays of {', '.join(u.invocation for u in unstable[:3])} disagree with each other although every "
        f"request matched its cassette: the connector is non-deterministic ({where}); make its output stable "
        "(no random values, process ids or timers in records, a stable order where a value depends on it); until then "
        f"`{UPDATE_COMMAND}` would only move the difference"
    )


def hints(report: ReplayReport) -> list[Hint]:
    """The next steps for this report, most blocking first (empty when it passed)."""
    out: list[Hint] = []
    problems = [r for r in report.results if r.problems]
    if problems:
        out.append(
            Hint(
                RE_RECORD,
                f"{len(problems)} invocation(s) cannot be replayed from their recording: the connector's requests "
                f"changed; re-record with `{report.record_command}` (`{UPDATE_COMMAND}` cannot fix this)",
            )
        )
    failed = [c for c in report.checks if c.status == FAIL]
    blocking = [c for c in failed if not fixed_by_update(c)]
    differs = [r for r in report.results if r.differences and not r.updated and not r.problems]
    snapshots = [c for c in report.snapshots if c.status in ("updated", "created")] if not report.updated else []
    if differs or snapshots or len(blocking) < len(failed):
        hint = _difference_hint(report)
        text = hint.text
        if hint.kind == UPDATE and blocking:
            text += f"; it will not fix the {len(blocking)} failed check(s) below"
        out.append(Hint(hint.kind, text))
    if blocking:
        out.append(
            Hint(
                CHECK,
                f"{len(blocking)} acceptance check(s) failed on the replayed outputs ({_names(blocking)}): fix the "
                "connector, or acceptance-test-config.yml (a bypass_reason), then replay again; "
                f"`{UPDATE_COMMAND}` cannot fix a failed check, it only rewrites snapshots",
            )
        )
    if report.not_recorded:
        out.append(Hint(RECORD, f"record the invocations the acceptance config needs: `{report.record_command}`"))
    return out


def update_lines(report: ReplayReport) -> list[str]:
    """After ``--update``: what it fixed, and what still fails and why."""
    if not report.updated and any(r.problems for r in report.results):
        return [
            f"--update wrote nothing: {sum(1 for r in report.results if r.problems)} invocation(s) cannot be "
            f"replayed from their recording; re-record with `{report.record_command}`"
        ]
    if not report.updated:
        unstable = [r.invocation.id for r in report.results if r.unstable]
        return [
            f"--update wrote nothing: {len(unstable)} invocation(s) ({', '.join(unstable[:4])}) give other outputs on "
            "each replay, so no output of theirs can be the reference; make the connector deterministic first"
        ]
    invocations = [r.invocation.id for r in report.results if r.updated]
    rewritten = [c for c in report.snapshots if c.status in ("updated", "created")]
    pruned = report.unused_invocations
    lines = [
        f"replay updated: --update accepted {len(invocations)} invocation(s)"
        + (f" ({', '.join(invocations[:4])}{' ...' if len(invocations) > 4 else ''})" if invocations else "")
        + f", rewrote {len(rewritten)} snapshot file(s), pruned {len(pruned)} unused recording(s); review and "
        "commit them"
    ]
    before = {c.node_id for c in report.checks_before_update if c.status == FAIL}
    now = [c for c in report.checks if c.status == FAIL]
    passing_now = sorted(before - {c.node_id for c in now})
    if passing_now:
        lines.append(f"--update fixed: {', '.join(passing_now)} now pass(es) against the rewritten expected records")
    if now:
        lines.append(
            f"still failing: {len(now)} acceptance check(s) ({_names(now)}); --update cannot fix them (it rewrites "
            "snapshots, not the connector's behaviour): fix the connector or acceptance-test-config.yml"
        )
    return lines
