"""JSON paths: the one walker over JSON values (dicts, lists, scalars as ``json.loads`` gives them).

A path is a tuple of keys; as text it is ``/``-separated from the root, as CAT's ``ignored_fields`` and
dpath, where a part may hold ``*`` globs (:func:`fnmatch.fnmatchcase`) and matches object keys only.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any


def split(path: str) -> list[str]:
    """The parts of a ``/``-separated path (leading and trailing ``/`` ignored; ``""`` is the root: no parts)."""
    stripped = path.strip("/")
    return stripped.split("/") if stripped else []


def get(value: Any, parts: Sequence[str]) -> Any:
    """The value at ``parts`` (object keys), None where the path is missing or crosses a non-object."""
    node = value
    for part in parts:
        node = node.get(part) if isinstance(node, dict) else None
    return node


def delete(value: Any, patterns: Iterable[str]) -> Any:
    """A copy of ``value`` without the ``/``-separated paths (``*`` globs; missing paths ignored); ``value``
    itself when there is nothing to delete. Only the objects on a deleted path are copied."""
    paths = [split(p) for p in patterns]
    paths = [p for p in paths if p]
    return _delete(value, paths) if paths else value


def _delete(node: Any, paths: list[list[str]]) -> Any:
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        matching = [p for p in paths if fnmatch.fnmatchcase(str(key), p[0])]
        if any(len(p) == 1 for p in matching):
            continue
        deeper = [p[1:] for p in matching]
        out[key] = _delete(value, deeper) if deeper else value
    return out


def leaves(value: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    """(path, value) of every non-container value reached through objects only, in document order (lists are
    neither descended into nor yielded: a list position is not a stable path in an API response)."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from leaves(item, (*path, str(key)))
    elif not isinstance(value, list):
        yield path, value


def entries(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any, Any]]:
    """(path including the key, key, value) for every key of every object, pre-order; list items are
    descended into with their index in the path (as CAT's dpath globs walk a JSON schema)."""
    if isinstance(value, dict):
        for key, item in value.items():
            child = (*path, key)
            yield child, key, item
            yield from entries(item, child)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from entries(item, (*path, i))


def at(value: Any, path: Sequence[Any]) -> Any:
    """The value at a path that :func:`entries` yielded (object keys and list indexes)."""
    node = value
    for part in path:
        node = node[part] if isinstance(node, dict | list) else None
    return node


def nodes(value: Any) -> Iterator[Any]:
    """Every value of a JSON document, pre-order (a container before its items, items in order): mappings and
    lists are descended into, each value visited once."""
    yield value
    if isinstance(value, Mapping):
        for item in value.values():
            yield from nodes(item)
    elif isinstance(value, list):
        for item in value:
            yield from nodes(item)
