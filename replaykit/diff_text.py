"""How JSON values and their differences are shown to a user: a truncated value (:func:`short`), DeepDiff's
readable lines (:func:`pretty_lines`) and its changes by field path (:func:`changed_fields`).

Values are shown as compact JSON with sorted keys and UTF-8 kept (:func:`short`); anything JSON cannot spell
is shown as ``str()``. Every text that may hold a recorded value can pass through a secret scrubber first.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

Scrub = Callable[[str], str]

_LABELS = {
    "values_changed": "changed",
    "type_changes": "type changed",
    "dictionary_item_added": "added",
    "dictionary_item_removed": "removed",
    "iterable_item_added": "item added",
    "iterable_item_removed": "item removed",
    "attribute_added": "added",
    "attribute_removed": "removed",
}


def clip(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, the cut marked with ``…``."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def short(value: Any, limit: int = 160, scrub: Scrub | None = None) -> str:
    """``value`` as compact JSON (sorted keys, UTF-8 kept), scrubbed, then cut to ``limit`` characters."""
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    return clip(scrub(text) if scrub is not None else text, limit)


def pretty_lines(old: Any, new: Any, *, ignore_order: bool = True) -> list[str]:
    """DeepDiff's readable lines for ``old`` -> ``new`` (object key order ignored; list order too by default)."""
    from deepdiff import DeepDiff

    return [str(line) for line in DeepDiff(old, new, ignore_order=ignore_order).pretty().splitlines()]


def path_name(parts: list[Any]) -> str:
    """A DeepDiff path as a field name: dotted keys, list positions as ``[]`` (``address.city``, ``tags[]``)."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += "[]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(record)"


def changed_fields(old: Any, new: Any) -> list[tuple[str, str, Any, Any]]:
    """(field name, kind, old value, new value) for each difference DeepDiff finds (key and list order
    ignored); kind is one of changed, type changed, added, removed, item added, item removed."""
    from deepdiff import DeepDiff

    tree = DeepDiff(old, new, ignore_order=True, view="tree")
    out: list[tuple[str, str, Any, Any]] = []
    for kind, label in _LABELS.items():
        for level in tree.get(kind, []):
            parts = level.path(output_format="list")
            t1 = None if "added" in kind else level.t1
            t2 = None if "removed" in kind else level.t2
            out.append((path_name(parts), label, t1, t2))
    return out
