"""``test_<substream>.py``: a stream read once per record of its parent (SubstreamPartitionRouter)."""

from __future__ import annotations

from typing import Any

from replaykit.mocks.analysis import StreamModel
from replaykit.mocks.pycode import call, chain, comment, data, identifier, literal
from replaykit.mocks.render import (
    Context,
    endpoint_name,
    error_expr,
    from_import,
    import_sections,
    join_tests,
    module_text,
    test_method,
)


def _parents_helper(parent: StreamModel) -> tuple[list[str], str | None]:
    """``_parents(ids, next_page)``: a page of parent records with these ids; the extra import it needs."""
    name = identifier(parent.name)
    kind = parent.pagination.kind if parent.pagination else None
    id_type = type(parent.pages[0].ids[0]).__name__ if parent.pages and parent.pages[0].ids else "str"
    token = {"cursor": "next_token", "link": "next_link"}.get(kind or "")
    params = f"ids: list[{id_type}]" + (f", {token}: str | None = None" if token else "")
    lines = [f"def _parents({params}) -> HttpResponse:"]
    lines += [f'    """A page of {parent.name} with these ids: the partitions of the stream."""']
    if kind == "cursor":
        lines += [f"    response = {name}_response()", "    if next_token is not None:"]
        lines += [f"        response = {name}_response(next_token).with_pagination()"]
    else:
        lines += [f"    response = {name}_response()"]
    lines += ["    for parent_id in ids:", f"        response.with_record({name}_record().with_id(parent_id))"]
    if kind == "link":
        lines += ["    if next_link is None:", "        return response.build()"]
        lines += ["    return with_next_page(response.build(), next_link)"]
        return lines, "with_next_page"
    return [*lines, "    return response.build()"], None


def render_substream_test(ctx: Context, stream: StreamModel) -> str:
    parent = stream.parent_model
    assert parent is not None
    assert stream.parent is not None
    name, parent_name = identifier(stream.name), identifier(parent.name)
    partition = identifier(stream.parent.partition_field)
    kind = parent.pagination.kind if parent.pagination else None
    token = kind in ("cursor", "link")
    ids = [i for page in parent.pages for i in page.ids]
    first_ids = ids[:2] if len(ids) >= 2 else [*ids, ids[0]] if ids else [1, 2]
    id_type = type(first_ids[0]).__name__
    body = [f"_STREAM_NAME = {literal(stream.name)}"]
    body += [f"_NOW = {literal(stream.now)}  # the instant {stream.invocation} was recorded at", "", ""]
    body += ["def _parent_request() -> RequestBuilder:"]
    parts = [f"RequestBuilder.{endpoint_name(parent)}()"]
    if parent.page_size_param and parent.page_size is not None:
        parts.append(f".with_{identifier(parent.page_size_param)}({parent.page_size})")
    body += chain("return ", parts, 4)
    body += ["", ""]
    helper, extra = _parents_helper(parent)
    body += helper
    body += ["", "", f"def _request({partition}: {id_type}) -> RequestBuilder:"]
    body += [f"    return RequestBuilder.{endpoint_name(stream)}(str({partition}))", "", ""]
    body += [f"def _response({partition}: {id_type}) -> HttpResponse:"]
    record = (
        f"{name}_record().with_id({partition})"
        if stream.id_path == (stream.parent.partition_field,)
        else f"{name}_record()"
    )
    body += [f"    return {name}_response({record})", "", ""]
    rows: list[Any] = []
    for page in parent.pages:
        row: list[Any] = [dict(sorted(page.params.items())), list(page.ids)]
        if token:
            row.append(page.next_token)
        rows.append(tuple(row))
    body += comment(f"The {parent.name} pages {stream.invocation} read: their ids are the partitions it then read.")
    body += data(rows, 0, "_RECORDED_PARENTS = ")
    tests: list[list[str]] = []
    one, two = literal(first_ids[0]), literal(first_ids[1])
    tests.append(
        test_method(
            "test_given_one_parent_when_read_then_return_its_record",
            [
                *call("http_mocker.get", ["_parent_request().build()", f"_parents([{one}])"], 8),
                *call("http_mocker.get", [f"_request({one}).build()", f"_response({one})"], 8),
                "",
                "        output = read(_STREAM_NAME, ConfigBuilder().build())",
                "",
                "        assert len(output.records) == 1",
            ],
        )
    )
    partition_field = literal(stream.parent.partition_field)
    check = (
        [
            f"        partitions = sorted(m.record.data[{partition_field}] for m in output.records)",
            f"        assert partitions == [{', '.join(sorted([one, two]))}]",
        ]
        if stream.id_path == (stream.parent.partition_field,)
        else ["        assert len(output.records) == 2"]
    )
    tests.append(
        test_method(
            "test_given_two_parents_when_read_then_read_each_partition",
            [
                *call("http_mocker.get", ["_parent_request().build()", f"_parents([{one}, {two}])"], 8),
                f"        for {partition} in ({one}, {two}):",
                *call("http_mocker.get", [f"_request({partition}).build()", f"_response({partition})"], 12),
                "",
                "        output = read(_STREAM_NAME, ConfigBuilder().build())",
                "",
                *check,
            ],
        )
    )
    loop_vars = "params, ids, next_page" if token else "params, ids"
    parents_call = "_parents(ids, next_page)" if token else "_parents(ids)"
    total = sum(p.count for p in stream.pages)
    tests.append(
        test_method(
            "test_given_recorded_parents_when_read_then_return_recorded_count",
            [
                f"        for {loop_vars} in _RECORDED_PARENTS:",
                f"            request = RequestBuilder.{endpoint_name(parent)}().with_query_params(params)",
                *call("http_mocker.get", ["request.build()", parents_call], 12),
                f"            for {partition} in ids:",
                *call("http_mocker.get", [f"_request({partition}).build()", f"_response({partition})"], 16),
                "",
                "        output = read(_STREAM_NAME, ConfigBuilder().build())",
                "",
                f"        assert len(output.records) == {total}",
            ],
        )
    )
    errors = stream.errors
    if errors is not None:
        for status in (429, 500):
            source = "recorded" if errors.retry_recorded[status] else "synthesised from a recorded success"
            tests.append(
                test_method(
                    f"test_given_{status}_then_200_when_read_then_retry_and_return_records",
                    [
                        f"        # the {status} body is {source}",
                        *call("http_mocker.get", ["_parent_request().build()", f"_parents([{one}])"], 8),
                        *call(
                            "http_mocker.get",
                            [f"_request({one}).build()", f"[{error_expr(errors, status)}, _response({one})]"],
                            8,
                        ),
                        '        with patch("time.sleep"):  # no real backoff waits',
                        "            output = read(_STREAM_NAME, ConfigBuilder().build())",
                        "",
                        "        assert len(output.records) == 1",
                    ],
                )
            )
        tests.append(
            test_method(
                f"test_given_{errors.auth_status}_when_read_then_config_error",
                [
                    *call("http_mocker.get", ["_parent_request().build()", f"_parents([{one}])"], 8),
                    *call("http_mocker.get", [f"_request({one}).build()", f"error_response({errors.auth_status})"], 8),
                    "",
                    *call("output = read", ["_STREAM_NAME", "ConfigBuilder().build()", "expecting_exception=True"], 8),
                    "",
                    "        error = output.errors[-1].trace.error",
                    "        assert error.failure_type == FailureType.config_error",
                ],
            )
        )
    body += ["", "", "@freezegun.freeze_time(_NOW)", "class TestFullRefresh(TestCase):"]
    body += join_tests(tests)
    responses = [f"{name}_record", f"{name}_response", f"{parent_name}_record", f"{parent_name}_response"]
    responses += ["error_response"] + ([extra] if extra else [])
    imports = import_sections(
        [
            ["from unittest import TestCase", "from unittest.mock import patch"],
            [
                "import freezegun",
                "from airbyte_cdk.models import FailureType",
                from_import("airbyte_cdk.test.mock_http", ["HttpMocker", "HttpResponse"]),
            ],
            [
                "from .config import ConfigBuilder",
                "from .request_builder import RequestBuilder",
                from_import(".response_builder", responses),
                "from .utils import read",
            ],
        ]
    )
    doc = f"Mock-server tests of the {stream.name} stream, a substream of {parent.name}, from its recorded responses."
    return module_text(ctx, doc, imports, body)
