"""The pytest plugin's collectors and items (loaded only when ``--replaykit`` is on; see ``pytest_plugin``).

Items come from the acceptance config, the check registry and the invocation index: collecting replays
nothing. The first item of a connector that runs replays it, once per pytest process (the report is kept in
the session, in ``config.stash``); with ``--replaykit-update`` the accepted update is written once, at the end
of the session, and only when that connector's ``TestReplay::test_snapshots`` was selected and ran.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from replaykit.acceptance import SUITE_CLASSES
from replaykit.checks import SKIP, CheckResult
from replaykit.checks.registry import PlannedCheck, outcomes
from replaykit.errors import ReplaykitError
from replaykit.replay_outline import replay_outline
from replaykit.replayer import InvocationReplay, ReplayReport, record_command, replay
from replaykit.settings import Settings, connector_settings

CONFIG_NAMES = ("acceptance-test-config.yml", "acceptance-test-config.yaml")
UPDATE_HINT = "(pytest: --replaykit-update, with TestReplay::test_snapshots selected)"


class CheckFailedError(Exception):
    """A failed acceptance check or replay (shown without a traceback)."""


class CheckWarning(UserWarning):
    """A replaykit finding CAT would not fail on (a strict-only check, in default mode)."""


@dataclass
class ConnectorReplay:
    """One connector's replay in this session: its report (or why it could not run) and each check's results."""

    report: ReplayReport | None = None
    error: str | None = None
    shown: dict[str, list[CheckResult]] = field(default_factory=dict)

    def checked(self) -> ReplayReport:
        if self.report is None:
            raise CheckFailedError(self.error or "replaykit could not replay")
        return self.report


class ReplaykitSession:
    """A plugin registered for the session when replaykit is on: collects the yaml files, replays each
    connector once when its first item runs, writes accepted updates at the end."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.replays: dict[Path, ConnectorReplay] = {}
        self.snapshots_selected: set[Path] = set()
        self.snapshots_ran: set[Path] = set()
        self.written: list[str] = []

    def pytest_collect_file(self, file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
        if file_path.name in CONFIG_NAMES:
            collector: pytest.Collector = ReplaykitConfigFile.from_parent(parent, path=file_path)
            return collector
        return None

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.snapshots_selected = {i.connector_file.path for i in session.items if isinstance(i, SnapshotItem)}

    def replay_of(self, file: ReplaykitConfigFile) -> ConnectorReplay:
        if file.path not in self.replays:
            self.replays[file.path] = self._replay(file)
        return self.replays[file.path]

    def _replay(self, file: ReplaykitConfigFile) -> ConnectorReplay:
        update = bool(self.config.getoption("replaykit_update")) and file.path in self.snapshots_selected
        try:
            report = replay(file.settings, cwd=self.config.invocation_params.dir, update=update, write_update=False)
        except ReplaykitError as exc:
            return ConnectorReplay(error=f"replaykit could not replay {file.settings.connector_dir}: {exc}")
        return ConnectorReplay(report, shown=outcomes(file.planned, report.checks))

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        for path in sorted(self.snapshots_ran):
            replayed = self.replays.get(path)
            pending = replayed.report.pending_update if replayed and replayed.report else None
            if pending is None:
                continue
            try:
                written = pending.write()
            except (ReplaykitError, OSError) as exc:
                self.written.append(f"replaykit could not write the update of {path.parent}: {exc}")
                session.exitstatus = pytest.ExitCode.TESTS_FAILED
                continue
            self.written.extend(f"replaykit --replaykit-update: wrote {p}" for p in written)

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        for line in self.written:
            terminalreporter.write_line(line)


class ReplaykitConfigFile(pytest.File):
    """An ``acceptance-test-config.yml``: a class per CAT suite with the planned checks, and ``TestReplay``."""

    settings: Settings
    planned: list[PlannedCheck]

    def collect(self) -> Iterator[pytest.Item | pytest.Collector]:
        config = self.config
        try:
            overrides = {"strict": config.getoption("replaykit_strict")}
            self.settings = connector_settings(self.path.parent, config.rootpath, overrides)
            hint = record_command(self.settings, config.invocation_params.dir)
            outline = replay_outline(self.settings, record_hint=hint)
        except ReplaykitError as exc:
            raise self.CollectError(f"replaykit cannot collect {self.path.parent}: {exc}") from None
        self.planned = outline.checks
        for suite_class in dict.fromkeys(SUITE_CLASSES[c.suite] for c in outline.checks):
            planned = [c for c in outline.checks if SUITE_CLASSES[c.suite] == suite_class]
            yield SuiteClass.from_parent(self, name=suite_class, planned=planned)
        yield ReplayClass.from_parent(self, name="TestReplay", invocations=outline.invocations)


class SuiteClass(pytest.Collector):
    """A CAT test class (``TestBasicRead``) whose items are the replayed checks (not Python functions)."""

    def __init__(self, *args: Any, planned: list[PlannedCheck], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.planned = planned

    def collect(self) -> list[pytest.Item | pytest.Collector]:
        items: list[pytest.Item | pytest.Collector] = []
        for check in self.planned:
            item = CheckItem.from_parent(self, name=f"{check.test}[{check.params}]", node_id=check.node_id)
            item.add_marker(pytest.mark.replaykit_check(check.suite))
            items.append(item)
        return items


class ReplayClass(pytest.Collector):
    def __init__(self, *args: Any, invocations: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.invocations = invocations

    def collect(self) -> list[pytest.Item | pytest.Collector]:
        items: list[pytest.Item | pytest.Collector] = [
            InvocationItem.from_parent(self, name=f"test_invocation[{i}]", invocation_id=i) for i in self.invocations
        ]
        items.append(SnapshotItem.from_parent(self, name="test_snapshots"))
        return items


class ReplaykitItem(pytest.Item):
    """An item judged on its connector's replay (run when the first item needs it)."""

    @property
    def connector_file(self) -> ReplaykitConfigFile:
        node = self.getparent(ReplaykitConfigFile)
        assert node is not None
        return node

    def replayed(self) -> ConnectorReplay:
        session: ReplaykitSession = self.config.stash[SESSION]
        return session.replay_of(self.connector_file)

    def outcome(self) -> None:
        raise NotImplementedError

    def runtest(self) -> None:
        self.outcome()

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, CheckFailedError):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, 0, self.nodeid


class CheckItem(ReplaykitItem):
    def __init__(self, *args: Any, node_id: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.check_id = node_id

    def outcome(self) -> None:
        replayed = self.replayed()
        replayed.checked()
        check_outcome(replayed.shown.get(self.check_id, []))


class InvocationItem(ReplaykitItem):
    def __init__(self, *args: Any, invocation_id: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.invocation_id = invocation_id

    def outcome(self) -> None:
        report = self.replayed().checked()
        found = next((r for r in report.results if r.invocation.id == self.invocation_id), None)
        if found is None:
            raise CheckFailedError(f"{self.invocation_id} was not replayed (the recording changed since collection)")
        invocation_outcome(found, report)


class SnapshotItem(ReplaykitItem):
    def outcome(self) -> None:
        session: ReplaykitSession = self.config.stash[SESSION]
        report = self.replayed().checked()
        session.snapshots_ran.add(self.connector_file.path)
        snapshot_outcome(report)


def check_outcome(checks: list[CheckResult]) -> None:
    """The item of a planned check: its result, then those shown with it (named), failing if any failed."""
    if not checks:
        return
    from replaykit.report_model import checks_summary

    summary = checks_summary(checks)
    for check in summary.warnings:  # CAT passes them: shown in pytest's warnings summary, never a failure
        named = check.message if check is checks[0] else f"{check.node_id}: {check.message}"
        warnings.warn(CheckWarning(named), stacklevel=1)
    if summary.failed:
        from replaykit.next_steps import check_hint

        lines: list[str] = []
        for check in summary.failed:
            lines.append(check.message if check is checks[0] else f"{check.node_id}: {check.message}")
            lines.extend([*check.details[1:], f"Hint: {check_hint(check).text}"])
        raise CheckFailedError("\n".join(lines))
    if checks[0].status == SKIP:
        raise pytest.skip.Exception(checks[0].message, _use_item_location=True)


def invocation_outcome(outcome: InvocationReplay, report: ReplayReport) -> None:
    from replaykit.report_model import invocation_outcome as modelled

    found = modelled(outcome, report)
    if not found.passed:
        hint = found.hint
        lines = [*found.problems, *found.differences, *([f"Hint: {hint.text}"] if hint else [])]
        raise CheckFailedError("\n".join(lines).replace("replay --update`", f"replay --update` {UPDATE_HINT}"))


def snapshot_outcome(report: ReplayReport) -> None:
    from replaykit.report_model import report_model

    if report_model(report).snapshots_pass:
        return
    from replaykit.report import snapshot_lines

    lines = list(snapshot_lines(report))
    lines.append("Hint: if the change is intended, run pytest with --replaykit-update (or `replaykit replay --update`)")
    raise CheckFailedError("\n".join(lines))


SESSION = pytest.StashKey[ReplaykitSession]()


def run_replay(config: pytest.Config) -> Callable[..., ReplayReport]:
    """The ``replaykit_replay`` fixture's function: replay a connector directory, nothing written."""

    def run(connector_dir: Path, *, strict: bool = False) -> ReplayReport:
        settings = connector_settings(Path(connector_dir), config.rootpath, {"strict": strict})
        return replay(settings, cwd=config.invocation_params.dir)

    return run
