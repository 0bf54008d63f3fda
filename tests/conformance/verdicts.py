"""A ported case's data as protocol JSON, and CAT's verdict as the case states it."""

from __future__ import annotations

from typing import Any

from replaykit.messages import ConnectorOutput


def plain(value: Any) -> Any:
    """A recorded protocol-model call as the JSON the protocol would carry (``__cls__`` markers dropped)."""
    if isinstance(value, dict):
        if "__set__" in value:
            return [plain(v) for v in value["__set__"]]
        model = "__cls__" in value  # a model: its None fields are pydantic defaults, absent from the JSON
        return {k: plain(v) for k, v in value.items() if k not in ("__cls__", "__args__") and not (model and v is None)}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


ALWAYS_FAIL = {"test_read_validate_stream_statuses_exceptions"}  # its body always expects an AssertionError


def cat_fails(params: dict[str, Any], test: str = "") -> bool:
    """CAT's verdict, as the case states it."""
    if test in ALWAYS_FAIL:
        return True
    for key in (
        "should_fail",
        "expect_fail",
        "should_raise_assert_error",
        "expected_error_streams",
        "can_store_secret",
    ):
        if key in params:
            return bool(params[key])
    if "expected_result" in params:  # a helper's boolean result
        return bool(params["expected_result"])
    if "expected_parsed_config" in params:  # the config parses (without error)
        return False
    if "valid" in params:
        return not params["valid"]
    if "is_warning_logged" in params:
        return bool(params["is_warning_logged"])
    for key in ("expectation", "expected_error"):
        value = params.get(key)
        if isinstance(value, dict) and "__raises__" in value:
            return value["__raises__"] is not None
        if key in params:
            return bool(value)
    raise KeyError(f"no expected verdict in {sorted(params)}")


def _catalog(streams: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "streams": [{"stream": s, "sync_mode": "full_refresh", "destination_sync_mode": "overwrite"} for s in streams]
    }


def _output(messages: list[Any]) -> ConnectorOutput:
    import json

    out = ConnectorOutput()
    for message in plain(messages):
        out.add_line(json.dumps(message))
    return out
