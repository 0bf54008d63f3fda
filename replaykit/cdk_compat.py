"""What differs between the airbyte-cdk releases replaykit supports (6.39 and later 6.x, 7.x), in one place.

The lower bound is the ``cdk`` extra's in pyproject.toml: from 6.39 on ``YamlDeclarativeSource`` opens its
manifest by path (before, it looked only inside the package of its class), and earlier CDKs pin
``pendulum<3`` anyway.  Imported only where the CDK is (the connector process, the fork server).
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Iterator
from types import ModuleType
from typing import Any

# Where each CDK keeps the function that parses its declarative component schema (a 3,000-line YAML file)
# each time a declarative source is built; 6.39 to 6.47 parse it inline, with nothing to wrap.
_SCHEMA_LOADERS = (
    ("airbyte_cdk.sources.declarative.concurrent_declarative_source", "get_declarative_component_schema"),  # 7.x
    ("airbyte_cdk.sources.declarative.concurrent_declarative_source", "_get_declarative_component_schema"),  # 6.61.3+
    ("airbyte_cdk.sources.declarative.manifest_declarative_source", "_get_declarative_component_schema"),  # 6.48+
)


def manifest_source(path: str, config: Any, catalog: Any, state: Any, config_path: str | None) -> Any:
    """The CDK's ``YamlDeclarativeSource`` on the manifest at ``path``, as the CDK's own manifest runner
    builds it.  ``config_path`` (where the CDK writes a migrated config back) exists from CDK 6.51 on;
    older CDKs have no config migrations, so there is nothing to pass them."""
    from airbyte_cdk.sources.declarative.yaml_declarative_source import YamlDeclarativeSource

    accepted = inspect.signature(YamlDeclarativeSource).parameters
    extra: dict[str, Any] = {"config_path": config_path} if "config_path" in accepted else {}
    return YamlDeclarativeSource(path_to_yaml=path, config=config, catalog=catalog, state=state, **extra)


def schema_loaders() -> Iterator[tuple[ModuleType, str]]:
    """(module, function name) of each schema loader this CDK has, the ones the CDK's sources call."""
    for module_name, name in _SCHEMA_LOADERS:
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        if callable(getattr(module, name, None)):
            yield module, name
