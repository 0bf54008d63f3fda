"""The ``acceptance-test-config.yml`` model: CAT's suites, their test entries, defaults and validators."""

from __future__ import annotations

import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

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
    secrets_path: str | None = None
    client_container_dockerfile_path: str | None = None
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
    validate_output_from_all_streams: bool | None = None  # legacy (SAT <= 0.1.12): false = any stream may be empty


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
