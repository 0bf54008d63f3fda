"""The ``acceptance-test-config.yml`` model: typed, strict, with CAT's defaults, validators and messages.

Current CAT (2.x-3.9.x) keys are the model; legacy keys (root ``tests:`` layout, ``cursor_paths``,
``threshold_days``, ``extra_fields`` / ``extra_records``, ``cache_discovered_catalog``,
``basic_read.ignored_fields``, ``future_state_path``, list-form ``empty_streams``) are accepted, migrated and
reported as warnings.  An unknown key is an error naming the key, its path and the closest valid key.
"""

from __future__ import annotations

import dataclasses
import difflib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from replaykit.errors import ConfigError, UnknownConfigKeyError

CONFIG_FILE = "acceptance-test-config.yml"
SUITES = (
    "spec",
    "connection",
    "discovery",
    "basic_read",
    "full_refresh",
    "incremental",
    "connector_attributes",
    "connector_documentation",
)
MANDATORY_FOR_HIGH = ("spec", "connection", "discovery", "basic_read", "full_refresh", "incremental")
SUITE_CLASSES = {
    "spec": "TestSpec",
    "connection": "TestConnection",
    "discovery": "TestDiscovery",
    "basic_read": "TestBasicRead",
    "full_refresh": "TestFullRefresh",
    "incremental": "TestIncremental",
    "connector_attributes": "TestConnectorAttributes",
    "connector_documentation": "TestConnectorDocumentation",
}


# --------------------------------------------------------------------------- models


@dataclass
class BypassableName:
    name: str
    bypass_reason: str | None = None


@dataclass
class BackwardCompatibilityTestsConfig:
    previous_connector_version: str = "latest"
    disable_for_version: str | None = None


@dataclass
class AuthDefaultMethodTests:
    oauth: bool = True
    bypass_reason: str | None = None

    def validate(self) -> None:
        if not self.oauth and not self.bypass_reason:
            raise ValueError("Please provide a bypass reason for Auth default method")


@dataclass
class ClientContainerConfig:
    secrets_path: str
    client_container_dockerfile_path: str
    setup_command: list[str] | None = None
    teardown_command: list[str] | None = None
    between_syncs_command: list[str] | None = None
    final_teardown_command: list[str] | None = None


@dataclass
class SpecTestConfig:
    spec_path: str = "secrets/spec.json"
    config_path: str = "secrets/config.json"
    timeout_seconds: int | None = None
    deployment_mode: Literal["cloud", "oss"] | None = None
    backward_compatibility_tests_config: BackwardCompatibilityTestsConfig = field(
        default_factory=BackwardCompatibilityTestsConfig
    )
    auth_default_method: AuthDefaultMethodTests | None = None


@dataclass
class ConnectionTestConfig:
    config_path: str = "secrets/config.json"
    status: Literal["succeed", "failed", "exception"] = "succeed"
    timeout_seconds: int | None = None
    deployment_mode: Literal["cloud", "oss"] | None = None


@dataclass
class DiscoveryTestConfig:
    config_path: str = "secrets/config.json"
    timeout_seconds: int | None = None
    deployment_mode: Literal["cloud", "oss"] | None = None
    backward_compatibility_tests_config: BackwardCompatibilityTestsConfig = field(
        default_factory=BackwardCompatibilityTestsConfig
    )
    validate_primary_keys_data_type: bool = True


@dataclass
class ExpectedRecordsConfig:
    path: str | None = None
    bypass_reason: str | None = None
    exact_order: bool = False
    extra_fields: bool = False  # legacy
    extra_records: bool = True  # legacy

    def validate(self) -> None:
        if self.path and self.bypass_reason:
            raise ValueError("You can't set a bypass_reason if a path is set")
        if not self.path and not self.bypass_reason:
            raise ValueError("A path or a bypass_reason must be set")
        if self.extra_fields and not self.exact_order:
            raise ValueError("extra_fields is only possible with exact_order: true")
        if self.extra_fields and self.extra_records:
            raise ValueError("extra_fields requires extra_records: false")


@dataclass
class UnsupportedFileType:
    extension: str
    bypass_reason: str | None = None

    def validate(self) -> None:
        if not self.extension.startswith(".") or len(self.extension) < 2:
            raise ValueError(f"extension {self.extension!r} must start with '.' and be at least 2 characters")


@dataclass
class FileTypesConfig:
    bypass_reason: str | None = None
    unsupported_types: list[UnsupportedFileType] | None = None
    skip_test: bool = False

    def validate(self) -> None:
        if self.bypass_reason is not None and not self.skip_test:  # CAT: `is not None` (an empty reason too)
            raise ValueError("You can set a bypass_reason only if skip_test is true")
        if self.unsupported_types and self.skip_test:
            raise ValueError("You can't set unsupported_types if skip_test is true")


@dataclass
class BasicReadTestConfig:
    config_path: str = "secrets/config.json"
    configured_catalog_path: str | None = None
    timeout_seconds: int | None = None
    deployment_mode: Literal["cloud", "oss"] | None = None
    empty_streams: list[BypassableName] = field(default_factory=list)
    expect_records: ExpectedRecordsConfig | None = None
    validate_schema: bool = True
    validate_stream_statuses: bool | None = None
    validate_state_messages: bool = True
    validate_primary_keys_data_type: bool = True
    fail_on_extra_columns: bool = True
    validate_data_points: bool = False
    expect_trace_message_on_failure: bool = True
    file_types: FileTypesConfig = field(default_factory=FileTypesConfig)
    client_container_config: ClientContainerConfig | None = None
    ignored_fields: dict[str, list[BypassableName]] | None = None  # legacy


@dataclass
class FullRefreshConfig:
    config_path: str = "secrets/config.json"
    configured_catalog_path: str | None = None
    timeout_seconds: int | None = None
    deployment_mode: Literal["cloud", "oss"] | None = None
    ignored_fields: dict[str, list[BypassableName]] | None = None
    client_container_config: ClientContainerConfig | None = None


@dataclass
class CursorFormatStream:
    name: str
    format: str | None = None


@dataclass
class FutureStateCursorFormat:
    format: str | None = None
    streams: list[CursorFormatStream] = field(default_factory=list)


@dataclass
class FutureStateConfig:
    future_state_path: str | None = None
    missing_streams: list[BypassableName] = field(default_factory=list)
    bypass_reason: str | None = None
    cursor_format: FutureStateCursorFormat = field(default_factory=FutureStateCursorFormat)


@dataclass
class IncrementalConfig:
    config_path: str = "secrets/config.json"
    configured_catalog_path: str | None = None
    timeout_seconds: int | None = None
    deployment_mode: Literal["cloud", "oss"] | None = None
    future_state: FutureStateConfig | None = None
    skip_comprehensive_incremental_tests: bool = False
    client_container_config: ClientContainerConfig | None = None
    cursor_paths: dict[str, list[str | int]] | None = None  # legacy
    threshold_days: int = 0  # legacy

    def validate(self) -> None:
        if self.threshold_days < 0:
            raise ValueError("threshold_days must be >= 0")


@dataclass
class BypassOnly:
    bypass_reason: str | None = None


@dataclass
class ConnectorAttributesConfig:
    config_path: str = "secrets/config.json"
    timeout_seconds: int | None = None
    streams_without_primary_key: list[BypassableName] | None = None
    allowed_hosts: BypassOnly | None = None
    suggested_streams: BypassOnly | None = None


@dataclass
class ConnectorDocumentationConfig:
    config_path: str = "secrets/config.json"
    timeout_seconds: int | None = None


@dataclass
class Suite:
    """A suite's ``tests`` (parametrization) or its ``bypass_reason``."""

    tests: list[Any] | None = None
    bypass_reason: str | None = None

    def validate(self) -> None:
        if self.tests and self.bypass_reason:
            raise ValueError("You can't set a bypass_reason if tests are set.")


@dataclass
class AcceptanceTests:
    spec: Suite | None = None
    connection: Suite | None = None
    discovery: Suite | None = None
    basic_read: Suite | None = None
    full_refresh: Suite | None = None
    incremental: Suite | None = None
    connector_attributes: Suite | None = None
    connector_documentation: Suite | None = None
    client_container_config: ClientContainerConfig | None = None


SUITE_TEST_MODELS: dict[str, type] = {
    "spec": SpecTestConfig,
    "connection": ConnectionTestConfig,
    "discovery": DiscoveryTestConfig,
    "basic_read": BasicReadTestConfig,
    "full_refresh": FullRefreshConfig,
    "incremental": IncrementalConfig,
    "connector_attributes": ConnectorAttributesConfig,
    "connector_documentation": ConnectorDocumentationConfig,
}


@dataclass
class AcceptanceConfig:
    acceptance_tests: AcceptanceTests
    connector_image: str | None = None  # replaykit runs Python connectors, not images
    base_path: str | None = None
    test_strictness_level: Literal["high", "low"] = "low"
    custom_environment_variables: dict[str, Any] = field(default_factory=dict)
    cache_discovered_catalog: bool = True  # legacy, no-op
    # set by load_acceptance_config, not by the file:
    path: Path | None = field(default=None, metadata={"internal": True})
    warnings: list[str] = field(default_factory=list, metadata={"internal": True})

    def suite(self, name: str) -> Suite | None:
        return typing.cast(Suite | None, getattr(self.acceptance_tests, name))

    def tests(self, name: str) -> list[Any]:
        suite = self.suite(name)
        return list(suite.tests or []) if suite is not None else []

    def resolve(self, relative: str | None) -> Path | None:
        """A path of the config, relative to ``base_path`` (itself relative to the config's directory)."""
        if relative is None:
            return None
        root = self.path.parent if self.path is not None else Path.cwd()
        return (root / (self.base_path or ".") / relative).resolve()


# --------------------------------------------------------------------------- generic strict parsing


class _InvalidError(Exception):
    def __init__(self, where: str, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.where, self.message, self.hint = where, message, hint


def _type_name(tp: Any) -> str:
    origin = typing.get_origin(tp)
    if origin is Literal:
        return " | ".join(repr(a) for a in typing.get_args(tp))
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_type_name(a) for a in typing.get_args(tp) if a is not type(None))
    if origin is list:
        return "a list"
    if origin is dict:
        return "a mapping"
    return getattr(tp, "__name__", str(tp))


def _parse(tp: Any, value: Any, where: str) -> Any:
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        options = typing.get_args(tp)
        if value is None and type(None) in options:
            return None
        errors = []
        for option in (o for o in options if o is not type(None)):
            try:
                return _parse(option, value, where)
            except _InvalidError as exc:
                errors.append(exc)
        if len(errors) == 1:
            raise errors[0]
        raise _InvalidError(where, f"must be {_type_name(tp)}, got {type(value).__name__}")
    if origin is Literal:
        if value not in typing.get_args(tp):
            raise _InvalidError(where, f"must be one of {_type_name(tp)}, got {value!r}")
        return value
    if origin is list:
        if not isinstance(value, list):
            raise _InvalidError(where, f"must be a list, got {type(value).__name__}")
        (item,) = typing.get_args(tp)
        return [_parse(item, v, f"{where}[{i}]") for i, v in enumerate(value)]
    if origin is dict:
        if not isinstance(value, dict):
            raise _InvalidError(where, f"must be a mapping, got {type(value).__name__}")
        _key_type, item = typing.get_args(tp)
        return {str(k): _parse(item, v, f"{where}.{k}") for k, v in value.items()}
    if dataclasses.is_dataclass(tp):
        return _parse_model(typing.cast(type, tp), value, where)
    if tp is Any:
        return value
    if tp is bool:
        if not isinstance(value, bool):
            raise _InvalidError(where, f"must be true or false, got {value!r}")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise _InvalidError(where, f"must be an integer, got {value!r}")
        if value < 0:
            raise _InvalidError(where, f"must be >= 0, got {value}")
        return value
    if tp is str:
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise _InvalidError(where, f"must be a string, got {type(value).__name__}")
        return str(value)
    raise _InvalidError(where, f"unsupported type {tp!r}")


def _parse_model(model: type, value: Any, where: str) -> Any:
    if not isinstance(value, dict):
        raise _InvalidError(where, f"must be a mapping, got {type(value).__name__}")
    hints = typing.get_type_hints(model)
    fields = {f.name: f for f in dataclasses.fields(model) if not f.metadata.get("internal")}
    kwargs: dict[str, Any] = {}
    for key, item in value.items():
        path = f"{where}.{key}" if where else str(key)
        if key not in fields:
            close = difflib.get_close_matches(str(key), list(fields), n=1, cutoff=0.6)
            raise _InvalidError(
                path,
                f"unknown key {key!r}",
                f"Did you mean {close[0]!r}?" if close else f"Valid keys here: {', '.join(fields)}.",
            )
        kwargs[str(key)] = _parse(hints[str(key)], item, path)
    missing = [
        name
        for name, f in fields.items()
        if name not in kwargs and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    ]
    if missing:
        raise _InvalidError(where or "the top level", f"missing required key {missing[0]!r}")
    instance = model(**kwargs)
    validate = getattr(instance, "validate", None)
    if validate is not None:
        try:
            validate()
        except ValueError as exc:
            raise _InvalidError(where or "the top level", str(exc)) from exc
    return instance


# --------------------------------------------------------------------------- legacy migration


def _migrate(raw: dict[str, Any], warnings: list[str]) -> dict[str, Any]:
    """CAT's legacy layout and keys, rewritten to the current model (each with a warning)."""
    data = dict(raw)
    if "tests" in data and "acceptance_tests" not in data:
        warnings.append("legacy layout: root 'tests:' migrated to 'acceptance_tests:' (each suite as {tests: [...]})")
        data["acceptance_tests"] = {suite: {"tests": tests} for suite, tests in (data.pop("tests") or {}).items()}
    if "cache_discovered_catalog" in data:
        warnings.append("legacy key 'cache_discovered_catalog' is ignored: replay always uses the recorded catalog")
    suites = data.get("acceptance_tests")
    if not isinstance(suites, dict):
        return data
    for suite_name, suite in suites.items():
        if not isinstance(suite, dict) or not isinstance(suite.get("tests"), list):
            continue
        for i, test in enumerate(suite["tests"]):
            if not isinstance(test, dict):
                continue
            where = f"acceptance_tests.{suite_name}.tests[{i}]"
            streams = test.get("empty_streams")
            if isinstance(streams, list) and any(isinstance(s, str) for s in streams):
                warnings.append(f"{where}.empty_streams: legacy list of names migrated to [{{name: ...}}]")
                test["empty_streams"] = [{"name": s} if isinstance(s, str) else s for s in streams]
            ignored = test.get("ignored_fields")
            if isinstance(ignored, dict):
                for stream, names in ignored.items():
                    if isinstance(names, list) and any(isinstance(n, str) for n in names):
                        warnings.append(f"{where}.ignored_fields.{stream}: legacy list of names migrated")
                        ignored[stream] = [{"name": n} if isinstance(n, str) else n for n in names]
                if suite_name == "basic_read":
                    warnings.append(f"{where}.ignored_fields: legacy key, used only by --strict comparisons")
            if suite_name == "incremental" and "future_state_path" in test:
                warnings.append(f"{where}.future_state_path: legacy key migrated to future_state.future_state_path")
                test.setdefault("future_state", {})["future_state_path"] = test.pop("future_state_path")
            for legacy in ("cursor_paths", "threshold_days"):
                if suite_name == "incremental" and legacy in test:
                    warnings.append(f"{where}.{legacy}: legacy key, used only by --strict cursor comparisons")
            expect = test.get("expect_records")
            if isinstance(expect, dict) and ("extra_fields" in expect or "extra_records" in expect):
                warnings.append(f"{where}.expect_records: legacy extra_fields/extra_records, used by --strict")
    return data


# --------------------------------------------------------------------------- loading


def parse_acceptance_config(raw: Any, path: Path | None = None) -> AcceptanceConfig:
    where_file = str(path) if path else "acceptance-test-config.yml"
    if not isinstance(raw, dict):
        raise ConfigError(
            f"{where_file}: the top level must be a mapping", hint="See CAT's acceptance-test-config.yml reference."
        )
    warnings: list[str] = []
    data = _migrate(raw, warnings)
    try:
        config = typing.cast(AcceptanceConfig, _parse_model(AcceptanceConfig, data, ""))
        for name in SUITES:
            suite = config.suite(name)
            if suite is not None and suite.tests is not None:
                model = SUITE_TEST_MODELS[name]
                suite.tests = [
                    _parse_model(model, t, f"acceptance_tests.{name}.tests[{i}]") for i, t in enumerate(suite.tests)
                ]
    except _InvalidError as exc:
        error = UnknownConfigKeyError if exc.message.startswith("unknown key") else ConfigError
        raise error(
            f"{where_file}: {exc.where}: {exc.message}",
            hint=(exc.hint + " " if exc.hint else "") + "Fix acceptance-test-config.yml.",
        ) from exc
    config.path = path
    config.warnings = warnings
    return config


def load_acceptance_config(path: Path) -> AcceptanceConfig | None:
    """The parsed config, or None when the connector has no acceptance-test-config.yml."""
    if not path.is_file():
        return None
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"{path} is not valid YAML{where}", hint="Fix the YAML syntax.") from exc
    return parse_acceptance_config(raw, path)


# --------------------------------------------------------------------------- high strictness


def strictness_violations(config: AcceptanceConfig) -> list[str]:
    """CAT's ``test_strictness_level: high`` rules, with CAT's messages (empty when low)."""
    if config.test_strictness_level != "high":
        return []
    out = []
    for name in MANDATORY_FOR_HIGH:
        if config.suite(name) is None:
            out.append(
                f"{SUITE_CLASSES[name]} failed: it was not configured but must be according to the current "
                "high test strictness level."
            )
    for test in config.tests("basic_read"):
        if not test.validate_schema:
            out.append(
                "High strictness level error: validate_schema must be set to true in the basic read test configuration."
            )
        if test.configured_catalog_path:
            out.append(
                "High strictness level error: you can't set a custom configured catalog on the basic read "
                "test when strictness level is high."
            )
        if test.expect_records is None:
            out.append("High strictness level error: expect_records must be set in the basic read test configuration.")
        if any(not s.bypass_reason for s in test.empty_streams):
            out.append(
                "A bypass_reason must be filled in for all empty streams when test_strictness_level is set to high."
            )
        for names in (test.ignored_fields or {}).values():
            if any(not n.bypass_reason for n in names):
                out.append(
                    "A bypass_reason must be filled in for all ignored fields when test_strictness_level "
                    "is set to high."
                )
                break
    for test in config.tests("full_refresh"):
        for names in (test.ignored_fields or {}).values():
            if any(not n.bypass_reason for n in names):
                out.append(
                    "A bypass_reason must be filled in for all ignored fields when test_strictness_level "
                    "is set to high."
                )
                break
    for test in config.tests("incremental"):
        future = test.future_state
        if future is None or not (future.future_state_path or future.bypass_reason):
            out.append(
                "High test strictness level error: a future state configuration must be provided in high "
                "test strictness level or a bypass reason should be filled."
            )
        elif any(not s.bypass_reason for s in future.missing_streams):
            out.append("High test strictness level error: all missing_streams must have a bypass reason specified.")
    return out
