"""pytest plugin: a connector's acceptance checks as pytest items, run on replay (a thin shell over the core).

    pytest --replaykit path/to/connector        # or `replaykit = true` in the pytest ini options

Each ``acceptance-test-config.yml`` under the given paths is replayed once per pytest process when it is
collected (offline, from its cassettes), and every check becomes an item with CAT's id, e.g.
``acceptance-test-config.yml::TestBasicRead::test_read[inputs0]``; each replayed invocation becomes
``TestReplay::test_invocation[<id>]`` and the snapshots ``TestReplay::test_snapshots``. Skips carry CAT's
reasons. Nothing is shared between processes but the cassettes (read-only unless ``--replaykit-update``,
whose writes are atomic), so ``pytest-xdist`` gives the serial run's results.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from replaykit.acceptance import SUITE_CLASSES
from replaykit.checks import FAIL, SKIP, WARN, CheckResult
from replaykit.errors import ReplaykitError
from replaykit.next_steps import check_hint, invocation_hint
from replaykit.replayer import InvocationReplay, ReplayReport, replay
from replaykit.report import snapshot_lines
from replaykit.settings import Settings, resolve_settings

CONFIG_NAMES = ("acceptance-test-config.yml", "acceptance-test-config.yaml")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("replaykit", "replaykit: acceptance checks on replayed cassettes")
    group.addoption(
        "--replaykit",
        action="store_true",
        default=None,
        help="collect the acceptance checks of connector directories (their acceptance-test-config.yml), run on "
        "replay from the committed cassettes",
    )
    group.addoption(
        "--replaykit-update",
        action="store_true",
        default=False,
        help="accept the replayed outputs: rewrite expected records, state snapshots and the index (offline)",
    )
    group.addoption(
        "--replaykit-strict",
        action="store_true",
        default=None,
        help="strict mode: whole expected records and incremental cursors are compared",
    )
    parser.addini("replaykit", type="bool", default=False, help="collect replaykit acceptance checks (--replaykit)")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "replaykit_check(suite): an acceptance check collected by replaykit, by CAT suite name"
    )


def _enabled(config: pytest.Config) -> bool:
    option = config.getoption("replaykit")
    return bool(option) if option is not None else bool(config.getini("replaykit"))


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if file_path.name in CONFIG_NAMES and _enabled(parent.config):
        collector: pytest.Collector = ReplaykitConfigFile.from_parent(parent, path=file_path)
        return collector
    return None


def connector_settings(connector_dir: Path, rootpath: Path, strict: bool | None) -> Settings:
    """The settings of ``connector_dir``: the root project's ``[tool.replaykit]`` when it points there (as in
    a repository holding one connector elsewhere), else the connector directory's own."""
    overrides = {"strict": strict}
    try:
        root = resolve_settings(rootpath, overrides)
        if root.connector_dir == connector_dir.resolve():
            return root
    except ReplaykitError:
        pass
    return resolve_settings(connector_dir, overrides)


class CheckFailedError(Exception):
    """A failed acceptance check or replay (shown without a traceback)."""


class ReplaykitConfigFile(pytest.File):
    def collect(self) -> Iterator[pytest.Item | pytest.Collector]:
        config = self.config
        settings = connector_settings(self.path.parent, config.rootpath, config.getoption("replaykit_strict"))
        try:
            report = replay(settings, cwd=config.invocation_params.dir, update=config.getoption("replaykit_update"))
        except ReplaykitError as exc:
            raise self.CollectError(f"replaykit could not replay {self.path.parent}: {exc}") from None
        for suite_class in dict.fromkeys(SUITE_CLASSES[c.suite] for c in report.checks):
            checks = [c for c in report.checks if SUITE_CLASSES[c.suite] == suite_class]
            yield SuiteClass.from_parent(self, name=suite_class, checks=checks)
        yield ReplayClass.from_parent(self, name="TestReplay", report=report)


class SuiteClass(pytest.Collector):
    """A CAT test class (``TestBasicRead``) whose items are the replayed checks (not Python functions)."""

    def __init__(self, *args: Any, checks: list[CheckResult], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.checks = checks

    def collect(self) -> list[pytest.Item | pytest.Collector]:
        items: list[pytest.Item | pytest.Collector] = []
        for check in self.checks:
            name = f"{check.test}[{check.params}]"
            item = CheckItem.from_parent(self, name=name, outcome=lambda c=check: _check_outcome(c))
            item.add_marker(pytest.mark.replaykit_check(check.suite))
            items.append(item)
        return items


class ReplayClass(SuiteClass):
    def __init__(self, *args: Any, report: ReplayReport, **kwargs: Any) -> None:
        super().__init__(*args, checks=[], **kwargs)
        self.report = report

    def collect(self) -> list[pytest.Item | pytest.Collector]:
        items: list[pytest.Item | pytest.Collector] = [
            CheckItem.from_parent(
                self,
                name=f"test_invocation[{r.invocation.id}]",
                outcome=lambda r=r: _invocation_outcome(r, self.report),
            )
            for r in self.report.results
        ]
        items.append(CheckItem.from_parent(self, name="test_snapshots", outcome=lambda: _snapshot_outcome(self.report)))
        return items


def _check_outcome(check: CheckResult) -> None:
    if check.status == SKIP:
        raise pytest.skip.Exception(check.message, _use_item_location=True)
    if check.status == FAIL:
        raise CheckFailedError("\n".join([check.message, *check.details[1:], f"Hint: {check_hint(check).text}"]))
    if check.status == WARN:  # CAT passes it: shown in pytest's warnings summary, never a failure
        warnings.warn(CheckWarning(check.message), stacklevel=1)


class CheckWarning(UserWarning):
    """A replaykit finding CAT would not fail on (a strict-only check, in default mode)."""


def _invocation_outcome(outcome: InvocationReplay, report: ReplayReport) -> None:
    if not outcome.passed:
        hint = invocation_hint(outcome, report)
        lines = [*outcome.problems, *outcome.differences, *([f"Hint: {hint.text}"] if hint else [])]
        raise CheckFailedError(
            "\n".join(lines).replace("replay --update`", "replay --update` (pytest: --replaykit-update)")
        )


def _snapshot_outcome(report: ReplayReport) -> None:
    if report.updated or all(c.status in ("unchanged", "unused") for c in report.snapshots):
        return
    lines = list(snapshot_lines(report))
    lines.append("Hint: if the change is intended, run pytest with --replaykit-update (or `replaykit replay --update`)")
    raise CheckFailedError("\n".join(lines))


class CheckItem(pytest.Item):
    def __init__(self, *args: Any, outcome: Callable[[], None], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.outcome = outcome

    def runtest(self) -> None:
        self.outcome()

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, CheckFailedError):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, 0, self.nodeid


@pytest.fixture
def replaykit_replay(request: pytest.FixtureRequest) -> Callable[..., ReplayReport]:
    """Replay a connector directory from a test: ``replaykit_replay(path, strict=False) -> ReplayReport``."""

    def run(connector_dir: Path, *, strict: bool = False) -> ReplayReport:
        settings = connector_settings(Path(connector_dir), request.config.rootpath, strict)
        return replay(settings, cwd=request.config.invocation_params.dir)

    return run
