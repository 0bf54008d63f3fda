"""How to run the connector: found once in the parent, executed by :mod:`replaykit.runtime` in the child.

Auto-detection, in this order: ``manifest.yaml`` (a declarative source run by the CDK in-process),
``main.py``, a console script declared in the connector's ``pyproject.toml``.  ``connector_command``
overrides it: a console script of this Python environment, ``python main.py`` or ``python -m module``.
"""

from __future__ import annotations

import shlex
import sys
from dataclasses import asdict, dataclass
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from replaykit.errors import ConnectorNotFoundError
from replaykit.settings import tomllib

KINDS = ("manifest", "script", "module", "entrypoint")


@dataclass(frozen=True)
class ConnectorTarget:
    """``kind`` is one of :data:`KINDS`; ``target`` is a path (manifest, script), module or script name."""

    kind: str
    target: str
    directory: str

    def to_dict(self) -> dict[str, str]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ConnectorTarget:
        return cls(kind=str(data["kind"]), target=str(data["target"]), directory=str(data["directory"]))

    def describe(self) -> str:
        return {
            "manifest": "declarative manifest",
            "script": "script",
            "module": "module",
            "entrypoint": "console script",
        }[self.kind] + f" {self.target}"


def _console_script_exists(name: str) -> bool:
    return any(ep.name == name for ep in entry_points(group="console_scripts"))


def _pyproject_scripts(directory: Path) -> list[str]:
    path = directory / "pyproject.toml"
    if not path.is_file():
        return []
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError:
        return []
    scripts = dict(data.get("project", {}).get("scripts", {}))
    scripts.update(data.get("tool", {}).get("poetry", {}).get("scripts", {}))
    return sorted(name for name in scripts if name.startswith(("source-", "source_"))) or sorted(scripts)


def from_command(command: str, directory: Path) -> ConnectorTarget:
    words = shlex.split(command)
    if not words:
        raise ConnectorNotFoundError(
            "connector command is empty", hint="Pass e.g. --connector-command 'python main.py'."
        )
    if Path(words[0]).name.startswith("python") or words[0] == sys.executable:
        rest = words[1:]
        if len(rest) >= 2 and rest[0] == "-m":
            return ConnectorTarget("module", rest[1], str(directory))
        if rest and rest[0].endswith(".py"):
            script = (directory / rest[0]).resolve()
            if not script.is_file():
                raise ConnectorNotFoundError(
                    f"connector script {script} does not exist", hint="Fix the path in --connector-command."
                )
            return ConnectorTarget("script", str(script), str(directory))
        raise ConnectorNotFoundError(
            f"cannot run connector command {command!r}",
            hint="Use 'python main.py', 'python -m package.module' or a console script name.",
        )
    if len(words) > 1:
        raise ConnectorNotFoundError(
            f"connector command {command!r} has arguments",
            hint="replaykit adds spec/check/discover/read and their flags itself; give only the program.",
        )
    name = Path(words[0]).name
    if not _console_script_exists(name):
        raise ConnectorNotFoundError(
            f"console script {name!r} is not installed in this Python environment ({sys.executable})",
            hint="Install the connector here (pip install -e .): replaykit runs it in-process, in this env.",
        )
    return ConnectorTarget("entrypoint", name, str(directory))


def resolve_connector(directory: Path, command: str | None = None) -> ConnectorTarget:
    if command:
        return from_command(command, directory)
    manifest = directory / "manifest.yaml"
    if manifest.is_file():
        return ConnectorTarget("manifest", str(manifest), str(directory))
    main = directory / "main.py"
    if main.is_file():
        return ConnectorTarget("script", str(main), str(directory))
    for name in _pyproject_scripts(directory):
        if _console_script_exists(name):
            return ConnectorTarget("entrypoint", name, str(directory))
    raise ConnectorNotFoundError(
        f"no connector found in {directory}: no manifest.yaml, no main.py, no installed console script",
        hint="Run replaykit in the connector directory, or pass --connector-command.",
    )


def recorded_connector(recorded: dict[str, Any], directory: Path) -> ConnectorTarget | None:
    """The connector an invocation index says was recorded (its ``connector`` entry), or None when the index
    names none that still exists here; replay then detects it as record did."""
    kind, target = recorded.get("kind"), recorded.get("target")
    if kind not in KINDS or not isinstance(target, str) or not target:
        return None
    if kind in ("manifest", "script"):
        path = Path(target) if Path(target).is_absolute() else directory / target
        return ConnectorTarget(kind, str(path), str(directory)) if path.is_file() else None
    if kind == "module":
        return ConnectorTarget(kind, target, str(directory))
    return from_command(target, directory)  # a console script: a clear error when it is not installed
