"""The project's own checks: ruff, mypy, and the layering rule (the core never imports the shells or pytest)."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHELLS = {"cli", "cli_parser", "cli_render", "__main__", "__init__", "pytest_plugin", "pytest_items"}
# The shells around the core: the CLI (its entry, parser and rendering; also the pre-commit hook's entry,
# `replaykit scan --hook`) and the pytest plugin (its hooks, and the collectors and items it loads once --replaykit
# is on). Nothing else may import them.
SHELL_MODULES = (
    "replaykit.cli",
    "replaykit.cli_parser",
    "replaykit.cli_render",
    "replaykit.__main__",
    "replaykit.pytest_plugin",
    "replaykit.pytest_items",
)
SHELL_ONLY = ("pytest", "_pytest", "xdist", "argparse", "rich", *SHELL_MODULES)
CORE = sorted(p.stem for p in (ROOT / "replaykit").glob("*.py") if p.stem not in SHELLS)


@pytest.mark.parametrize(
    "command",
    [
        [sys.executable, "-m", "ruff", "check", "."],
        [sys.executable, "-m", "ruff", "format", "--check", "."],
        [sys.executable, "-m", "mypy"],
    ],
    ids=["ruff-check", "ruff-format", "mypy"],
)
def test_tool_passes(command: list[str]) -> None:
    proc = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False, timeout=300)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]


def test_core_never_imports_pytest_or_the_cli() -> None:
    code = (
        "import sys\n"
        f"for name in {CORE!r}:\n"
        "    __import__('replaykit.' + name)\n"
        "bad = sorted(m for m in sys.modules if m == 'pytest' or m.startswith(('_pytest', 'replaykit.cli')))\n"
        "print(','.join(bad))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert proc.stdout.strip() == ""
    assert len(CORE) > 10


def test_core_never_prints() -> None:
    offenders = [
        f"{p.name}:{n}"
        for p in (ROOT / "replaykit").glob("*.py")
        if p.stem not in {"cli", "__main__"}
        for n, line in enumerate(p.read_text().splitlines(), 1)
        if line.lstrip().startswith("print(")
    ]
    assert offenders == []


def imported_names(source: str, module: str) -> list[tuple[int, str]]:
    """Every module an import statement names (at any depth: in functions too), relative imports resolved;
    ``from a import b`` names both ``a`` and ``a.b`` (b may be a module)."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = module.split(".")[: -node.level]
                base = ".".join([*package, *([base] if base else [])])
            found.append((node.lineno, base))
            found.extend((node.lineno, f"{base}.{alias.name}") for alias in node.names)
    return found


def contract_breaches(path: Path, module: str) -> list[str]:
    return [
        f"{path.relative_to(ROOT)}:{line} imports {name}"
        for line, name in imported_names(path.read_text(encoding="utf-8"), module)
        if any(name == banned or name.startswith(f"{banned}.") for banned in SHELL_ONLY)
    ]


def test_import_contract_the_core_never_imports_the_shells_pytest_argparse_or_rich() -> None:
    modules = {
        ".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__"): p
        for p in sorted((ROOT / "replaykit").rglob("*.py"))
    }
    assert set(SHELL_MODULES) <= set(modules)  # the shells named above exist
    assert {"replaykit.checks.spec", "replaykit.acceptance.model", "replaykit.mocks.render"} <= set(modules)
    breaches = [b for name, path in modules.items() if name not in SHELL_MODULES for b in contract_breaches(path, name)]
    assert breaches == []


def test_import_contract_sees_every_import_form() -> None:
    source = (
        "import argparse\n"
        "from rich.console import Console\n"
        "def f():\n    import pytest\n"
        "from .. import cli\n"
        "from replaykit import pytest_items\n"
        "from replaykit.checks import registry\n"
    )
    found = imported_names(source, "replaykit.checks.example")
    lines = {line for line, name in found if any(name == b or name.startswith(f"{b}.") for b in SHELL_ONLY)}
    assert lines == {1, 2, 4, 5, 6}  # every line but the core import


# Invocation ids are spelled in one module (replaykit/invocation_ids.py); everything else builds them by role.
ID_MODULE = ROOT / "replaykit" / "invocation_ids.py"
ID_SPELLING = re.compile(
    r"-bad_catalog|-abnormal_state|-read[12]\b|-slices[-\"]|-state\{|\"after:|\{SUITE\}-"
    r"|\b(?:spec|connection|discovery|basic_read|full_refresh|incremental)-(?:\d|\{)"
    r"|\"(?:abnormal_state|bad_catalog|read1|read2|slices|discovered|discovered-incremental|bad-catalog)\""
)


def id_spellings(text: str) -> list[tuple[int, str]]:
    return [(n, m.group(0)) for n, line in enumerate(text.splitlines(), 1) for m in ID_SPELLING.finditer(line)]


def test_no_invocation_id_is_spelled_outside_the_id_module() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{line}: {spelled}"
        for path in sorted((ROOT / "replaykit").rglob("*.py"))
        if path != ID_MODULE
        for line, spelled in id_spellings(path.read_text(encoding="utf-8"))
    ]
    assert found == []


def test_the_id_spelling_check_sees_every_form() -> None:
    source = (
        'context.output("discovery-0")\n'
        'f"basic_read-{i}-bad_catalog"\n'
        'f"{SUITE}-{i}-read1"\n'
        'planned.id.endswith("abnormal_state")\n'
        'state=f"after:{first}"\n'
        'f"{base}-state{k}"\n'
        'f"incremental-{i}-slices-{stream}"\n'
        'planned.catalog == "discovered-incremental"\n'
        "abnormal_state_cursor_problems(catalog)  # not an id\n"
    )
    assert {line for line, _ in id_spellings(source)} == {1, 2, 3, 4, 5, 6, 7, 8}
