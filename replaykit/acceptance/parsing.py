"""Parsing a YAML mapping into the model: typed, with CAT's (pydantic v1) coercions, an error that names the key
and its path (and the closest valid key) where CAT rejects the config too, a warning where only CAT does."""

from __future__ import annotations

import contextvars
import dataclasses
import difflib
import re
import types
import typing
from typing import Any, Literal

# Warnings of the config being parsed (set by ``parse_acceptance_config``): what CAT accepts differently.
WARNINGS: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar("acceptance_warnings", default=None)
# CAT's SEMVER_REGEX (pydantic v1 ``regex``: a match at the start) for backward-compatibility versions.
SEMVER = re.compile(r"(0|(?:[1-9]\d*))(?:\.(0|(?:[1-9]\d*))(?:\.(0|(?:[1-9]\d*)))?(?:\-([\w][\w\.\-_]*))?)?")
SEMVER_FIELDS = ("previous_connector_version", "disable_for_version")
_TRUE = {"1", "on", "t", "true", "y", "yes"}
_FALSE = {"0", "off", "f", "false", "n", "no"}


def warn(message: str) -> None:
    collected = WARNINGS.get()
    if collected is not None:
        collected.append(message)


# --------------------------------------------------------------------------- generic strict parsing


class _InvalidError(Exception):
    def __init__(self, where: str, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.where, self.message, self.hint = where, message, hint


def _type_name(tp: Any) -> str:
    origin = typing.get_origin(tp)
    if origin is Literal:
        return " | ".join(repr(a) for a in typing.get_args(tp))
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_type_name(a) for a in typing.get_args(tp) if a is not type(None))
    if origin is list:
        return "a list"
    if origin is dict:
        return "a mapping"
    return getattr(tp, "__name__", str(tp))


def _parse(tp: Any, value: Any, where: str) -> Any:
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        options = typing.get_args(tp)
        if value is None and type(None) in options:
            return None
        errors = []
        for option in (o for o in options if o is not type(None)):
            try:
                return _parse(option, value, where)
            except _InvalidError as exc:
                errors.append(exc)
        if len(errors) == 1:
            raise errors[0]
        raise _InvalidError(where, f"must be {_type_name(tp)}, got {type(value).__name__}")
    if origin is Literal:
        if value not in typing.get_args(tp):
            raise _InvalidError(where, f"must be one of {_type_name(tp)}, got {value!r}")
        return value
    if origin is list:
        if not isinstance(value, list):
            raise _InvalidError(where, f"must be a list, got {type(value).__name__}")
        (item,) = typing.get_args(tp)
        return [_parse(item, v, f"{where}[{i}]") for i, v in enumerate(value)]
    if origin is dict:
        if not isinstance(value, dict):
            raise _InvalidError(where, f"must be a mapping, got {type(value).__name__}")
        _key_type, item = typing.get_args(tp)
        return {str(k): _parse(item, v, f"{where}.{k}") for k, v in value.items()}
    if dataclasses.is_dataclass(tp):
        return _parse_model(typing.cast(type, tp), value, where)
    if tp is Any:
        return value
    if tp is bool:  # pydantic v1's coercions, as CAT
        if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE
        if isinstance(value, int) and not isinstance(value, bool) and value in (0, 1):
            return bool(value)
        if not isinstance(value, bool):
            raise _InvalidError(where, f"must be true or false, got {value!r}")
        return value
    if tp is int:
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            value = int(value.strip())
        elif isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise _InvalidError(where, f"must be an integer, got {value!r}")
        if value < 0:
            raise _InvalidError(where, f"must be >= 0, got {value}")
        return value
    if tp is str:
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise _InvalidError(where, f"must be a string, got {type(value).__name__}")
        return str(value)
    raise _InvalidError(where, f"unsupported type {tp!r}")


def _parse_model(model: type, value: Any, where: str) -> Any:
    if not isinstance(value, dict):
        raise _InvalidError(where, f"must be a mapping, got {type(value).__name__}")
    hints = typing.get_type_hints(model)
    fields = {f.name: f for f in dataclasses.fields(model) if not f.metadata.get("internal")}
    kwargs: dict[str, Any] = {}
    for key, item in value.items():
        path = f"{where}.{key}" if where else str(key)
        if key not in fields and model.__name__ == "Suite":
            warn(f"{path}: ignored (CAT ignores unknown keys next to tests / bypass_reason)")
            continue
        if key not in fields:
            close = difflib.get_close_matches(str(key), list(fields), n=1, cutoff=0.6)
            raise _InvalidError(
                path,
                f"unknown key {key!r}",
                f"Did you mean {close[0]!r}?" if close else f"Valid keys here: {', '.join(fields)}.",
            )
        f = fields[str(key)]
        if item is None and f.default_factory is not dataclasses.MISSING:
            continue  # CAT: an Optional section given as null; replaykit uses its defaults
        kwargs[str(key)] = _parse(hints[str(key)], item, path)
        if key in SEMVER_FIELDS and isinstance(kwargs[str(key)], str) and not SEMVER.match(kwargs[str(key)]):
            warn(f"{path}: {item!r} does not match CAT's semver pattern; CAT rejects this config")
    missing = [
        name
        for name, f in fields.items()
        if name not in kwargs and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    ]
    if missing:
        raise _InvalidError(where or "the top level", f"missing required key {missing[0]!r}")
    instance = model(**kwargs)
    validate = getattr(instance, "validate", None)
    if validate is not None:
        try:
            validate()
        except ValueError as exc:
            raise _InvalidError(where or "the top level", str(exc)) from exc
    return instance
