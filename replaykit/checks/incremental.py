"""CAT's ``TestIncremental`` over the replayed incremental reads (current semantics; messages are CAT's).

- ``test_two_sequential_reads``: the first read has states and records; the second, from the first's final
  state, must not produce the same records. Strict mode adds the legacy cursor comparisons
  (``cursor_paths``, ``threshold_days``): first-read records not newer than its final state, second-read
  records not older than its input state.
- ``test_read_sequential_slices``: per stream, the checkpoints CAT samples from the replayed first read
  (``replaykit.slices``); each read from one must produce at least the records emitted after it.
- ``test_state_with_abnormally_large_values``: no records, a state, and cursors of the declared type and format.
"""

from __future__ import annotations

from typing import Any

from replaykit import invocation_ids as ids
from replaykit.checks import FAIL, SKIP, CheckContext, CheckResult, result, skipped, with_discovered_streams
from replaykit.checks.cursor import abnormal_state_cursor_problems, cursor_comparison_problems
from replaykit.diff_text import short
from replaykit.errors import ConfigError
from replaykit.invocation_ids import Role
from replaykit.messages import ConnectorOutput
from replaykit.records import record_key
from replaykit.slices import select_states
from replaykit.state_files import load_state_file
from replaykit.states import descriptor_name, state_by_stream_name

SUITE = "incremental"


def two_sequential_reads(
    test: Any,
    first: ConnectorOutput,
    second: ConnectorOutput,
    catalog: dict[str, Any] | None,
    second_state: list[dict[str, Any]] | None,
    *,
    strict: bool,
) -> list[str]:
    if not first.states:
        return ["First Read should produce at least one state"]
    if not first.records:
        return ["First Read should produce at least one record"]
    before = {record_key(r.get("data")) for r in first.records}
    after = {record_key(r.get("data")) for r in second.records}
    if before == after:
        streams = sorted({str(r.get("stream")) for r in first.records})
        return [
            "Records should change between reads but did not. "
            f"Both reads produced the same {len(before)} distinct record(s) (streams: {', '.join(streams)}); "
            "does the connector ignore the state (the API's start parameter)?"
        ]
    if strict:
        paths = {k: list(v) for k, v in (test.cursor_paths or {}).items()}
        problems = cursor_comparison_problems(
            catalog, first.records, state_by_stream_name(first.states), paths, newer=False
        )
        problems += cursor_comparison_problems(
            catalog,
            second.records,
            state_by_stream_name(second_state),
            paths,
            newer=True,
            threshold_days=test.threshold_days,
        )
        return problems
    return []


def sequential_slices(context: CheckContext, i: int, params: str) -> CheckResult:
    test_name = "test_read_sequential_slices"
    firsts = context.recorded_runs(SUITE, i, Role.SLICE_FIRST)
    if not firsts:
        label = ids.acceptance_test_label(SUITE, i)
        return skipped(SUITE, test_name, f"no sequential-slices reads recorded for {label}", params)
    problems: list[str] = []
    checkpoint_reads = context.recorded_runs(SUITE, i, Role.SLICE_STATE)
    for first_key in firsts:
        first_id = first_key.id
        first = context.output(first_key)
        if first is None:
            return skipped(SUITE, test_name, f"{first_id} was not replayed", params)
        if not first.records or not first.states:
            continue
        states = first.states  # as CAT: every checkpoint (a GLOBAL one is read again from no state)
        if any("sourceStats" not in s for s in states):
            problems.append(f"{first_id}: state messages carry no sourceStats.recordCount; CAT cannot sample them")
            continue
        selected = select_states(states)
        if not selected:
            problems.append(
                "Unable to test because there is no suitable state checkpoint, likely due to a zero record count "
                f"in the states ({first_id})."
            )
            continue
        reads = sorted((r for r in checkpoint_reads if r.stream == first_key.stream), key=lambda r: r.step)
        for k, read in enumerate(reads, start=1):
            read_id = read.id
            invocation, output = context.invocations[read_id], context.output(read)
            if output is None:
                problems.append(f"{read_id}: the read from a checkpoint was not replayed")
                continue
            expected = invocation.expect_min_records or 0
            if len(output.records) < expected:
                problems.append(
                    f"Read {k} of {len(reads)} should produce at least one record. {read_id} from state "
                    f"{short(invocation.state, 200)} produced {len(output.records)} record(s); the first read emitted "
                    f"{expected} after that checkpoint"
                )
    return result(SUITE, test_name, problems, params)


def future_state_gate(test: Any, high: bool) -> tuple[str, str] | None:
    """CAT's ``future_state_configuration`` fixture: (status, reason) when the test does not run, else None."""
    future = test.future_state
    if future is not None and future.bypass_reason is not None:
        return SKIP, "`future_state` has a bypass reason, skipping."
    if future is not None and future.future_state_path:
        return None
    if high:
        return FAIL, (
            "High test strictness level error: a future state configuration must be provided in high test "
            "strictness level or a bypass reason should be filled."
        )
    return SKIP, "`future_state` not specified, skipping."


def future_state_coverage(
    future: Any, states: list[dict[str, Any]], catalog: dict[str, Any] | None, high: bool
) -> list[str]:
    """CAT's ``future_state`` fixture at high strictness: missing_streams need a bypass reason, and every stream
    of the configured catalog that supports incremental is in the future state file or in missing_streams."""
    if not high:
        return []
    if not all(s.bypass_reason is not None for s in future.missing_streams):
        return ["High test strictness level error: all missing_streams must have a bypass reason specified."]
    incremental = {
        str((c.get("stream") or {}).get("name"))
        for c in (catalog or {}).get("streams", [])
        if "incremental" in ((c.get("stream") or {}).get("supported_sync_modes") or [])
    }
    in_states = set()
    for state in states:
        stream = state.get("stream") if isinstance(state, dict) else None
        if not isinstance(stream, dict):
            return ["High test strictness level error: the future state file must hold per-stream states"]
        in_states.add(str(descriptor_name(state)))
    undeclared = sorted(incremental - {s.name for s in future.missing_streams} - in_states)
    if undeclared:
        return [
            f"High test strictness level error: {', '.join(undeclared)} streams are missing in your future_state "
            "file, please declare a state for those streams or fill-in a valid bypass_reason."
        ]
    return []


def _future_states(context: CheckContext, test: Any, invocation: Any) -> list[dict[str, Any]] | str:
    path = context.acceptance.resolve(test.future_state.future_state_path)
    if path is not None and path.is_file():
        try:
            return load_state_file(path).messages  # legacy shapes converted, as record and replay run them
        except ConfigError as exc:
            return exc.message
    if invocation is not None:
        return list(invocation.state or [])
    return f"the future state file {test.future_state.future_state_path} does not exist"


def abnormal_state(test: Any, context: CheckContext, i: int, params: str) -> CheckResult:
    test_name = "test_state_with_abnormally_large_values"
    high = context.acceptance.test_strictness_level == "high"
    gate = future_state_gate(test, high)
    if gate is not None:
        status, reason = gate
        return (
            skipped(SUITE, test_name, reason, params) if status == SKIP else result(SUITE, test_name, [reason], params)
        )
    key = ids.abnormal_state(i)
    invocation, output = context.invocation(key), context.output(key)
    future_states = _future_states(context, test, invocation)
    if isinstance(future_states, str):
        return result(SUITE, test_name, [future_states], params)
    read1 = context.invocation(ids.incremental_read(i, 1))
    source = invocation if invocation is not None else read1
    catalog = source.catalog if source is not None else None
    coverage = future_state_coverage(test.future_state, future_states, catalog, high)
    if coverage:
        return result(SUITE, test_name, coverage, params)
    if invocation is None or output is None:
        return skipped(SUITE, test_name, f"{key.id} was not replayed", params)
    return result(SUITE, test_name, abnormal_state_problems(test, output, invocation, context), params)


def abnormal_state_problems(test: Any, output: ConnectorOutput, invocation: Any, context: CheckContext) -> list[str]:
    if output.records:
        return [
            "The sync should produce no records when run with the state with abnormally large values "
            f"{output.records[0].get('stream')}"
        ]
    if not output.states:
        return ["The sync should produce at least one STATE message"]
    future = test.future_state
    formats = {s.name: s.format for s in future.cursor_format.streams}
    return abnormal_state_cursor_problems(
        with_discovered_streams(invocation.catalog or {}, context),
        output.states,
        invocation.state or [],
        future.cursor_format.format,
        formats,
    )


def run(context: CheckContext) -> list[CheckResult]:
    results: list[CheckResult] = []
    for i, test in enumerate(context.acceptance.tests(SUITE)):
        params = f"inputs{i}"
        first, second = context.output(ids.incremental_read(i, 1)), context.output(ids.incremental_read(i, 2))
        invocation = context.invocation(ids.incremental_read(i, 1))
        invocation2 = context.invocation(ids.incremental_read(i, 2))
        if first is None or second is None or invocation is None or invocation2 is None:
            results.append(
                skipped(SUITE, "test_two_sequential_reads", f"{ids.reads_label(SUITE, i)} were not replayed", params)
            )
        else:
            problems = two_sequential_reads(
                test, first, second, invocation.catalog, invocation2.state, strict=context.strict
            )
            results.append(result(SUITE, "test_two_sequential_reads", problems, params))
        if test.skip_comprehensive_incremental_tests:
            results.append(
                skipped(
                    SUITE,
                    "test_read_sequential_slices",
                    "Skipping the test for sequential slices because skip_comprehensive_incremental_tests is true",
                    params,
                )
            )
        else:
            results.append(sequential_slices(context, i, params))
        results.append(abnormal_state(test, context, i, params))
    return results
