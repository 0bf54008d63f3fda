"""How the generated tests build the connector's source: from ``manifest.yaml`` (manifest-only
connectors, as the CDK's YamlDeclarativeSource does) or by importing a Python connector's source class."""

from __future__ import annotations

import ast
import os
from pathlib import Path

from replaykit.errors import ConnectorNotFoundError
from replaykit.mocks.render import SourceSpec

_SOURCE_ARGS = ("catalog", "config", "state")


def _packages_named_in(main: Path) -> list[str]:
    try:
        tree = ast.parse(main.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, UnicodeDecodeError):
        return []
    names = [n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module]
    names += [a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    return names


def _source_class(module_file: Path) -> tuple[str, tuple[str, ...]] | None:
    """The first ``class Source*(...)`` of the file and the source arguments its ``__init__`` takes."""
    try:
        tree = ast.parse(module_file.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, UnicodeDecodeError):
        return None
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name.startswith("Source") and node.bases:
            init = next((n for n in node.body if isinstance(n, ast.FunctionDef) and n.name == "__init__"), None)
            if init is None:
                return node.name, ()
            args = {a.arg for a in [*init.args.args, *init.args.kwonlyargs]}
            return node.name, tuple(a for a in _SOURCE_ARGS if a in args)
    return None


def python_source(connector_dir: Path) -> SourceSpec | None:
    packages = [p for p in _packages_named_in(connector_dir / "main.py") if (connector_dir / p).is_dir()]
    packages += sorted(p.name for p in connector_dir.glob("source_*") if p.is_dir() and p.name not in packages)
    for package in packages:
        for candidate in ("source.py", "__init__.py"):
            found = _source_class(connector_dir / package / candidate)
            if found:
                module = package if candidate == "__init__.py" else f"{package}.source"
                return SourceSpec(module=module, name=found[0], kwargs=found[1])
    return None


def detect_source(connector_dir: Path, kind: str, tests_dir: Path) -> SourceSpec:
    """``kind`` is the recording's connector kind (index.json): manifest, script, module, entrypoint."""
    manifest = connector_dir / "manifest.yaml"
    if kind == "manifest" and manifest.is_file():
        return SourceSpec(manifest=Path(os.path.relpath(manifest.resolve(), tests_dir.resolve())).as_posix())
    spec = python_source(connector_dir)
    if spec is not None:
        return spec
    if manifest.is_file():
        return SourceSpec(manifest=Path(os.path.relpath(manifest.resolve(), tests_dir.resolve())).as_posix())
    raise ConnectorNotFoundError(
        f"cannot tell how to build the source of {connector_dir}: no manifest.yaml and no "
        f"`class Source...` in a source_*/source.py package (looked at {connector_dir / 'main.py'})",
        hint="Run export-mocks in the connector directory, or pass --connector-dir.",
    )
