"""CAT's ``TestConnection::test_check`` over the replayed check invocations."""

from __future__ import annotations

from replaykit import invocation_ids as ids
from replaykit.checks import CheckContext, CheckResult, result, skipped

SUITE = "connection"


def run(context: CheckContext) -> list[CheckResult]:
    results = []
    for i, test in enumerate(context.acceptance.tests(SUITE)):
        params = f"inputs{i}"
        output = context.output(ids.connection(i))
        if output is None:
            results.append(skipped(SUITE, "test_check", f"{ids.connection(i).id} was not replayed", params))
            continue
        failures = []
        if test.status == "exception":
            traces = output.traces
            error = traces[0].get("error") if len(traces) == 1 else None
            if len(traces) != 1 or not isinstance(error, dict) or error.get("message") is None:
                failures.append("A trace message should be emitted in case of unexpected errors")
        else:
            if output.counts.get("CONNECTION_STATUS", 0) != 1:
                failures.append("Connection status message should be emitted exactly once")
            else:
                wanted = "SUCCEEDED" if test.status == "succeed" else "FAILED"
                status = (output.connection_status or {}).get("status")
                if status != wanted:
                    message = (output.connection_status or {}).get("message")
                    failures.append(
                        f"Connection status is {status}, expected {wanted}" + (f": {message}" if message else "")
                    )
        results.append(result(SUITE, "test_check", failures, params))
    return results
