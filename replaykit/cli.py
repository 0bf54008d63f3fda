"""The ``replaykit`` command: a thin shell over the core, with one error boundary.

Exit codes: 0 ok, 1 checks or replay failed, 2 usage or config error, 3 internal error, 130 interrupted.
"""

from __future__ import annotations

import argparse
import difflib
import os
import re
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn, TextIO

from replaykit import __version__
from replaykit.errors import ReplaykitError

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERNAL, EXIT_INTERRUPTED = 0, 1, 2, 3, 130


class _Parser(argparse.ArgumentParser):
    """argparse with a did-you-mean for a mistyped command."""

    def error(self, message: str) -> NoReturn:
        choice = re.search(r"invalid choice: '([^']*)'", message)
        if choice and self._subparsers is not None:
            names = [n for action in self._subparsers._group_actions for n in getattr(action, "choices", None) or {}]
            close = difflib.get_close_matches(choice.group(1), names, n=1)
            if close:
                message += f"; did you mean '{close[0]}'?"
        super().error(message)


def _unknown_options(parser: argparse.ArgumentParser, command: str | None, extras: list[str]) -> NoReturn:
    """Unknown options: the subcommand's usage (not the top-level one), with the closest option."""
    target = parser
    for action in parser._subparsers._group_actions if parser._subparsers is not None else []:
        choices = getattr(action, "choices", None) or {}
        if command in choices:
            target = choices[command]
    known = [o for action in target._actions for o in action.option_strings]
    notes = []
    for extra in extras:
        close = difflib.get_close_matches(extra.split("=", 1)[0], known, n=1) if extra.startswith("-") else []
        notes.append(f"{extra} (did you mean {close[0]}?)" if close else extra)
    target.error("unrecognized arguments: " + " ".join(notes))


def _common(parser: argparse.ArgumentParser, *, runs_connector: bool = True) -> None:
    parser.add_argument(
        "--connector-dir",
        metavar="DIR",
        help="connector directory (default: [tool.replaykit] connector_dir, else the current one)",
    )
    parser.add_argument(
        "--cassette-dir",
        metavar="DIR",
        help="where cassettes and the invocation index live (default: <connector-dir>/cassettes)",
    )
    if not runs_connector:
        return
    parser.add_argument(
        "--connector-command",
        metavar="CMD",
        help="how to run the connector: a console script, 'python main.py' or 'python -m module' "
        "(default: auto-detected from manifest.yaml, main.py or pyproject.toml)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        dest="timeout_seconds",
        metavar="SECONDS",
        help="time limit of one connector invocation (default 900)",
    )
    parser.add_argument(
        "--runner",
        choices=("fork", "fresh"),
        help="how invocations run: forked from a warm parent that imported the CDK once (fork, the default) "
        "or each in a fresh Python process (fresh)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="replaykit",
        description="Record an Airbyte connector's API traffic once into scrubbed cassettes, then replay its "
        "acceptance checks offline and deterministically.",
    )
    parser.add_argument("--version", action="version", version=f"replaykit {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    record = commands.add_parser(
        "record",
        help="run the acceptance plan against the live API and record scrubbed cassettes",
        description="Run every connector invocation the acceptance checks need (spec, check, discover, reads) "
        "against the live API, record each one's HTTP traffic into a scrubbed cassette, and write "
        "the invocation index and expected records. Every invocation runs, whatever the earlier ones did; "
        "the acceptance checks then run on the new recording. It replaces the previous one only when "
        "every invocation went as the checks expect (or with --accept-failures); a killed or leaking "
        "recording never does.",
    )
    record.add_argument(
        "--config", metavar="PATH", help="the connector config with real credentials (default: secrets/config.json)"
    )
    record.add_argument(
        "--secret",
        action="append",
        dest="secrets",
        metavar="NAME",
        help="a config field whose value is secret (repeatable; added to the detected ones)",
    )
    record.add_argument(
        "--accept-failures",
        action="store_true",
        help="keep the new recording even when invocations did not go as the checks expect, so that replay "
        "gives the same failing verdicts offline (e.g. a connector bug committed with a bypass_reason)",
    )
    record.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="list every acceptance check with its status and reason (default: failures, skip reasons grouped)",
    )
    record.add_argument(
        "--detect-volatile",
        action="store_true",
        help="run the basic read twice live and propose the volatile_record_fields setting; writes nothing",
    )
    _common(record)
    record.set_defaults(handler=_record)

    replay = commands.add_parser(
        "replay",
        help="re-run the recorded invocations offline and compare them with the recording",
        description="Re-run every recorded invocation against its cassette with the network blocked and the "
        "clock frozen at the recorded instant; fail (exit 1) when a request has no recording or "
        "the records or final states differ.",
    )
    replay.add_argument(
        "--only",
        action="append",
        metavar="INVOCATION",
        help="replay only this invocation id (repeat --only for several; ids as `replaykit plan` lists them)",
    )
    replay.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="list every acceptance check with its status and reason (default: failures, skip reasons grouped)",
    )
    replay.add_argument(
        "--update",
        action="store_true",
        help="accept differences the connector's code made: rewrite expected records, state snapshots and the "
        "index from the cassettes (offline), and prune recordings the acceptance config no longer needs",
    )
    replay.add_argument(
        "--jobs",
        "-j",
        type=int,
        metavar="N",
        help="replay up to N invocations at once (default: [tool.replaykit] jobs, else one per CPU core)",
    )
    replay.add_argument("--json", metavar="PATH", dest="json_path", help="write a versioned JSON report to PATH")
    replay.add_argument("--junit-xml", metavar="PATH", dest="junit_path", help="write a JUnit XML report to PATH")
    replay.add_argument(
        "--strict",
        action="store_const",
        const=True,
        default=None,
        help="compare whole expected records (legacy extra_fields / exact_order / extra_records, ignored_fields) "
        "and check incremental cursors against states (default: [tool.replaykit] strict)",
    )
    _common(replay)
    replay.set_defaults(handler=_replay)

    plan = commands.add_parser(
        "plan",
        help="validate acceptance-test-config.yml and list the invocations the checks need, without running any",
        description="Validate acceptance-test-config.yml (exit 2 with the key, its path and the closest valid key "
        "when it is invalid; legacy keys are migrated with a warning), report test_strictness_level: high "
        "violations with CAT's messages (exit 1), and list every connector invocation the acceptance checks "
        "need, with its inputs and whether it is recorded already.",
    )
    plan.add_argument(
        "--write", action="store_true", help="rewrite legacy state files (future_state_path) in the current shape"
    )
    _common(plan, runs_connector=False)
    plan.set_defaults(handler=_plan)

    scan = commands.add_parser(
        "scan",
        help="find secrets in cassettes, expected records and state files (pre-commit hook)",
        description="Scan cassettes, expected records and state files for secrets: values of the local "
        "secrets/*.json in any encoding, detect-secrets' credential formats, credential headers that are not "
        "replaykit placeholders, high-entropy values under credential-like keys, inside decoded binary bodies "
        "too. Exit 1 on findings (file:line: rule), never printing a value.",
    )
    scan.add_argument("files", nargs="*", metavar="FILE", help="files to scan (default: the cassette directory)")
    scan.add_argument(
        "--secrets-dir",
        metavar="DIR",
        default=None,
        help="directory whose secrets/*.json hold the known secrets (default: the current directory and, for each "
        "file, the nearest directory above it holding secrets/, e.g. its connector directory)",
    )
    scan.add_argument(
        "--baseline",
        metavar="PATH",
        default=None,
        help="accepted findings, by fingerprint (default: .replaykit-scan-baseline.json if present)",
    )
    scan.add_argument(
        "--write-baseline", action="store_true", help="accept every current finding: write them to the baseline"
    )
    scan.add_argument("--fix", action="store_true", help="replace every finding by a placeholder, in place, atomically")
    scan.add_argument(
        "--hook",
        action="store_true",
        help="pre-commit mode: of the FILES, scan only those replaykit writes (cassettes wherever they are, index, "
        "states, expected records, leftovers of an interrupted recording)",
    )
    scan.set_defaults(handler=_scan)

    mocks = commands.add_parser(
        "export-mocks",
        help="generate mock-server tests (airbyte_cdk.test.mock_http) from the recorded cassettes",
        description="Write unit_tests/integration/ (config, request and response builders, one test module per "
        "stream) and unit_tests/resource/http/response/ templates from the cassettes and invocation index. "
        "A file you edited is never overwritten: the new version is written beside it as <name>.new.",
    )
    mocks.add_argument("--stream", action="append", dest="streams", metavar="S", help="only this stream (repeatable)")
    mocks.add_argument(
        "--out", metavar="DIR", help="the unit_tests directory to write (default: <connector-dir>/unit_tests)"
    )
    mocks.add_argument("--force", action="store_true", help="replace files you edited too")
    mocks.add_argument(
        "--connector-dir", metavar="DIR", help="connector directory (default: [tool.replaykit] connector_dir, else .)"
    )
    mocks.add_argument(
        "--cassette-dir",
        metavar="DIR",
        help="where cassettes and the invocation index live (default: <connector-dir>/cassettes)",
    )
    mocks.set_defaults(handler=_export_mocks)
    return parser


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


class _Display:
    """Finished invocations as plain lines; on a terminal, also a live rich progress line (the invocation
    running, its requests and records so far) that disappears when the run ends."""

    def __init__(self, out: TextIO, verb: str) -> None:
        self.out = out
        self.verb = verb
        self.progress: Any = None
        self.task: Any = None
        if out.isatty():
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn

            self.progress = Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                console=Console(file=out),
                transient=True,
            )

    def __enter__(self) -> _Display:
        if self.progress is not None:
            self.progress.start()
            self.task = self.progress.add_task(self.verb, total=None)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.progress is not None:
            self.progress.stop()

    def starting(self, invocation_id: str, position: int | None = None, total: int | None = None) -> None:
        if self.progress is not None:
            self.progress.update(self.task, description=f"{self.verb} {invocation_id}", completed=position, total=total)

    def live(self, invocation_id: str, requests: int, records: int) -> None:
        if self.progress is not None:
            self.progress.update(
                self.task, description=f"{self.verb} {invocation_id}: {requests} requests, {records} records"
            )

    def line(self, text: str) -> None:
        if self.progress is not None:
            self.progress.console.print(text, markup=False, highlight=False)
        else:
            print(text, file=self.out, flush=True)


def _record(args: argparse.Namespace, out: TextIO) -> int:
    from replaykit.recorder import record
    from replaykit.report import invocation_line, record_summary
    from replaykit.state_files import state_warnings_for

    settings = _settings(args)
    for warning in state_warnings_for(settings.acceptance_test_config):
        print(f"warning: {warning}", file=out)
    with _Display(out, "recording") as display:

        def progress(planned: Any, run: Any, failure: Any) -> None:
            display.line(invocation_line(planned.id, run, "FAILED" if failure else "rec"))

        if args.detect_volatile:
            from replaykit.volatile_detect import detect_volatile, proposal_lines

            proposal = detect_volatile(settings, progress=progress, live=display.live)
        else:
            result = record(settings, progress=progress, live=display.live, accept_failures=args.accept_failures)
    if args.detect_volatile:
        for line in proposal_lines(proposal):
            print(line, file=out)
        return EXIT_OK
    for line in record_summary(result, verbose=args.verbose):
        print(line, file=out)
    return EXIT_OK if result.passed else EXIT_FAILED


def _replay(args: argparse.Namespace, out: TextIO) -> int:
    from replaykit.replayer import replay
    from replaykit.report import replay_lines, replay_summary
    from replaykit.report_files import write_json_report, write_junit_xml
    from replaykit.state_files import state_warnings_for

    settings = _settings(args)
    for warning in state_warnings_for(settings.acceptance_test_config):
        print(f"warning: {warning}", file=out)
    with _Display(out, "replaying") as display:

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
    for line in replay_summary(report, Path.cwd(), verbose=args.verbose, update=args.update):
        print(line, file=out)
    if args.json_path:
        write_json_report(report, Path(args.json_path))
        print(f"wrote {args.json_path}", file=out)
    if args.junit_path:
        write_junit_xml(report, Path(args.junit_path))
        print(f"wrote {args.junit_path}", file=out)
    return EXIT_OK if report.passed else EXIT_FAILED


def _plan(args: argparse.Namespace, out: TextIO) -> int:
    from replaykit.acceptance import load_acceptance_config, strictness_violations
    from replaykit.config_paths import check_paths
    from replaykit.connector import resolve_connector
    from replaykit.errors import ConnectorNotFoundError
    from replaykit.invocations import INDEX_FILE
    from replaykit.plan import build_plan
    from replaykit.replayer import record_command
    from replaykit.state_files import state_file_report

    settings = _settings(args)
    try:  # as record: a directory without a connector is a usage error, not a "default plan"
        resolve_connector(settings.connector_dir, settings.connector_command)
    except ConnectorNotFoundError as exc:
        raise ConnectorNotFoundError(
            exc.message, hint="Run `replaykit plan` in the connector directory, or pass --connector-dir."
        ) from None
    acceptance = load_acceptance_config(settings.acceptance_test_config)
    if acceptance is None:
        print(f"no {settings.acceptance_test_config.name}: the default plan", file=out)
    else:
        check_paths(acceptance, "plan")
    for warning in acceptance.warnings if acceptance else []:
        print(f"warning: {warning}", file=out)
    for line in state_file_report(acceptance, write=args.write):
        print(line, file=out)
    recorded: set[str] = set()
    index_path = settings.cassette_dir / INDEX_FILE
    if index_path.is_file():
        from replaykit.invocations import load_index

        hint = record_command(settings, Path.cwd())
        recorded = {i.id for i in load_index(settings.cassette_dir, record_hint=hint).invocations}
    plan = build_plan(settings.connector_dir, acceptance, settings.config)
    for planned in plan:
        status = "recorded" if any(planned.covers(r) for r in recorded) else "not recorded"
        print(f"{planned.id:34} {planned.command:8} {status:13} {planned.describe_inputs()}", file=out)
    done = sum(1 for p in plan if any(p.covers(r) for r in recorded))
    print(f"{len(plan)} planned invocation(s), {done} recorded", file=out)
    violations = strictness_violations(acceptance) if acceptance else []
    for violation in violations:
        print(f"strictness: {violation}", file=out)
    return EXIT_FAILED if violations else EXIT_OK


def _scan(args: argparse.Namespace, out: TextIO) -> int:
    from replaykit.errors import UsageError
    from replaykit.scan import (
        BASELINE_FILE,
        default_targets,
        fix_file,
        is_replaykit_file,
        known_secrets,
        load_baseline,
        scan_files,
        write_baseline,
    )
    from replaykit.secret_dirs import secrets_dirs
    from replaykit.secret_sources import CommittedValues

    files = [Path(f) for f in args.files]
    nothing = "no files given"
    if args.hook:
        given = len(files)
        files = [f for f in files if is_replaykit_file(f)]
        nothing = f"none of the {given} staged file(s) is one replaykit writes"
    elif not files:
        from replaykit.plan import expected_records_path, load_acceptance_config

        settings = _settings(args)
        expected = expected_records_path(
            settings.connector_dir, load_acceptance_config(settings.acceptance_test_config)
        )
        files = default_targets(settings.cassette_dir, expected)
        nothing = f"{_display_dir(settings.cassette_dir)} holds no files"
    missing = [str(f) for f in files if not f.is_file()]
    if missing:
        raise UsageError(f"cannot scan {missing[0]}: no such file", hint="Pass existing files to `replaykit scan`.")
    baseline_path = Path(args.baseline or BASELINE_FILE)
    if args.baseline and not baseline_path.is_file() and not args.write_baseline:
        raise UsageError(
            f"scan baseline {baseline_path} does not exist",
            hint="Create it with `replaykit scan --write-baseline FILES...`.",
        )
    directories = [Path(args.secrets_dir)] if args.secrets_dir else secrets_dirs(files, Path.cwd())
    known = known_secrets(directories[0])
    for directory in directories[1:]:
        for secret in known_secrets(directory).secrets:
            known.add(secret)
    where = ", ".join(_display_dir(d) for d in directories if (d / "secrets").is_dir()) or "none found"
    public = CommittedValues.near(files, Path.cwd(), known)  # committed configs' values: recorded as they are
    if args.write_baseline:
        accepted = [f for f in scan_files(files, known) if f.rule != "known-secret" and not public.covers(f)]
        write_baseline(baseline_path, accepted)
        print(f"accepted {len(accepted)} finding(s) in {baseline_path} (known secrets are never accepted)", file=out)
        return EXIT_OK
    baseline = load_baseline(baseline_path)
    findings, ignored = public.split(scan_files(files, known, baseline))
    if args.fix and findings:
        for path in sorted({f.path for f in findings}):
            fixed = fix_file(Path(path), [f for f in findings if f.path == path], known)
            print(f"fixed {path}: {fixed} value(s) replaced by placeholders", file=out)
        findings, ignored = public.split(scan_files(files, known, baseline))
        if findings:
            print(f"--fix could not remove {len(findings)} finding(s): fix them by hand or re-record", file=out)
    for finding in findings:
        print(finding.render(), file=out)
    summary = f"scanned {len(files)} file(s), known secrets from secrets/ of: {where}"
    if ignored:
        summary += f"; {ignored} finding(s) not reported: values of committed configs (public)"
    if findings:
        print(
            f"{len(findings)} finding(s) in {len({f.path for f in findings})} of {len(files)} file(s). Hint: "
            "re-record with `replaykit record`, run `replaykit scan --fix`, "
            "or accept false positives with `replaykit scan --write-baseline`.",
            file=out,
        )
        print(summary, file=out)
        return EXIT_FAILED
    print(f"no secrets found: {summary}" if files else f"nothing to scan: {nothing}", file=out)
    return EXIT_OK


def _export_mocks(args: argparse.Namespace, out: TextIO) -> int:
    from replaykit.mocks import export_mocks

    settings = _settings(args)
    result = export_mocks(
        settings.connector_dir,
        settings.cassette_dir,
        out=Path(args.out).resolve() if args.out else None,
        streams=args.streams,
        force=args.force,
    )
    for outcome in result.files:
        note = f" (you edited it; new version: {outcome.beside})" if outcome.beside else ""
        print(f"{outcome.status:9} {outcome.path}{note}", file=out)
    for skipped in result.skipped:
        print(f"skipped stream {skipped.stream}: {skipped.reason}", file=out)
    for stream, reasons in result.scenarios_skipped.items():
        for reason in reasons:
            print(f"{stream}: no test for {reason}", file=out)
    print(f"exported {len(result.streams)} stream(s) to {result.out}: {', '.join(result.streams)}", file=out)
    return EXIT_OK


def _display_dir(directory: Path) -> str:
    try:
        return str(directory.resolve().relative_to(Path.cwd().resolve())) or "."
    except ValueError:
        return str(directory)


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


def main(argv: Sequence[str] | None = None, *, out: TextIO | None = None, err: TextIO | None = None) -> int:
    _sigterm_as_interrupt()
    out = out or sys.stdout
    err = err or sys.stderr
    parser = build_parser()
    try:
        args, extras = parser.parse_known_args(list(argv) if argv is not None else None)
        if extras:
            _unknown_options(parser, getattr(args, "command", None), extras)
    except SystemExit as exc:  # argparse: --help/--version exit 0, usage errors exit 2
        return int(exc.code or 0) if isinstance(exc.code, int) else EXIT_USAGE
    try:
        return int(args.handler(args, out))
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
