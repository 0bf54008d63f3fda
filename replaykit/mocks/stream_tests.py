"""``test_<stream>.py`` of a stream read on its own: pages, recorded pages, retries, auth, incremental."""

from __future__ import annotations

from typing import Any

from replaykit.mocks.analysis import Page, StreamModel
from replaykit.mocks.pycode import Code, call, chain, comment, data, identifier, literal
from replaykit.mocks.render import (
    Context,
    any_literal,
    endpoint_name,
    error_expr,
    from_import,
    import_sections,
    join_tests,
    module_text,
    param_type,
    test_method,
)
from replaykit.mocks.substream_tests import render_substream_test


def _subst(value: str, stream: StreamModel, now: str) -> Code:
    return Code("_NOW") if value == now else Code(literal(value))


def _request_parts(stream: StreamModel, params: dict[str, str], now: str, names: dict[str, str]) -> list[str]:
    parts: list[str] = []
    for param, value in params.items():
        if param == stream.page_size_param:
            continue
        expr = names.get(param) or _subst(value, stream, now).text
        method = identifier(param)
        if param_type(stream, param) == "int" and value.lstrip("-").isdigit():
            expr = names.get(param) or value
        parts.append(f".with_{method}({expr})")
    return parts


def _token_arg(stream: StreamModel) -> str | None:
    """The second parameter of ``_page``: what tells the connector another page follows."""
    kind = stream.pagination.kind if stream.pagination else ""
    return {"cursor": "next_token", "link": "next_link"}.get(kind)


def _windowed(stream: StreamModel) -> bool:
    """Reads in cursor windows whose first start is a config value (so a test can read one window)."""
    return bool(stream.start_param and stream.start_config_key)


def _module_helpers(stream: StreamModel) -> list[str]:
    """Constants, ``_config()``, ``_request()``, ``_page()`` and the recorded pages table."""
    name = identifier(stream.name)
    window = stream.last_window
    first_params = window[0].params if window else {}
    body = [f"_STREAM_NAME = {literal(stream.name)}"]
    body += [f"_NOW = {literal(stream.now)}  # the instant {stream.invocation} was recorded at"]
    if stream.page_size_param and stream.page_size is not None:
        body += [f"_PAGE_SIZE = {stream.page_size}"]
    if _windowed(stream) and stream.start_param:
        body += [f"_START = {literal(first_params[stream.start_param])}  # the start of its last window"]
    body += ["", "", "def _config() -> ConfigBuilder:"]
    if _windowed(stream):
        body += [f"    return ConfigBuilder().with_{identifier(str(stream.start_config_key))}(_START)"]
    else:
        body += ["    return ConfigBuilder()"]
    body += ["", "", "def _request() -> RequestBuilder:"]
    parts = [f"RequestBuilder.{endpoint_name(stream)}()"]
    if stream.page_size_param and stream.page_size is not None:
        parts.append(f".with_{identifier(stream.page_size_param)}(_PAGE_SIZE)")
    if _windowed(stream):
        window_params = {k: v for k, v in first_params.items() if k in (stream.start_param, stream.end_param)}
        parts += _request_parts(stream, window_params, stream.now, {str(stream.start_param): "_START"})
    body += chain("return ", parts, 4)
    body += ["", "", *_page_helper(stream, name)]
    rows: list[Any] = []
    for page in stream.pages:
        row: list[Any] = [dict(sorted(page.params.items())), page.count]
        if _token_arg(stream):
            row.append(page.next_token)
        rows.append(tuple(row))
    body += ["", ""]
    body += comment(f"The requests {stream.invocation} sent, with the number of records each response held.")
    return body + data(rows, 0, "_RECORDED_PAGES = ")


def _page_helper(stream: StreamModel, name: str) -> list[str]:
    kind = stream.pagination.kind if stream.pagination else None
    token_arg = _token_arg(stream)
    if token_arg:
        body = [f"def _page(records: int, {token_arg}: str | None = None) -> HttpResponse:"]
        body += ['    """A response with `records` records; with a next page, another page follows."""']
    else:
        body = ["def _page(records: int) -> HttpResponse:", '    """A response with `records` records."""']
    body += [f"    response = {name}_response()"]
    if kind == "cursor":
        body += ["    if next_token is not None:", f"        response = {name}_response(next_token).with_pagination()"]
    body += ["    for _ in range(records):", f"        response.with_record({name}_record())"]
    if kind == "link":
        body += ["    if next_link is None:", "        return response.build()"]
        return [*body, "    return with_next_page(response.build(), next_link)"]
    return [*body, "    return response.build()"]


def _full_refresh_tests(stream: StreamModel, name: str) -> list[list[str]]:
    tests: list[list[str]] = []
    single_read = not stream.start_param or _windowed(stream)  # one request serves a whole read
    if single_read:
        tests.append(
            test_method(
                "test_given_one_page_when_read_then_return_records",
                [
                    *call("http_mocker.get", ["_request().build()", "_page(1)"], 8),
                    "",
                    "        output = read(_STREAM_NAME, _config().build())",
                    "",
                    "        assert len(output.records) == 1",
                ],
            )
        )
        two = _two_pages(stream, stream.last_window, name)
        if two:
            tests.append(test_method("test_given_two_pages_when_read_then_return_records", two))
    token_arg = _token_arg(stream)
    table_vars = ", ".join(["params", "records"] + ([token_arg] if token_arg else []))
    page_args = ", ".join(["records"] + ([token_arg] if token_arg else []))
    request = f"RequestBuilder.{endpoint_name(stream)}().with_query_params(params).build()"
    tests.append(
        test_method(
            "test_given_recorded_pages_when_read_then_return_recorded_count",
            [
                f"        for {table_vars} in _RECORDED_PAGES:",
                *call("http_mocker.get", [request, f"_page({page_args})"], 12),
                "",
                "        output = read(_STREAM_NAME, ConfigBuilder().build())",
                "",
                f"        assert len(output.records) == {sum(p.count for p in stream.pages)}",
            ],
        )
    )
    errors = stream.errors
    if single_read and errors is not None:
        for status in (429, 500):
            source = "recorded" if errors.retry_recorded[status] else "synthesised from a recorded success"
            responses = f"[{error_expr(errors, status)}, _page(1)]"
            tests.append(
                test_method(
                    f"test_given_{status}_then_200_when_read_then_retry_and_return_records",
                    [
                        f"        # the {status} body is {source}",
                        *call("http_mocker.get", ["_request().build()", responses], 8),
                        '        with patch("time.sleep"):  # no real backoff waits',
                        "            output = read(_STREAM_NAME, _config().build())",
                        "",
                        "        assert len(output.records) == 1",
                    ],
                )
            )
        status = errors.auth_status
        tests.append(
            test_method(
                f"test_given_{status}_when_read_then_config_error",
                [
                    *call("http_mocker.get", ["_request().build()", f"error_response({status})"], 8),
                    "",
                    *call("output = read", ["_STREAM_NAME", "_config().build()", "expecting_exception=True"], 8),
                    "",
                    "        error = output.errors[-1].trace.error",
                    "        assert error.failure_type == FailureType.config_error",
                ],
            )
        )
    return tests


def render_test(ctx: Context, stream: StreamModel) -> str:
    """``test_<stream>.py``: TestFullRefresh, and TestIncremental where the recording has cursor windows."""
    if stream.parent_model is not None:
        return render_substream_test(ctx, stream)
    name = identifier(stream.name)
    body = _module_helpers(stream)
    full_refresh = _full_refresh_tests(stream, name)
    body += ["", "", "@freezegun.freeze_time(_NOW)", "class TestFullRefresh(TestCase):", *join_tests(full_refresh)]
    incremental = _incremental_tests(stream, name) if stream.incremental and _windowed(stream) else []
    if incremental:
        body += ["", "", "@freezegun.freeze_time(_NOW)", "class TestIncremental(TestCase):", *join_tests(incremental)]
    single_read = not stream.start_param or _windowed(stream)
    std = ["from unittest import TestCase"] + (["from unittest.mock import patch"] if single_read else [])
    models = (["FailureType"] if single_read and stream.errors else []) + (["SyncMode"] if incremental else [])
    third = [
        "import freezegun",
        _from_models(models),
        from_import("airbyte_cdk.test.mock_http", ["HttpMocker", "HttpResponse"]),
    ]
    if incremental and stream.state_read is not None:
        third.append("from airbyte_cdk.test.state_builder import StateBuilder")
    responses = [f"{name}_record", f"{name}_response"] + (["error_response"] if single_read else [])
    if stream.pagination and stream.pagination.kind == "link":
        responses.append("with_next_page")
    local = [
        "from .config import ConfigBuilder",
        "from .request_builder import RequestBuilder",
        from_import(".response_builder", responses),
        "from .utils import read",
    ]
    doc = f"Mock-server tests of the {stream.name} stream, from its recorded responses."
    return module_text(ctx, doc, import_sections([std, [t for t in third if t], local]), body)


def _from_models(names: list[str]) -> str:
    return from_import("airbyte_cdk.models", names) if names else ""


def _two_pages(stream: StreamModel, window: list[Page], name: str) -> list[str] | None:
    pagination = stream.pagination
    if pagination is None or len(window) < 2:
        return None
    first, second = window[0], window[1]
    second_params = {k: v for k, v in second.params.items() if k in pagination.params}
    request2 = "".join(["_request()", *_request_parts(stream, second_params, stream.now, {}), ".build()"])
    ids = [first.first_id, second.first_id]
    use_ids = stream.id_path is not None and len(stream.id_path) == 1 and None not in ids and ids[0] != ids[1]
    lines: list[str] = []
    if pagination.kind == "cursor":
        record1 = f"{name}_record().with_id({any_literal(ids[0])})" if use_ids else f"{name}_record()"
        record2 = f"{name}_record().with_id({any_literal(ids[1])})" if use_ids else f"{name}_record()"
        lines += chain(
            "first_page = ",
            [
                f"{name}_response({literal(str(first.next_token))})",
                ".with_pagination()",
                f".with_record({record1})",
                ".build()",
            ],
            8,
        )
        lines += chain("last_page = ", [f"{name}_response()", f".with_record({record2})", ".build()"], 8)
        lines += call("http_mocker.get", ["_request().build()", "first_page"], 8)
        lines += call("http_mocker.get", [request2, "last_page"], 8)
        expected = 2
    elif pagination.kind == "link":
        use_ids = False
        lines += [f"        next_link = {literal(str(first.next_token))}"]
        lines += call("http_mocker.get", ["_request().build()", "_page(1, next_link)"], 8)
        lines += call("http_mocker.get", [request2, "_page(1)"], 8)
        expected = 2
    else:
        if stream.page_size is None:
            return None
        use_ids = False
        lines += call("http_mocker.get", ["_request().build()", "_page(_PAGE_SIZE)"], 8)
        lines += call("http_mocker.get", [request2, "_page(1)"], 8)
        expected = -1
    lines += ["", "        output = read(_STREAM_NAME, _config().build())", ""]
    if use_ids:
        field = literal(str(stream.id_path[0])) if stream.id_path else ""
        lines += [f"        ids = [message.record.data[{field}] for message in output.records]"]
        lines += [f"        assert ids == [{any_literal(ids[0])}, {any_literal(ids[1])}]"]
    elif expected == -1:
        lines += ["        assert len(output.records) == _PAGE_SIZE + 1"]
    else:
        lines += [f"        assert len(output.records) == {expected}"]
    return lines


def _state_assert(stream: StreamModel) -> list[str]:
    field = str(stream.cursor_path[-1]) if stream.cursor_path else ""
    if field.isidentifier():
        return [f"        assert output.most_recent_state.stream_state.{field} == cursor_value"]
    return [
        "        state = output.most_recent_state.stream_state.__dict__",
        f"        assert state[{literal(field)}] == cursor_value",
    ]


def _incremental_tests(stream: StreamModel, name: str) -> list[list[str]]:
    tests: list[list[str]] = []
    window = stream.last_window
    cursor = window[-1].last_cursor if window and window[-1].last_cursor else None
    if cursor is None and window:
        cursor = window[0].params.get(str(stream.start_param))
    if stream.cursor_path and cursor is not None:
        lines = [f"        cursor_value = {literal(cursor)}"]
        lines += chain(
            "response = ",
            [f"{name}_response()", f".with_record({name}_record().with_cursor(cursor_value))", ".build()"],
            8,
        )
        lines += call("http_mocker.get", ["_request().build()", "response"], 8)
        lines += ["", "        output = read(_STREAM_NAME, _config().build(), SyncMode.incremental)", ""]
        lines += ["        assert len(output.records) == 1"]
        lines += _state_assert(stream)
        tests.append(lines)
    state = stream.state_read
    if state is not None and len(state.pages) == 1 and stream.cursor_path:
        page = state.pages[0]
        start = page.params.get(str(stream.start_param), "")
        end = page.params.get(str(stream.end_param), "") if stream.end_param else None
        now_end = end == state.now
        lines = [f"        state_value = {literal(state.state_value)}"]
        lines += [f"        cursor_value = {'_NOW' if now_end else literal(state.state_value)}"]
        names = {str(stream.start_param): "state_value" if start == state.state_value else literal(start)}
        if stream.end_param and end is not None:
            names[stream.end_param] = "_NOW" if now_end else literal(end)
        parts = [f"RequestBuilder.{endpoint_name(stream)}()"]
        if stream.page_size_param and stream.page_size is not None:
            parts.append(f".with_{identifier(stream.page_size_param)}(_PAGE_SIZE)")
        parts += _request_parts(stream, {k: v for k, v in page.params.items() if k in names}, state.now, names)
        lines += chain("request = ", parts, 8)
        lines += chain(
            "response = ",
            [f"{name}_response()", f".with_record({name}_record().with_cursor(cursor_value))", ".build()"],
            8,
        )
        lines += call("http_mocker.get", ["request.build()", "response"], 8)
        lines += chain(
            "state = ",
            [
                "StateBuilder()",
                f".with_stream_state(_STREAM_NAME, {{{literal(stream.cursor_path[-1])}: state_value}})",
                ".build()",
            ],
            8,
        )
        lines += [""]
        lines += call("output = read", ["_STREAM_NAME", "ConfigBuilder().build()", "SyncMode.incremental", "state"], 8)
        lines += ["", "        assert len(output.records) == 1"]
        lines += _state_assert(stream)
        tests.append(lines)
    names_ = [
        "test_given_no_state_when_read_then_return_state",
        "test_given_state_when_read_then_use_state_for_query_params",
    ]
    if len(tests) == 1 and state is not None and not (stream.cursor_path and cursor is not None):
        names_ = names_[1:]
    return [test_method(n, t) for n, t in zip(names_, tests, strict=False)]
