"""Acceptance checks: CAT's tests re-implemented over replayed connector outputs.

Every check returns :class:`CheckResult` objects (pass / fail / skip / warning, with CAT's message), never
raises an assertion; a suite module exposes ``run(context) -> list[CheckResult]``.

Default mode gives CAT's verdict. A check replaykit runs beyond CAT is marked ``strict_only``: a failure under
``--strict``, a warning otherwise (never a failure).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from replaykit import invocation_ids as ids
from replaykit.acceptance import SUITE_CLASSES, AcceptanceConfig
from replaykit.invocation_ids import InvocationKey, Role
from replaykit.invocations import Invocation
from replaykit.messages import ConnectorOutput
from replaykit.volatile import VolatileRecordFields

if TYPE_CHECKING:
    from replaykit.settings import Settings

PASS, FAIL, SKIP, WARN = "passed", "failed", "skipped", "warning"
STATUSES = (PASS, FAIL, SKIP, WARN)


@dataclass(frozen=True)
class CheckResult:
    suite: str
    test: str  # CAT's test method name, e.g. "test_secret_is_properly_marked"
    status: str
    message: str = ""
    params: str = "inputs0"
    details: tuple[str, ...] = ()
    strict_only: bool = False  # a replaykit check beyond CAT: fails only under --strict

    @property
    def node_id(self) -> str:
        """CAT-like id: ``TestSpec::test_enum_usage[inputs0]``."""
        return f"{SUITE_CLASSES[self.suite]}::{self.test}[{self.params}]"


@dataclass
class CheckContext:
    acceptance: AcceptanceConfig
    invocations: dict[str, Invocation]
    outputs: dict[str, ConnectorOutput]  # replayed outputs by invocation id
    connector_dir: Path
    previous: dict[str, Any] | None = None  # the recording the current one replaced (index "previous")
    strict: bool = False  # full expected-records comparison and legacy cursor comparisons
    volatile_records: VolatileRecordFields = field(default_factory=VolatileRecordFields)  # left out of comparisons
    extra: dict[str, Any] = field(default_factory=dict)
    # files read from a staged copy: a pending update's, a recording's that was not swapped in
    redirects: dict[Path, Path] = field(default_factory=dict)

    @classmethod
    def of_recording(
        cls,
        settings: Settings,
        acceptance: AcceptanceConfig,
        invocations: list[Invocation],
        outputs: dict[str, ConnectorOutput],
        previous: dict[str, Any] | None,
        redirects: dict[Path, Path] | None = None,
    ) -> CheckContext:
        """The context ``record`` and ``replay`` judge a recording in: the settings' strictness and volatile fields."""
        return cls(
            acceptance,
            {i.id: i for i in invocations},
            outputs,
            settings.connector_dir,
            previous=previous,
            strict=settings.strict,
            volatile_records=settings.volatile_record_fields,
            redirects=redirects or {},
        )

    def resolve(self, relative: str) -> Path | None:
        """A file the acceptance config names, read from its staged copy while an update is pending."""
        path = self.acceptance.resolve(relative)
        return self.redirects.get(path, path) if path is not None else None

    def previous_output(self, key: str, invocation: InvocationKey) -> tuple[Any, str]:
        """The previous version's spec or catalog, and where it comes from: the replaced recording when there
        is one, else the current recording (so a code change since recording is compared too)."""
        if self.previous and self.previous.get(key):
            return self.previous[key], f"the previous recording ({self.previous.get('recorded_at')})"
        recorded = self.invocation(invocation)
        return (recorded.outputs.get(key) if recorded else None), "the recording"

    def previous_version_disabled(self, disable_for_version: str | None) -> bool:
        return bool(
            disable_for_version and self.previous and self.previous.get("connector_version") == disable_for_version
        )

    def output(self, key: InvocationKey) -> ConnectorOutput | None:
        """The replayed output of an invocation, None when it was not replayed."""
        return self.outputs.get(key.id)

    def invocation(self, key: InvocationKey) -> Invocation | None:
        """The recorded invocation, None when it was not recorded."""
        return self.invocations.get(key.id)

    def recorded_runs(self, suite: str, i: int, role: Role) -> list[InvocationKey]:
        """The recorded invocations of test ``i`` of a suite in one role (the slices' reads), in id order."""
        keys = [ids.parse(invocation_id) for invocation_id in sorted(self.invocations)]
        return [k for k in keys if k is not None and (k.suite, k.index, k.role) == (suite, i, role)]

    def discovered(self) -> ConnectorOutput | None:
        """The replayed discover the reads' catalogs are built from."""
        return self.output(ids.discovery())


def streams_unknown_to_discover(catalog: dict[str, Any], context: CheckContext) -> list[str]:
    """CAT's ``build_configured_catalog_from_custom_catalog``: a configured stream discover does not return fails."""
    discovered = context.discovered()
    if discovered is None or discovered.catalog is None:
        return []
    names = {s.get("name") for s in discovered.catalog.get("streams") or []}
    return [
        f"The {c['stream']['name']} stream you have set in the configured catalog is not part of the discovered_catalog"
        for c in catalog.get("streams", [])
        if c.get("stream", {}).get("name") not in names
    ]


def with_discovered_streams(catalog: dict[str, Any], context: CheckContext) -> dict[str, Any]:
    """As CAT: the configured streams take their schema from what discover returns now (the replayed
    discover), so a schema change in the connector's code is what the records are checked against."""
    discovered = context.discovered()
    streams = {s.get("name"): s for s in ((discovered.catalog or {}).get("streams") or [])} if discovered else {}
    return {
        "streams": [{**c, "stream": streams.get(c["stream"]["name"], c["stream"])} for c in catalog.get("streams", [])]
    }


def result(suite: str, test: str, failures: list[str], params: str = "inputs0", message: str = "") -> CheckResult:
    """pass when ``failures`` is empty, else fail with CAT's ``message`` and the failures as details."""
    if not failures:
        return CheckResult(suite, test, PASS, params=params)
    return CheckResult(suite, test, FAIL, message or failures[0], params, tuple(failures))


def skipped(suite: str, test: str, reason: str, params: str = "inputs0") -> CheckResult:
    return CheckResult(suite, test, SKIP, reason, params)


def beyond_cat(suite: str, test: str, problems: list[str], params: str, *, strict: bool) -> CheckResult:
    """A strict-only check: passed, or failed under ``--strict`` / a warning by default (CAT would pass)."""
    if not problems:
        return CheckResult(suite, test, PASS, params=params, strict_only=True)
    status = FAIL if strict else WARN
    message = problems[0] if strict else f"{problems[0]} (CAT passes this; fails under --strict)"
    return CheckResult(suite, test, status, message, params, tuple(problems), strict_only=True)


def with_warnings(check: CheckResult, warnings: list[str]) -> CheckResult:
    """A passing check that found something CAT would not fail on: a warning listing it."""
    if check.status != PASS or not warnings:
        return check
    return CheckResult(check.suite, check.test, WARN, warnings[0], check.params, tuple(warnings))


SUITES = ("spec", "connection", "discovery", "basic_read", "full_refresh", "incremental", "connector_attributes")


def run_suites(context: CheckContext, suites: tuple[str, ...] = SUITES) -> list[CheckResult]:
    """The given suites over the replayed outputs, with CAT's skip/fail rules for undeclared suites."""
    from replaykit.checks import attributes, basic_read, connection, discovery, full_refresh, incremental, spec

    modules = {
        "spec": spec,
        "connection": connection,
        "discovery": discovery,
        "basic_read": basic_read,
        "full_refresh": full_refresh,
        "incremental": incremental,
        "connector_attributes": attributes,
    }

    results: list[CheckResult] = []
    for name in suites:
        suite = context.acceptance.suite(name)
        cls = SUITE_CLASSES[name]
        if suite is None:
            # CAT: TestConnectorAttributes is never mandatory (it runs when configured, on certified connectors)
            if context.acceptance.test_strictness_level == "high" and name != "connector_attributes":
                results.append(
                    CheckResult(
                        name,
                        "*",
                        FAIL,
                        f"{cls} failed: it was not configured but must be "
                        "according to the current high test strictness level.",
                    )
                )
            else:
                results.append(skipped(name, "*", f"Skipping {cls}: not found in the config."))
            continue
        if suite.tests is None:
            results.append(skipped(name, "*", f"Skipping {cls}: {suite.bypass_reason}"))
            continue
        results.extend(modules[name].run(context))
        if name == "basic_read":
            results.extend(attributes.file_types_check(context))
    return results
