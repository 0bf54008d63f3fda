"""Invocations that did not go as the acceptance checks expect, and what the connector said about why.

A live run of a planned invocation can fail in two ways: it ran but its outcome is not the one the checks
expect (no SPEC, a check that did not return the expected status, a read that failed), or it could not run
at all (the connector process died without a result, or an input it needs came from an invocation that
failed). Either way the failure keeps what the connector said: its error trace's message, internal
message, the last lines of the trace's stack trace, its FATAL log lines and the last lines of its stderr.
Every text here is scrubbed by the caller's scrubber before it is stored.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from replaykit.messages import ConnectorOutput

STACK_LINES = 5  # the last lines of an error trace's stack trace worth showing
STDERR_LINES = 5
FATAL_LOGS = 3


@dataclass(frozen=True)
class InvocationFailure:
    invocation: str
    command: str
    problem: str  # why the checks will fail, e.g. "check returned FAILED, expected SUCCEEDED"
    exit_code: int | None = None  # None: the invocation never ran to completion
    message: str | None = None  # the first error trace's message
    internal_message: str | None = None
    stack_tail: tuple[str, ...] = ()
    fatal_logs: tuple[str, ...] = ()
    stderr_tail: tuple[str, ...] = ()
    recorded: bool = True  # a cassette holds the run: the failure can be replayed

    @property
    def cause(self) -> tuple[str | None, tuple[str, ...]]:
        """What tells two failures apart: the message and where the error was raised."""
        return self.message, self.stack_tail[-2:]

    def detail_lines(self) -> list[str]:
        """What the connector said, one fact a line (the table's continuation lines)."""
        lines = []
        if self.message:
            lines.append(f"message: {self.message}")
        if self.internal_message and self.internal_message != self.message:
            lines.append(f"internal message: {self.internal_message}")
        if self.stack_tail:
            lines.append("stack trace (last lines):")
            lines.extend(f"  {line}" for line in self.stack_tail)
        lines.extend(f"FATAL log: {log}" for log in self.fatal_logs)
        if self.stderr_tail and not (self.message or self.stack_tail or self.fatal_logs):
            lines.append("stderr (last lines):")
            lines.extend(f"  {line}" for line in self.stderr_tail)
        return lines


def unexpected_outcome(command: str, expect: str, exit_code: int, output: ConnectorOutput) -> str | None:
    """Why a run of ``command`` cannot pass the checks that expect ``expect`` (None when it can); the error
    trace's message is not repeated here (the failure carries it)."""
    first_error = _first_error(output).get("message")
    suffix = ""
    if command == "spec" and output.spec is None:
        return f"no SPEC message (exit code {exit_code})" + suffix
    if command == "discover" and output.catalog is None:
        return f"no CATALOG message (exit code {exit_code})" + suffix
    if command == "check":
        status = (output.connection_status or {}).get("status")
        if expect == "exception":
            return None if status is None or exit_code != 0 else f"check returned {status}, expected an error"
        wanted = "SUCCEEDED" if expect == "succeed" else "FAILED"
        if status != wanted:
            message = (output.connection_status or {}).get("message") or first_error or ""
            return f"check returned {status}, expected {wanted}" + (f": {message}" if message else "")
    if command == "read" and expect == "error":
        return None  # whatever the connector does with a bad catalog is its recording; the check judges it
    if command == "read" and (exit_code != 0 or first_error):
        return f"read failed (exit code {exit_code})" + suffix
    return None


def describe_failure(
    invocation: str,
    command: str,
    problem: str,
    *,
    exit_code: int | None,
    output: ConnectorOutput | None,
    stderr_tail: list[str],
    scrub: Callable[[str], str],
) -> InvocationFailure:
    """The failure of one invocation, with the connector's own account of it, scrubbed."""
    error = _first_error(output) if output is not None else {}
    # the last frames and the exception line; the caret lines under a frame say nothing here
    stack = [line for line in str(error.get("stack_trace") or "").splitlines() if line.strip(" ^~\t")]
    fatal = [
        str(log.get("message", ""))
        for log in (output.logs if output is not None else [])
        if str(log.get("level", "")).upper() == "FATAL"
    ]
    return InvocationFailure(
        invocation=invocation,
        command=command,
        problem=scrub(problem),
        exit_code=exit_code,
        message=_scrubbed(error.get("message"), scrub),
        internal_message=_scrubbed(error.get("internal_message"), scrub),
        stack_tail=tuple(scrub(line) for line in stack[-STACK_LINES:]),
        fatal_logs=tuple(_first_line(scrub(log)) for log in fatal[-FATAL_LOGS:]),
        stderr_tail=tuple(scrub(line) for line in stderr_tail[-STDERR_LINES:]),
        recorded=exit_code is not None,
    )


def judge(
    invocation: str,
    command: str,
    expect: str,
    *,
    exit_code: int,
    output: ConnectorOutput,
    stderr_tail: list[str],
    scrub: Callable[[str], str],
) -> InvocationFailure | None:
    """The failure of a run that did not go as the checks expect, None for one that did."""
    problem = unexpected_outcome(command, expect, exit_code, output)
    if problem is None:
        return None
    return describe_failure(
        invocation, command, problem, exit_code=exit_code, output=output, stderr_tail=stderr_tail, scrub=scrub
    )


def _first_error(output: ConnectorOutput) -> dict[str, Any]:
    for trace in output.errors:
        error = trace.get("error")
        if isinstance(error, dict):
            return error
    return {}


def _scrubbed(value: Any, scrub: Callable[[str], str]) -> str | None:
    return _first_line(scrub(str(value)), limit=500) if value else None


def _first_line(text: str, limit: int = 300) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= limit else line[: limit - 1] + "…"
