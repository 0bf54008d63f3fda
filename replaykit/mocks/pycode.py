"""Small helpers that write Python source the way ruff format (black style) would lay it out, so the
generated files pass ``ruff format --check`` without ruff being installed."""

from __future__ import annotations

import contextlib
import json
import keyword
import re
from collections.abc import Iterator
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from replaykit.settings import tomllib

DEFAULT_WIDTH = 88  # ruff's and black's default line length
_width: ContextVar[int] = ContextVar("width", default=DEFAULT_WIDTH)


@contextlib.contextmanager
def line_length(width: int) -> Iterator[None]:
    """Lay code out for a project whose formatter wraps at ``width`` (black style depends on it)."""
    token = _width.set(width)
    try:
        yield
    finally:
        _width.reset(token)


def width() -> int:
    return _width.get()


def literal(value: Any) -> str:
    """A Python literal in ruff's preferred spelling (double quotes)."""
    if isinstance(value, str):
        if '"' in value and "'" not in value:
            return "'" + value.replace("\\", "\\\\") + "'"
        return json.dumps(value, ensure_ascii=False)
    if value is None or isinstance(value, bool | int | float):
        return repr(value)
    raise TypeError(f"no literal for {type(value).__name__}")


def identifier(name: str) -> str:
    """``created[gte]`` -> ``created_gte``; ``user-plans`` -> ``user_plans``."""
    text = re.sub(r"[^0-9a-zA-Z]+", "_", name).strip("_").lower() or "value"
    if text[0].isdigit():
        text = f"_{text}"
    return f"{text}_" if keyword.iskeyword(text) else text


def data(value: Any, indent: int, prefix: str = "", suffix: str = "") -> list[str]:
    """``prefix + value + suffix`` on one line when it fits, else exploded with trailing commas."""
    pad = " " * indent
    flat = _flat(value)
    if len(pad + prefix + flat + suffix) <= width():
        return [pad + prefix + flat + suffix]
    if isinstance(value, dict):
        opening, closing = "{", "}"
        items = [(literal(k) + ": ", v) for k, v in value.items()]
    elif isinstance(value, list | tuple):
        opening, closing = ("[", "]") if isinstance(value, list) else ("(", ")")
        items = [("", v) for v in value]
    else:
        return [pad + prefix + flat + suffix]
    lines = [pad + prefix + opening]
    for key, item in items:
        lines += data(item, indent + 4, key, ",")
    lines.append(pad + closing + suffix)
    return lines


def _flat(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{literal(k)}: {_flat(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_flat(v) for v in value) + "]"
    if isinstance(value, tuple):
        return "(" + ", ".join(_flat(v) for v in value) + ("," if len(value) == 1 else "") + ")"
    if isinstance(value, Code):
        return value.text
    return literal(value)


class Code:
    """Source text to embed as is in :func:`data`."""

    def __init__(self, text: str) -> None:
        self.text = text


def call(head: str, args: list[str], indent: int, suffix: str = "") -> list[str]:
    """``head(args)suffix``: one line, or one argument per line with a trailing comma."""
    pad = " " * indent
    flat = f"{pad}{head}({', '.join(args)}){suffix}"
    if len(flat) <= width():
        return [flat]
    return [f"{pad}{head}(", *(f"{pad}    {a}," for a in args), f"{pad}){suffix}"]


def chain(prefix: str, parts: list[str], indent: int) -> list[str]:
    """``prefix + a.b().c()`` (``prefix`` is e.g. ``"x = "`` or ``"return "``): one line, or a
    parenthesised fluent chain split before each call."""
    pad = " " * indent
    flat = f"{pad}{prefix}{''.join(parts)}"
    if len(flat) <= width():
        return [flat]
    inner = f"{pad}    {''.join(parts)}"
    if len(inner) <= width():
        return [f"{pad}{prefix}(", inner, f"{pad})"]
    return [f"{pad}{prefix}(", *(f"{pad}    {p}" for p in parts), f"{pad})"]


def signature(name: str, params: str, returns: str, indent: int) -> list[str]:
    pad = " " * indent
    flat = f"{pad}def {name}({params}){returns}:"
    if len(flat) <= width():
        return [flat]
    if len(f"{pad}    {params}") <= width():
        return [f"{pad}def {name}(", f"{pad}    {params}", f"{pad}){returns}:"]
    return [f"{pad}def {name}(", *(f"{pad}    {p.strip()}," for p in params.split(", ")), f"{pad}){returns}:"]


def comment(text: str, indent: int = 0) -> list[str]:
    """A comment wrapped at the line length."""
    pad = " " * indent + "# "
    lines: list[str] = []
    current = ""
    for word in text.split():
        if current and len(pad + current + " " + word) > width():
            lines.append(pad + current)
            current = word
        else:
            current = f"{current} {word}".strip()
    if current:
        lines.append(pad + current)
    return lines


def project_line_length(directory: Path) -> int:
    """The line length ruff (or black) uses for files in ``directory``: the nearest ruff.toml,
    .ruff.toml or pyproject.toml with a [tool.ruff] / [tool.black] table decides; else 88."""
    for folder in [directory, *directory.parents]:
        for name in ("ruff.toml", ".ruff.toml"):
            path = folder / name
            if path.is_file():
                return _length(_toml(path).get("line-length"))
        path = folder / "pyproject.toml"
        if path.is_file():
            tool = _toml(path).get("tool", {})
            if "ruff" in tool:
                return _length(tool["ruff"].get("line-length"))
            if "black" in tool:
                return _length(tool["black"].get("line-length"))
    return DEFAULT_WIDTH


def _toml(path: Path) -> dict[str, Any]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return {}
    return data if isinstance(data, dict) else {}


def _length(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else DEFAULT_WIDTH


def call_values(head: str, values: list[Any], indent: int, suffix: str = "") -> list[str]:
    """``head(values)``: one line, or one value per line, each laid out by :func:`data`."""
    pad = " " * indent
    flat = f"{pad}{head}({', '.join(_flat(v) for v in values)}){suffix}"
    if len(flat) <= width():
        return [flat]
    lines = [f"{pad}{head}("]
    for value in values:
        lines += data(value, indent + 4, "", ",")
    return [*lines, f"{pad}){suffix}"]
