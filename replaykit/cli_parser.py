"""The ``replaykit`` command line: its parser (subcommands, options, did-you-mean for a mistyped command or
option). ``cli`` dispatches on ``args.command``."""

from __future__ import annotations

import argparse
import difflib
import re
from typing import NoReturn

from replaykit import __version__


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


def unknown_options(parser: argparse.ArgumentParser, command: str | None, extras: list[str]) -> NoReturn:
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
        "--jobs",
        "-j",
        type=int,
        metavar="N",
        help="record up to N invocations at once, each as soon as the ones whose outputs it reads are done "
        "(default: [tool.replaykit] jobs, else one per CPU core; 1: one after the other)",
    )
    record.add_argument(
        "--detect-volatile",
        action="store_true",
        help="run the basic read twice live and propose the volatile_record_fields setting; writes nothing",
    )
    _common(record)

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
    return parser
