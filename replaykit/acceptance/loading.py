"""Reading ``acceptance-test-config.yml``."""

from __future__ import annotations

import typing
from pathlib import Path
from typing import Any

import yaml

from replaykit.acceptance.legacy import _migrate
from replaykit.acceptance.model import SUITE_TEST_MODELS, SUITES, AcceptanceConfig
from replaykit.acceptance.parsing import WARNINGS, _InvalidError, _parse_model
from replaykit.errors import ConfigError, UnknownConfigKeyError

# --------------------------------------------------------------------------- loading


def parse_acceptance_config(raw: Any, path: Path | None = None) -> AcceptanceConfig:
    where_file = str(path) if path else "acceptance-test-config.yml"
    if not isinstance(raw, dict):
        raise ConfigError(
            f"{where_file}: the top level must be a mapping", hint="See CAT's acceptance-test-config.yml reference."
        )
    warnings: list[str] = []
    data = _migrate(raw, warnings)
    token = WARNINGS.set(warnings)
    if "connector_image" not in data:
        warnings.append("connector_image is missing: CAT requires it (replaykit runs the connector's Python code)")
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
    finally:
        WARNINGS.reset(token)
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
