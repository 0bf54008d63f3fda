"""From a recording (and the manifest's hints) to one :class:`StreamModel` per stream: its endpoint,
records path, id and cursor fields, pagination, the recorded pages, windows, state and errors."""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from typing import Any, Literal

from replaykit import json_paths
from replaykit.invocations import Invocation
from replaykit.mocks.manifest import Parent, StreamHints
from replaykit.mocks.pagination import PAGE_SIZE_NAMES, Pagination, detect_pagination, next_link, order_pages
from replaykit.mocks.recording import Exchange, Recording
from replaykit.scrub import PLACEHOLDER_RE


@dataclass(frozen=True)
class Page:
    """One recorded request of a read, with what its response held."""

    params: dict[str, str]  # the varying query parameters only
    count: int  # records in the response
    next_token: str | None  # cursor: token; link: next URL; offset/page: None
    first_id: Any = None
    last_cursor: str | None = None  # the greatest cursor value of its records
    ids: tuple[Any, ...] = ()  # every record's id, in order


@dataclass(frozen=True)
class StateRead:
    """A recorded read with an input state (an incremental test's second read)."""

    invocation: str
    now: str  # the instant it was recorded at
    state_value: str
    pages: list[Page]


@dataclass(frozen=True)
class Errors:
    """Error responses: recorded when the recording has them, else synthesised (``recorded`` says which)."""

    auth_status: int
    auth_body: Any
    auth_recorded: bool
    retry_bodies: dict[int, Any]
    retry_recorded: dict[int, bool]
    retry_headers: dict[int, dict[str, str]]


@dataclass
class StreamModel:
    name: str
    method: str
    base_url: str
    path: str
    constant_params: dict[str, str]
    auth_headers: dict[str, str]
    records_path: tuple[str, ...] | None  # None: the body is one record; (): the body is a list
    id_path: tuple[str, ...] | None
    cursor_path: tuple[str, ...] | None
    template: Any
    now: str  # the instant the full-refresh read was recorded at
    invocation: str
    pages: list[Page]  # the full-refresh read's requests, window by window, page by page
    pagination: Pagination | None = None
    page_size_param: str | None = None
    page_size: int | None = None
    start_param: str | None = None
    end_param: str | None = None
    start_config_key: str | None = None  # the config key whose value is the first window's start
    incremental: bool = False
    state_read: StateRead | None = None
    errors: Errors | None = None
    skipped: list[str] = field(default_factory=list)  # scenarios the recording cannot support, with why
    parent: Parent | None = None  # a substream: its parent stream and partition field
    parent_model: StreamModel | None = None
    path_template: str | None = None  # a substream: its path, e.g. "/v1/users/{user_id}"

    @property
    def varying(self) -> list[str]:
        names = [self.page_size_param, *(self.pagination.params if self.pagination else ())]
        names += [self.start_param, self.end_param]
        return list(dict.fromkeys(n for n in names if n))

    @property
    def last_window(self) -> list[Page]:
        """The pages of the last cursor window (all pages when the stream has no windows)."""
        if not self.start_param:
            return self.pages
        last = self.pages[-1].params.get(self.start_param)
        return [p for p in self.pages if p.params.get(self.start_param) == last]


@dataclass(frozen=True)
class Skipped:
    stream: str
    reason: str


# --------------------------------------------------------------------------- helpers


def _set(value: Any, path: tuple[str, ...], item: Any) -> None:
    for key in path[:-1]:
        value = value.setdefault(key, {})
    value[path[-1]] = item


def _trim(value: Any) -> Any:
    """One element per list, everywhere."""
    if isinstance(value, list):
        return [_trim(v) for v in value[:1]]
    if isinstance(value, dict):
        return {k: _trim(v) for k, v in value.items()}
    return value


def _records_path(exchange: Exchange, hints: StreamHints | None) -> tuple[str, ...] | Literal["unknown"] | None:
    """Where the records are: a path to a list, () for a bare list, None for one object per response."""
    body = exchange.body
    if hints is not None and hints.records_path is not None:
        if hints.records_path == ():
            return () if isinstance(body, list) else None
        return hints.records_path
    if isinstance(body, list):
        return ()
    if isinstance(body, dict):
        lists = [(k,) for k, v in body.items() if isinstance(v, list) and (not v or isinstance(v[0], dict))]
        if len(lists) == 1:
            return lists[0]
        if not lists:
            return None
    return "unknown"


def _path_matches(exchange: Exchange, name: str, hints: StreamHints | None) -> bool:
    pattern = hints.path_pattern() if hints else None
    if pattern is not None:
        return pattern.fullmatch(exchange.path) is not None
    segments = [s for s in exchange.path.split("/") if s]  # without a manifest: the path ends with the name
    return bool(segments) and segments[-1].replace("-", "_").lower() == name.lower()


def _in_catalog(invocation: Invocation, name: str) -> str | None:
    for configured in (invocation.catalog or {}).get("streams", []):
        if configured["stream"].get("name") == name:
            return str(configured.get("sync_mode"))
    return None


def _state_value(invocation: Invocation, name: str, cursor: str | None) -> str | None:
    for message in invocation.state or []:
        stream = message.get("stream") or {}
        if (stream.get("stream_descriptor") or {}).get("name") == name and cursor:
            value = (stream.get("stream_state") or {}).get(cursor)
            return None if value is None else str(value)
    return None


# --------------------------------------------------------------------------- the model


def _page(exchange: Exchange, model: StreamModel) -> Page:
    records = exchange.records(model.records_path) or []
    token: str | None = None
    if model.pagination and model.pagination.kind == "cursor":
        value = json_paths.get(exchange.body, model.pagination.body_path)
        token = None if value in (None, "") else str(value)
    elif model.pagination and model.pagination.kind == "link":
        token = next_link(exchange)
    first_id = (
        json_paths.get(records[0], model.id_path)
        if records and model.id_path and isinstance(records[0], dict)
        else None
    )
    cursors = [str(v) for r in records if model.cursor_path and (v := json_paths.get(r, model.cursor_path)) is not None]
    params = {k: v for k, v in exchange.query if k in model.varying}
    ids = tuple(json_paths.get(r, model.id_path) for r in records if model.id_path and isinstance(r, dict))
    return Page(params, len(records), token, first_id, max(cursors) if cursors else None, ids)


def _pages(exchanges: list[Exchange], model: StreamModel) -> list[Page]:
    windows: dict[tuple[str, str], list[Exchange]] = {}
    for exchange in exchanges:
        key = (exchange.params.get(model.start_param or "", ""), exchange.params.get(model.end_param or "", ""))
        windows.setdefault(key, []).append(exchange)
    pages: list[Page] = []
    for key in sorted(windows):
        pages += [_page(e, model) for e in order_pages(windows[key], model.pagination)]
    return pages


def _auth_headers(exchange: Exchange) -> dict[str, str]:
    return {
        name: value
        for name, value in sorted(exchange.headers.items())
        if PLACEHOLDER_RE.search(value) or name.lower() in ("authorization", "x-api-key", "api-key")
    }


def _errors(recording: Recording, exchanges: list[Exchange]) -> Errors:
    """The stream's own recorded 429 / 500 first, then any stream's, else synthesised bodies."""
    everything = [e for items in recording.exchanges.values() for e in items]
    auth = next((e for e in everything if e.status in (401, 403)), None)
    bodies: dict[int, Any] = {}
    recorded: dict[int, bool] = {}
    headers: dict[int, dict[str, str]] = {}
    for status, synthetic in ((429, {"error": "rate limited"}), (500, {"error": "internal server error"})):
        seen = next((e for e in exchanges if e.status == status), None) or next(
            (e for e in everything if e.status == status), None
        )
        bodies[status] = seen.body if seen is not None and seen.body is not None else synthetic
        recorded[status] = seen is not None
        retry_after = seen.response_headers.get("retry-after") if seen is not None else None
        headers[status] = {"Retry-After": retry_after} if retry_after else {}
    return Errors(
        auth_status=auth.status if auth else 401,
        auth_body=auth.body if auth is not None and auth.body is not None else {"error": "unauthorized"},
        auth_recorded=auth is not None,
        retry_bodies=bodies,
        retry_recorded=recorded,
        retry_headers=headers,
    )


def _key_path(value: Any) -> tuple[str, ...] | None:
    if isinstance(value, list) and value:
        first = value[0]
        if isinstance(first, list) and len(value) == 1 and first:
            return tuple(str(p) for p in first)
        if isinstance(first, str) and len(value) == 1:
            return (first,)
    if isinstance(value, str):
        return (value,)
    return None


def _choose_record(records: list[Any], paths: list[tuple[str, ...]]) -> Any:
    """A record whose id and cursor are truthy (the CDK's RecordBuilder insists)."""
    for record in records:
        if isinstance(record, dict) and all(json_paths.get(record, p) for p in paths):
            return record
    return records[0] if records else {}


def analyse_stream(
    recording: Recording, name: str, hints: StreamHints | None, parents: dict[str, StreamModel] | None = None
) -> StreamModel | Skipped:
    """The stream's model; a substream needs its parent's model in ``parents``."""
    parent_model: StreamModel | None = None
    if hints is not None and hints.parent is not None:
        parent_model = (parents or {}).get(hints.parent.stream)
        reason = _substream_problem(hints, parent_model)
        if reason:
            return Skipped(name, reason)
    reads = [i for i in recording.reads if _in_catalog(i, name) and i.exit_code == 0]
    fresh = [i for i in reads if not i.state]
    exchanges: list[Exchange] = []
    invocation: Invocation | None = None
    for candidate in fresh:
        found = [
            e for e in recording.exchanges.get(candidate.id, []) if e.status == 200 and _path_matches(e, name, hints)
        ]
        if found:
            exchanges, invocation = found, candidate
            break
    if invocation is None:
        return Skipped(name, "no recorded read has a successful request for it")
    if hints is not None and hints.cursor is not None:
        start_param, end_param = hints.cursor.start_param, hints.cursor.end_param
    else:
        start_param, end_param = _window_params(exchanges, recording.replay_config(), invocation.frozen_at)
    hinted_size = hints.paginator.page_size_param if hints and hints.paginator else None
    skip = {p for p in (start_param, end_param, hinted_size) if p}
    pagination = detect_pagination(exchanges, hints, skip | set(PAGE_SIZE_NAMES))
    first = order_pages(exchanges, pagination)[0]  # a first page: cassettes are sorted by request
    records_path = _records_path(first, hints)
    if records_path == "unknown":
        return Skipped(name, f"cannot tell where the records are in the response of {first.path}")
    if first.method != "GET":
        return Skipped(name, f"{first.method} {first.path}: only GET endpoints are exported (no request bodies yet)")
    if records_path is None and parent_model is None:
        return Skipped(name, f"{first.path} answers one object, not a list of records")
    catalog = recording.catalog_stream(name)
    id_path = _key_path(catalog.get("source_defined_primary_key")) or (
        hints.primary_key if hints and len(hints.primary_key) == 1 else None
    )
    cursor_path = _key_path(catalog.get("default_cursor_field")) or (
        (hints.cursor.field,) if hints and hints.cursor else None
    )
    paging = pagination.params if pagination else ()
    page_size_param = hinted_size or next((k for k, _ in first.query if k in PAGE_SIZE_NAMES and k not in paging), None)
    skip |= {page_size_param} if page_size_param else set()
    constant = {k: v for k, v in first.query if k not in skip and k not in paging}
    page_size = hints.paginator.page_size if hints and hints.paginator else None
    if page_size is None and page_size_param and first.params.get(page_size_param, "").isdigit():
        page_size = int(first.params[page_size_param])
    model = StreamModel(
        name=name,
        method=first.method,
        base_url=first.base_url,
        path=first.path,
        constant_params=constant,
        auth_headers=_auth_headers(first),
        records_path=records_path,
        id_path=id_path,
        cursor_path=cursor_path,
        template=None,
        now=invocation.frozen_at,
        invocation=invocation.id,
        pages=[],
        pagination=pagination,
        page_size_param=page_size_param,
        page_size=page_size,
        start_param=start_param,
        end_param=end_param,
        incremental="incremental" in catalog.get("supported_sync_modes", []),
    )
    if hints is not None and hints.parent is not None and parent_model is not None and hints.path:
        model.parent, model.parent_model = hints.parent, parent_model
        model.path_template = re.sub(r"\{\{\s*stream_partition\.(\w+)\s*\}\}", r"{\1}", hints.path)
    model.pages = _pages(exchanges, model)
    model.template = _template(exchanges, model)
    config = recording.replay_config()
    if start_param and model.pages:
        first_start = model.pages[0].params.get(start_param)
        model.start_config_key = next((k for k, v in sorted(config.items()) if v == first_start), None)
        if model.start_config_key is None:
            model.skipped.append("one page: the first window's start is no config value, so no read has one window")
    own = [e for items in recording.exchanges.values() for e in items if _path_matches(e, name, hints)]
    model.errors = _errors(recording, own)
    model.state_read = _state_read(recording, reads, model, hints)
    if model.incremental and model.state_read is None:
        model.skipped.append("incremental with state: no recorded read with a state for this stream")
    if pagination is None and model.parent is None:
        model.skipped.append("two pages: the recording shows no pagination for this stream")
    return model


def _window_params(exchanges: list[Exchange], config: dict[str, Any], now: str) -> tuple[str | None, str | None]:
    """Without a manifest: the parameter that starts at a config value (``start_date``) and, if any, the one
    that ends at the instant of the read: the cursor window the connector asks for."""
    values = {v for v in config.values() if isinstance(v, str) and len(v) >= 8 and not PLACEHOLDER_RE.search(v)}
    start = next((k for e in exchanges for k, v in e.query if v in values), None)
    end = next((k for e in exchanges for k, v in e.query if v == now and k != start), None)
    return start, end


def _substream_problem(hints: StreamHints, parent: StreamModel | None) -> str | None:
    assert hints.parent is not None
    name = hints.parent.stream
    if parent is None:
        return f"a substream of {name}, which is not exported"
    if parent.start_param:
        return f"a substream of {name}, whose reads are windowed by a cursor"
    if parent.id_path != (hints.parent.parent_key,):
        return f"a substream keyed by {name}.{hints.parent.parent_key}, which is not {name}'s primary key"
    if not hints.path or "stream_partition" not in hints.path:
        return f"a substream of {name} whose path does not name its partition"
    return None


def _template(exchanges: list[Exchange], model: StreamModel) -> Any:
    """The first recorded page with records, trimmed to one element per list; the record kept is one whose
    id and cursor are set, and a body-field page token is set to what the last page holds."""
    ordered = order_pages(exchanges, model.pagination)
    source = next((e for e in ordered if e.records(model.records_path)), ordered[0])
    body = _trim(copy.deepcopy(source.body))
    if model.records_path is None:
        return body
    paths = [p for p in (model.id_path, model.cursor_path) if p]
    record = _trim(_choose_record(source.records(model.records_path) or [], paths))
    if model.records_path == ():
        return [record]
    _set(body, model.records_path, [record])
    if model.pagination and model.pagination.kind == "cursor" and model.pagination.body_path:
        _set(body, model.pagination.body_path, model.pagination.last_value)
    return body


def _state_read(
    recording: Recording, reads: list[Invocation], model: StreamModel, hints: StreamHints | None
) -> StateRead | None:
    if not model.incremental or not model.cursor_path or not model.start_param:
        return None
    for invocation in reads:
        value = _state_value(invocation, model.name, model.cursor_path[-1])
        if value is None or value > model.now:
            continue
        exchanges = [
            e
            for e in recording.exchanges.get(invocation.id, [])
            if e.status == 200 and _path_matches(e, model.name, hints)
        ]
        if exchanges:
            return StateRead(invocation.id, invocation.frozen_at, value, _pages(exchanges, model))
    return None
