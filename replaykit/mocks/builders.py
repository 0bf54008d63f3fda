"""The shared modules of the generated tests: config.py, request_builder.py, response_builder.py, utils.py."""

from __future__ import annotations

import json
from typing import Any

from replaykit.mocks.analysis import StreamModel
from replaykit.mocks.pycode import Code, call, call_values, comment, data, identifier, literal, signature
from replaykit.mocks.render import (
    Context,
    config_constant,
    endpoint_name,
    from_import,
    import_sections,
    merge_from_imports,
    module_text,
    param_type,
)
from replaykit.scrub import PLACEHOLDER_RE as PLACEHOLDER


def _py_type(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "str"
    return "Any"


def render_config(ctx: Context) -> str:
    imports = import_sections([["from typing import Any"]])
    body = ["class ConfigBuilder:"]
    body += [
        '    """The connector config; its defaults are the scrubbed config of the recording',
        '    (placeholders stand for secrets)."""',
        "",
        "    def __init__(self) -> None:",
    ]
    body += data(ctx.config, 8, "self._config: dict[str, Any] = ")
    for key in sorted(ctx.config):
        name = identifier(key)
        body += [""]
        body += signature(f"with_{name}", f"self, {name}: {_py_type(ctx.config[key])}", " -> ConfigBuilder", 4)
        body += [f"        self._config[{literal(key)}] = {name}", "        return self"]
    body += ["", "    def build(self) -> dict[str, Any]:", "        return dict(self._config)"]
    return module_text(ctx, "The connector config the tests read with.", imports, body)


def _value_expr(value: str, ctx: Context) -> str:
    """A recorded value, with config placeholders shown as the config constants they come from."""
    secrets = {v: k for k, v in ctx.config.items() if isinstance(v, str) and PLACEHOLDER.fullmatch(v)}
    if value in secrets:
        return config_constant(secrets[value])
    if not any(s in value for s in secrets):
        return literal(value)
    text = value.replace("{", "{{").replace("}", "}}")
    for secret, key in sorted(secrets.items()):
        text = text.replace(secret, "{" + config_constant(key) + "}")
    return "f" + literal(text)


def _used_config_keys(ctx: Context) -> list[str]:
    texts = [json.dumps([s.constant_params, s.auth_headers]) for s in ctx.streams]
    keys = [k for k, v in ctx.config.items() if isinstance(v, str) and PLACEHOLDER.fullmatch(v)]
    used = [k for k in keys if any(ctx.config[k] in t for t in texts)]
    base = _base_url_key(ctx)
    return sorted(set(used + ([base] if base else [])))


def _base_url_key(ctx: Context) -> str | None:
    bases = {s.base_url for s in ctx.streams}
    for key, value in sorted(ctx.config.items()):
        if isinstance(value, str) and value.rstrip("/") in bases and len(bases) == 1:
            return key
    return None


def render_request_builder(ctx: Context) -> str:
    keys = _used_config_keys(ctx)
    base_key = _base_url_key(ctx)
    headers = {json.dumps(s.auth_headers, sort_keys=True) for s in ctx.streams}
    shared_headers = len(headers) == 1
    imports = import_sections(
        [["from airbyte_cdk.test.mock_http import HttpRequest"], ["from .config import ConfigBuilder"]]
    )
    body = ["_CONFIG = ConfigBuilder().build()"]
    body += [f"{config_constant(k)} = _CONFIG[{literal(k)}]" for k in keys]
    if shared_headers and ctx.streams:
        body += data({k: Code(_value_expr(v, ctx)) for k, v in ctx.streams[0].auth_headers.items()}, 0, "_HEADERS = ")
    body += ["", "", "class RequestBuilder:", '    """The requests the connector sends, one endpoint per stream."""']
    methods: dict[str, tuple[str, str]] = {}
    for stream in ctx.streams:
        path = stream.path_template or stream.path
        url = path if base_key else stream.base_url.replace("{", "{{").replace("}", "}}") + path
        args: list[Any] = [Code(("f" if stream.path_template else "") + literal(url))]
        args.append({k: Code(_value_expr(v, ctx)) for k, v in stream.constant_params.items()})
        if not shared_headers:
            args.append({k: Code(_value_expr(v, ctx)) for k, v in stream.auth_headers.items()})
        partition = f", {identifier(stream.parent.partition_field)}: str" if stream.parent else ""
        body += ["", "    @classmethod"]
        body += signature(endpoint_name(stream), f"cls{partition}", " -> RequestBuilder", 4)
        body += call_values("return cls", args, 8)
        for param in stream.varying:
            methods.setdefault(param, (identifier(param), param_type(stream, param)))
    init_params = "self, path: str, query_params: dict[str, str]"
    if not shared_headers:
        init_params += ", headers: dict[str, str]"
    body += [""]
    body += signature("__init__", init_params, " -> None", 4)
    body += [
        f'        self._url = f"{{{config_constant(base_key)}}}{{path}}"' if base_key else "        self._url = path"
    ]
    body += ["        self._query_params = dict(query_params)"]
    body += ["        self._headers = _HEADERS" if shared_headers else "        self._headers = headers"]
    for param in sorted(methods):
        name, kind = methods[param]
        body += [""]
        body += signature(f"with_{name}", f"self, {name}: {kind}", " -> RequestBuilder", 4)
        value = f"str({name})" if kind == "int" else name
        body += [f"        self._query_params[{literal(param)}] = {value}", "        return self"]
    body += [
        "",
        "    def with_query_params(self, query_params: dict[str, str]) -> RequestBuilder:",
        "        self._query_params.update(query_params)",
        "        return self",
        "",
        "    def build(self) -> HttpRequest:",
    ]
    body += call("return HttpRequest", ["self._url", "query_params=self._query_params", "headers=self._headers"], 8)
    return module_text(ctx, "The requests the connector sends, as the recording shows them.", imports, body)


def _path_expr(path: tuple[str, ...] | None) -> str:
    if path is None or path == ():
        return "RootPath()"
    if len(path) == 1:
        return f"FieldPath({literal(path[0])})"
    return f"NestedPath({data(list(path), 0)[0]})"


def _path_names(path: tuple[str, ...] | None) -> str:
    if path is None or path == ():
        return "RootPath"
    return "FieldPath" if len(path) == 1 else "NestedPath"


def render_response_builder(ctx: Context) -> str:
    names = {"RecordBuilder", "find_template"}
    if any(s.records_path is not None for s in ctx.streams):
        names |= {"HttpResponseBuilder", "create_record_builder", "create_response_builder"}
    needs_link = any(s.pagination and s.pagination.kind == "link" for s in ctx.streams)
    functions: list[str] = []
    for stream in ctx.streams:
        name = identifier(stream.name)
        template = literal(stream.name)
        if functions:
            functions += ["", ""]
        if stream.records_path is None:
            functions += _object_builders(stream, names)
            continue
        records = _path_expr(stream.records_path)
        names.add(_path_names(stream.records_path))
        pagination = stream.pagination
        if pagination and pagination.kind == "cursor" and pagination.body_path:
            names.add("FieldUpdatePaginationStrategy")
            names.add(_path_names(pagination.body_path))
            token = stream.pages[0].next_token if stream.pages and stream.pages[0].next_token else "next"
            token_name = identifier(pagination.param or "next_token")
            functions += signature(
                f"{name}_response", f"{token_name}: str = {literal(token)}", " -> HttpResponseBuilder", 0
            )
            field = ".".join(pagination.body_path)
            functions += [
                f'    """A page of {stream.name}; `.with_pagination()` sets `{field}`: another page follows."""'
            ]
            functions += call(
                "return create_response_builder",
                [
                    f"find_template({template}, __file__)",
                    records,
                    f"FieldUpdatePaginationStrategy({_path_expr(pagination.body_path)}, {token_name})",
                ],
                4,
            )
        else:
            functions += [f"def {name}_response() -> HttpResponseBuilder:"]
            functions += call("return create_response_builder", [f"find_template({template}, __file__)", records], 4)
        functions += ["", "", f"def {name}_record() -> RecordBuilder:"]
        args = [f"find_template({template}, __file__)", records]
        if stream.id_path:
            names.add(_path_names(stream.id_path))
            args.append(f"record_id_path={_path_expr(stream.id_path)}")
        if stream.cursor_path:
            names.add(_path_names(stream.cursor_path))
            args.append(f"record_cursor_path={_path_expr(stream.cursor_path)}")
        functions += call("return create_record_builder", args, 4)
    functions += ["", ""]
    functions += signature(
        "error_response", "status_code: int, headers: dict[str, str] | None = None", " -> HttpResponse", 0
    )
    functions += ['    """The error body of `status_code`, from the template `<status_code>.json`."""']
    body = "json.dumps(find_template(str(status_code), __file__))"
    functions += call("return HttpResponse", [body, "status_code", "headers or {}"], 4)
    if needs_link:
        functions += ["", "", "def with_next_page(response: HttpResponse, url: str) -> HttpResponse:"]
        functions += ['    """The response with a `Link` header to the next page, as the API sends it."""']
        functions += ['    headers = {"Link": f\'<{url}>; rel="next"\'}']
        functions += ["    return HttpResponse(response.body, response.status_code, headers)"]
    groups = [
        ["import json"],
        [
            "from airbyte_cdk.test.mock_http import HttpResponse",
            from_import("airbyte_cdk.test.mock_http.response_builder", sorted(names)),
        ],
    ]
    doc = "Responses built from the recorded templates in resource/http/response/."
    return module_text(ctx, doc, import_sections(groups), functions)


def _object_builders(stream: StreamModel, names: set[str]) -> list[str]:
    """A stream whose responses are one object each (e.g. a substream's detail endpoint)."""
    name, template = identifier(stream.name), literal(stream.name)
    lines = [f"def {name}_response(record: RecordBuilder) -> HttpResponse:"]
    lines += [f'    """One {stream.name} object: the API answers a single record per request."""']
    lines += ["    return HttpResponse(json.dumps(record.build()))", "", ""]
    lines += [f"def {name}_record() -> RecordBuilder:"]
    id_path = _path_expr(stream.id_path) if stream.id_path else "None"
    cursor_path = _path_expr(stream.cursor_path) if stream.cursor_path else "None"
    for path in (stream.id_path, stream.cursor_path):
        if path:
            names.add(_path_names(path))
    lines += call("return RecordBuilder", [f"find_template({template}, __file__)", id_path, cursor_path], 4)
    return lines


def render_utils(ctx: Context) -> str:
    spec = ctx.source
    third = [
        "from airbyte_cdk.models import AirbyteStateMessage, ConfiguredAirbyteCatalog, SyncMode",
        "from airbyte_cdk.test.catalog_builder import CatalogBuilder",
        from_import("airbyte_cdk.test.entrypoint_wrapper", ["EntrypointOutput"]),
        "from airbyte_cdk.test.entrypoint_wrapper import read as entrypoint_read",
    ]
    std = ["import functools", "from typing import Any"]
    third.append("from airbyte_cdk.sources.declarative import concurrent_declarative_source")
    first: list[str] = []
    if spec.manifest is not None:
        std.append("from pathlib import Path")
        third.append("from airbyte_cdk.sources.declarative.yaml_declarative_source import YamlDeclarativeSource")
        source_type = "YamlDeclarativeSource"
    else:
        first.append(f"from {spec.module} import {spec.name}")
        source_type = str(spec.name)
    third = merge_from_imports(third)
    imports = import_sections([std, third, first])
    body = comment(
        "The CDK parses its declarative component schema (a large YAML file) again for every source it "
        "builds: parse it once, which halves the time each test takes."
    )
    module = "concurrent_declarative_source"
    body += ["_SCHEMA_LOADERS = (", '    "get_declarative_component_schema",  # airbyte-cdk 7']
    body += ['    "_get_declarative_component_schema",  # late airbyte-cdk 6.x releases', ")"]
    body += ["for _loader in _SCHEMA_LOADERS:", f"    if hasattr({module}, _loader):"]
    body += call("setattr", [module, "_loader", f"functools.cache(getattr({module}, _loader))"], 8)
    if spec.manifest is not None:
        body += [f"_MANIFEST = Path(__file__).parent / {literal(spec.manifest)}"]
    body += ["", ""]
    body += ["def catalog(stream_name: str, sync_mode: SyncMode) -> ConfiguredAirbyteCatalog:"]
    body += ["    return CatalogBuilder().with_stream(stream_name, sync_mode).build()", "", ""]
    body += [
        "def source(",
        "    config: dict[str, Any],",
        "    catalog: ConfiguredAirbyteCatalog,",
        "    state: list[AirbyteStateMessage] | None = None,",
        f") -> {source_type}:",
    ]
    if spec.manifest is not None:
        body += call(
            "return YamlDeclarativeSource",
            ["str(_MANIFEST.resolve())", "catalog=catalog", "config=config", "state=state"],
            4,
        )
    else:
        body += call(f"return {spec.name}", [f"{k}={k}" for k in spec.kwargs], 4)
    body += [
        "",
        "",
        "def read(",
        "    stream_name: str,",
        "    config: dict[str, Any],",
        "    sync_mode: SyncMode = SyncMode.full_refresh,",
        "    state: list[AirbyteStateMessage] | None = None,",
        "    expecting_exception: bool = False,",
        ") -> EntrypointOutput:",
        '    """Read one stream as the platform would, through the CDK\'s entrypoint."""',
        "    configured = catalog(stream_name, sync_mode)",
    ]
    body += call(
        "return entrypoint_read",
        ["source(config, configured, state)", "config", "configured", "state", "expecting_exception"],
        4,
    )
    what = "manifest.yaml" if spec.manifest is not None else f"{spec.module}.{spec.name}"
    return module_text(ctx, f"How the tests run the connector ({what}) and read one stream.", imports, body)
