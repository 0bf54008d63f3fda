"""The ``replaykit`` command: a thin shell over the core, with one error boundary.

Exit codes: 0 ok, 1 checks or replay failed, 2 usage or config error, 3 internal error, 130 interrupted.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, TextIO

from replaykit.cli_parser import build_parser, unknown_options
from replaykit.errors import ReplaykitError

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERNAL, EXIT_INTERRUPTED = 0, 1, 2, 3, 130


def _settings(args: argparse.Namespace) -> Any:
    from replaykit.settings import resolve_settings

    overrides = {
        "connector_dir": getattr(args, "connector_dir", None),
        "cassette_dir": getattr(args, "cassette_dir", None),
        "connector_command": getattr(args, "connector_command", None),
        "timeout_seconds": getattr(args, "timeout_seconds", None),
        "config": getattr(args, "config", None),
        "secrets": getattr(args, "secrets", None),
        "strict": getattr(args, "strict", None),
        "runner": getattr(args, "runner", None),
        "jobs": getattr(args, "jobs", None),
    }
    settings = resolve_settings(Path.cwd(), overrides)
    from replaykit.commit import recover

    for note in recover(settings.cassette_dir):  # an interrupted recording is completed or undone first
        sys.stderr.write(f"note: {note}\n")
    return settings


def _record(args: argparse.Namespace, out: TextIO) -> int:
    from replaykit.cli_render import Display
    from replaykit.recorder import record
    from replaykit.report import invocation_line, record_summary
    from replaykit.state_files import input_warnings_for

    settings = _settings(args)
    for warning in input_warnings_for(settings.acceptance_test_config):
        print(f"warning: {warning}", file=out)
    with Display(out, "recording") as display:

        def progress(planned: Any, run: Any, failure: Any) -> None:
            display.line(invocation_line(planned.id, run, "FAILED" if failure else "rec"))

        if args.detect_volatile:
            from replaykit.volatile_detect import detect_volatile, proposal_lines

            proposal = detect_volatile(settings, progress=progress, live=display.live)
        else:
            result = record(settings, progress=progress, live=display.live, accept_failures=args.accept_failures)
    if args.detect_volatile:
        _print(proposal_lines(proposal), out)
        return EXIT_OK
    _print(record_summary(result, verbose=args.verbose), out)
    return EXIT_OK if result.passed else EXIT_FAILED


def _replay(args: argparse.Namespace, out: TextIO) -> int:
    from replaykit.cli_render import Display
    from replaykit.replayer import replay
    from replaykit.report import replay_lines, replay_summary
    from replaykit.report_files import write_json_report, write_junit_xml
    from replaykit.state_files import input_warnings_for

    settings = _settings(args)
    for warning in input_warnings_for(settings.acceptance_test_config):
        print(f"warning: {warning}", file=out)
    with Display(out, "replaying") as display:

        def progress(outcome: Any) -> None:
            for line in replay_lines(outcome):
                display.line(line)

        report = replay(
            settings,
            cwd=Path.cwd(),
            progress=progress,
            only=set(args.only) if args.only else None,
            update=args.update,
            live=display.live,
            starting=lambda invocation, position, total: display.starting(invocation.id, position, total),
        )
    _print(replay_summary(report, Path.cwd(), verbose=args.verbose, update=args.update), out)
    if args.json_path:
        write_json_report(report, Path(args.json_path))
        print(f"wrote {args.json_path}", file=out)
    if args.junit_path:
        write_junit_xml(report, Path(args.junit_path))
        print(f"wrote {args.junit_path}", file=out)
    return EXIT_OK if report.passed else EXIT_FAILED


def _plan(args: argparse.Namespace, out: TextIO) -> int:
    from replaykit.cli_render import plan_lines
    from replaykit.plan_status import plan_status

    status = plan_status(_settings(args), Path.cwd(), write=args.write)
    _print(plan_lines(status), out)
    return EXIT_OK if status.passed else EXIT_FAILED


def _scan(args: argparse.Namespace, out: TextIO) -> int:
    from replaykit.cli_render import scan_lines
    from replaykit.scan_policy import ScanRequest, scan

    request = ScanRequest(
        files=[Path(f) for f in args.files],
        hook=args.hook,
        secrets_dir=Path(args.secrets_dir) if args.secrets_dir else None,
        baseline=Path(args.baseline) if args.baseline else None,
        write_baseline=args.write_baseline,
        fix=args.fix,
    )
    settings = None if args.hook or request.files else _settings(args)  # no file named: the connector's
    outcome = scan(request, Path.cwd(), settings)
    _print(scan_lines(outcome), out)
    return EXIT_OK if outcome.passed else EXIT_FAILED


def _export_mocks(args: argparse.Namespace, out: TextIO) -> int:
    from replaykit.cli_render import export_lines
    from replaykit.mocks import export_mocks

    settings = _settings(args)
    result = export_mocks(
        settings.connector_dir,
        settings.cassette_dir,
        out=Path(args.out).resolve() if args.out else None,
        streams=args.streams,
        force=args.force,
    )
    _print(export_lines(result), out)
    return EXIT_OK


def _print(lines: Iterable[str], out: TextIO) -> None:
    for line in lines:
        print(line, file=out)


def _scrub_for_display(text: str, config: str | None) -> str:
    """Even a traceback must not show a secret: scrub the values of the local config files from it."""
    import json

    from replaykit.scan import known_secrets
    from replaykit.secret_discovery import discover_secrets

    try:
        scrubber = known_secrets(Path.cwd())
        if config and Path(config).is_file():
            for secret in discover_secrets(json.loads(Path(config).read_text(encoding="utf-8"))):
                scrubber.add(secret)
    except (OSError, ValueError, AttributeError):
        return "(the traceback is withheld: the config could not be read to scrub it)"
    return scrubber.scrub_text(text)


def _sigterm_as_interrupt() -> None:
    """SIGTERM (CI cancelling a job, ``kill``) ends a command as Ctrl-C does: cleaned up, exit 130."""
    import signal
    import threading

    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, interrupt)


HANDLERS = {"record": _record, "replay": _replay, "plan": _plan, "scan": _scan, "export-mocks": _export_mocks}


def main(argv: Sequence[str] | None = None, *, out: TextIO | None = None, err: TextIO | None = None) -> int:
    _sigterm_as_interrupt()
    out = out or sys.stdout
    err = err or sys.stderr
    parser = build_parser()
    try:
        args, extras = parser.parse_known_args(list(argv) if argv is not None else None)
        if extras:
            unknown_options(parser, getattr(args, "command", None), extras)
    except SystemExit as exc:  # argparse: --help/--version exit 0, usage errors exit 2
        return int(exc.code or 0) if isinstance(exc.code, int) else EXIT_USAGE
    try:
        return int(HANDLERS[args.command](args, out))
    except BrokenPipeError:  # `replaykit plan | head -2`: the reader has all it wants
        _quiet_stdout(out)
        return EXIT_OK
    except ReplaykitError as exc:
        print(f"error: {exc}", file=err)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted; nothing was replaced", file=err)
        return EXIT_INTERRUPTED
    except Exception:  # noqa: BLE001 - the one boundary for bugs
        text = _scrub_for_display(traceback.format_exc(limit=6), getattr(args, "config", None))
        print("internal error in replaykit (a bug):\n" + text, file=err)
        print("Hint: please report it with the lines above.", file=err)
        return EXIT_INTERNAL


def _quiet_stdout(out: TextIO) -> None:
    """After a broken pipe, point stdout at /dev/null so the interpreter's final flush cannot fail again."""
    if out is sys.stdout:
        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (OSError, ValueError):
            pass


def run() -> None:
    code = main()
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        _quiet_stdout(sys.stdout)
    sys.exit(code)
