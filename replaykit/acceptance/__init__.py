"""The ``acceptance-test-config.yml`` model (``model``), its parser (``parsing``, ``loading``), the legacy
migration (``legacy``) and the high-strictness rules (``strictness``), with CAT's defaults, validators, messages.

Current CAT (2.x-3.9.x) keys are the model; legacy keys (root ``tests:`` layout, ``cursor_paths``,
``threshold_days``, ``extra_fields`` / ``extra_records``, ``cache_discovered_catalog``,
``basic_read.ignored_fields``, ``future_state_path``, ``state_path``, ``validate_output_from_all_streams``,
list-form ``empty_streams``) are accepted, migrated and
reported as warnings.  What CAT accepts is accepted (pydantic's coercions, unknown keys next to ``tests``);
what CAT rejects but replaykit can run is a warning naming CAT's rule; an unknown key elsewhere is an error
naming the key, its path and the closest valid key.
"""

from replaykit.acceptance.loading import load_acceptance_config, parse_acceptance_config
from replaykit.acceptance.model import (
    CONFIG_FILE,
    MANDATORY_FOR_HIGH,
    SUITE_CLASSES,
    SUITE_TEST_MODELS,
    SUITES,
    AcceptanceConfig,
    BasicReadTestConfig,
    ConnectionTestConfig,
    DiscoveryTestConfig,
    FullRefreshConfig,
    IncrementalConfig,
    SpecTestConfig,
)
from replaykit.acceptance.strictness import strictness_violations

__all__ = [
    "CONFIG_FILE",
    "MANDATORY_FOR_HIGH",
    "SUITES",
    "SUITE_CLASSES",
    "SUITE_TEST_MODELS",
    "AcceptanceConfig",
    "BasicReadTestConfig",
    "ConnectionTestConfig",
    "DiscoveryTestConfig",
    "FullRefreshConfig",
    "IncrementalConfig",
    "SpecTestConfig",
    "load_acceptance_config",
    "parse_acceptance_config",
    "strictness_violations",
]
