"""acceptance-test-config.yml: a corpus of realistic configs, and each rule passing and failing."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from replaykit import invocation_ids as ids
from replaykit.acceptance import (
    BasicReadTestConfig,
    ConnectionTestConfig,
    load_acceptance_config,
    parse_acceptance_config,
    strictness_violations,
)
from replaykit.errors import ConfigError, UnknownConfigKeyError
from replaykit.invocation_ids import Role, StateAfter, StateFile
from replaykit.plan import build_plan

CORPUS = sorted((Path(__file__).resolve().parents[1] / "fixtures" / "acceptance_configs").glob("*.yml"))


def expectation(path: Path) -> tuple[str, str]:
    first = path.read_text().splitlines()[0]
    assert first.startswith("# expect: ")
    kind, _, text = first[len("# expect: ") :].partition(": ")
    return kind, text


def test_the_corpus_is_big_enough() -> None:
    assert len(CORPUS) >= 15
    kinds = {expectation(p)[0] for p in CORPUS}
    assert kinds == {"ok", "warning", "error", "violation"}


@pytest.mark.parametrize("path", CORPUS, ids=[p.stem for p in CORPUS])
def test_corpus_config(path: Path) -> None:
    kind, text = expectation(path)
    if kind == "error":
        with pytest.raises(ConfigError) as exc:
            load_acceptance_config(path)
        assert text in str(exc.value)
        assert str(path) in str(exc.value)
        assert "Hint:" in str(exc.value)
        return
    config = load_acceptance_config(path)
    assert config is not None
    violations = strictness_violations(config)
    if kind == "violation":
        assert any(text in v for v in violations), violations
    else:
        assert violations == []
    if kind == "warning":
        assert any(text in w for w in config.warnings), config.warnings
    elif kind == "ok":
        assert config.warnings == []
    plan = build_plan(path.parent, config, path.parent / "secrets" / "config.json")
    assert plan[0].id == "spec-0"


def test_defaults_and_typed_values() -> None:
    config = parse_acceptance_config(
        {
            "acceptance_tests": {
                "basic_read": {"tests": [{"expect_records": {"bypass_reason": "x"}}]},
                "connection": {"tests": [{}]},
            }
        }
    )
    (read,) = config.tests("basic_read")
    assert isinstance(read, BasicReadTestConfig)
    assert (read.config_path, read.validate_schema, read.fail_on_extra_columns, read.validate_data_points) == (
        "secrets/config.json",
        True,
        True,
        False,
    )
    (check,) = config.tests("connection")
    assert isinstance(check, ConnectionTestConfig)
    assert check.status == "succeed"
    assert config.test_strictness_level == "low"
    assert config.connector_image is None


@pytest.mark.parametrize(
    ("snippet", "error", "message"),
    [
        ({"acceptance_test": {}}, UnknownConfigKeyError, "unknown key 'acceptance_test'"),
        ({"acceptance_tests": {"basic_read": {"tests": [{"timeout_seconds": -1}]}}}, ConfigError, "must be >= 0"),
        (
            {"acceptance_tests": {"basic_read": {"tests": [{"validate_schema": "maybe"}]}}},
            ConfigError,
            "must be true or false",
        ),
        (
            {"acceptance_tests": {"basic_read": {"tests": [{"expect_records": {}}]}}},
            ConfigError,
            "A path or a bypass_reason must be set",
        ),
        (
            {"acceptance_tests": {"basic_read": {"tests": [{"expect_records": {"path": "p", "extra_fields": True}}]}}},
            ConfigError,
            "extra_fields is only possible with exact_order: true",
        ),
        (
            {"acceptance_tests": {"basic_read": {"tests": [{"file_types": {"bypass_reason": "x"}}]}}},
            ConfigError,
            "You can set a bypass_reason only if skip_test is true",
        ),
        (
            {
                "acceptance_tests": {
                    "basic_read": {"tests": [{"file_types": {"unsupported_types": [{"extension": "csv"}]}}]}
                }
            },
            ConfigError,
            "must start with '.'",
        ),
        ({"test_strictness_level": "medium", "acceptance_tests": {}}, ConfigError, "must be one of 'high' | 'low'"),
        ({}, ConfigError, "missing required key 'acceptance_tests'"),
    ],
    ids=[
        "unknown-root",
        "negative-timeout",
        "bool",
        "expect-records-empty",
        "extra-fields",
        "file-types-bypass",
        "extension",
        "strictness",
        "missing",
    ],
)
def test_invalid_configs_name_the_problem(snippet: dict, error: type[Exception], message: str) -> None:
    with pytest.raises(error) as exc:
        parse_acceptance_config(snippet)
    assert message in str(exc.value)


def test_what_cat_accepts_is_accepted() -> None:
    """pydantic v1's coercions, unknown keys next to `tests`, null sections, both layouts (CAT migrates)."""
    config = parse_acceptance_config(
        {
            "connector_image": "x",
            "acceptance_tests": {
                "basic_read": {
                    "tests": [{"timeout_seconds": "600", "validate_schema": "yes", "file_types": None}],
                    "comment": "a note",
                },
                "incremental": {"tests": [{"future_state": {"future_state_path": "a.json", "cursor_format": None}}]},
                "full_refresh": {"tests": [{"client_container_config": {"setup_command": ["x"]}}]},
            },
        }
    )
    read = config.tests("basic_read")[0]
    assert (read.timeout_seconds, read.validate_schema, read.file_types.skip_test) == (600, True, False)
    assert config.tests("incremental")[0].future_state.cursor_format.format is None
    assert any("comment: ignored" in w for w in config.warnings)
    both = parse_acceptance_config(
        {"connector_image": "x", "tests": {"spec": [{}]}, "acceptance_tests": {"connection": {"tests": [{}]}}}
    )
    assert both.suite("connection") is None
    assert both.tests("spec")
    assert any("replaces the other" in w for w in both.warnings)


def test_what_only_cat_rejects_is_a_warning_naming_its_rule() -> None:
    config = parse_acceptance_config(
        {
            "acceptance_tests": {
                "spec": {"tests": [{"backward_compatibility_tests_config": {"disable_for_version": "v1"}}]},
                "incremental": {"tests": [{"cursor_paths": {"s": ["a"]}}]},
            }
        }
    )
    assert any("CAT requires it" in w for w in config.warnings)
    assert any("'v1' does not match CAT's semver pattern" in w for w in config.warnings)
    assert any("cursor_paths" in w and "CAT 3.x rejects this key" in w for w in config.warnings)


def test_unknown_key_suggests_the_closest_valid_one() -> None:
    with pytest.raises(UnknownConfigKeyError) as exc:
        parse_acceptance_config({"acceptance_tests": {"incremental": {"tests": [{"future_sate": {}}]}}})
    assert "acceptance_tests.incremental.tests[0].future_sate: unknown key 'future_sate'" in str(exc.value)
    assert "Did you mean 'future_state'?" in str(exc.value)


def test_relative_paths_resolve_against_base_path(tmp_path: Path) -> None:
    path = tmp_path / "acceptance-test-config.yml"
    path.write_text(yaml.safe_dump({"base_path": "sub", "acceptance_tests": {}}))
    config = load_acceptance_config(path)
    assert config is not None
    assert config.resolve("a/b.json") == (tmp_path / "sub" / "a" / "b.json").resolve()


def test_plan_follows_the_config(tmp_path: Path) -> None:
    config = parse_acceptance_config(
        {
            "acceptance_tests": {
                "connection": {"tests": [{"status": "succeed"}, {"config_path": "bad.json", "status": "exception"}]},
                "basic_read": {
                    "tests": [{"expect_records": {"bypass_reason": "x"}, "expect_trace_message_on_failure": False}]
                },
                "incremental": {"tests": [{"future_state": {"future_state_path": "state.json"}}]},
            }
        },
        tmp_path / "acceptance-test-config.yml",
    )
    main = tmp_path / "secrets" / "config.json"
    plan = build_plan(tmp_path, config, main)
    assert [p.id for p in plan] == [
        "spec-0",
        "connection-0",
        "connection-1",
        "discovery-0",
        "basic_read-0",
        "incremental-0-read1",
        "incremental-0-read2",
        "incremental-0-slices",
        "incremental-0-abnormal_state",
    ]
    assert plan[1].config_path == main
    assert plan[2].config_path == (tmp_path / "bad.json").resolve()
    assert plan[2].expect == "exception"
    assert plan[6].state == StateAfter(ids.incremental_read(0, 1))
    assert (
        plan[6].describe_inputs()
        == "config config.json, catalog discovered-incremental, state after:incremental-0-read1"
    )
    assert plan[7].role is Role.SLICES
    assert plan[7].covers("incremental-0-slices-events-state2")
    assert plan[7].covers("incremental-0-slices-events-read1")
    assert not plan[7].covers("incremental-0-read1")
    assert not plan[7].covers("incremental-1-slices-events-read1")
    assert plan[8].state == StateFile((tmp_path / "state.json").resolve())
    assert plan[8].role is Role.ABNORMAL_STATE


def test_plan_carries_cats_environment_and_timeouts(tmp_path: Path) -> None:
    config = parse_acceptance_config(
        {
            "custom_environment_variables": {"API_REGION": "eu", "RETRIES": 3},
            "acceptance_tests": {
                "connection": {"tests": [{"deployment_mode": "cloud", "timeout_seconds": 30}]},
                "incremental": {"tests": [{"future_state": {"future_state_path": "s.json", "bypass_reason": "r"}}]},
            },
        },
        tmp_path / "acceptance-test-config.yml",
    )
    plan = {p.id: p for p in build_plan(tmp_path, config, tmp_path / "secrets" / "config.json")}
    assert dict(plan["connection-0"].environment) == {"API_REGION": "eu", "RETRIES": "3", "DEPLOYMENT_MODE": "CLOUD"}
    assert plan["connection-0"].timeout_s == 30
    assert dict(plan["spec-0"].environment) == {"API_REGION": "eu", "RETRIES": "3"}
    assert plan["spec-0"].timeout_s is None
    # CAT skips the abnormal-state test when future_state has a bypass reason, even with a path
    assert "incremental-0-abnormal_state" not in plan
