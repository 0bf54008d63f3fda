"""How a stream's recorded pages follow each other: the pagination kind (cursor, offset, page, link header)
detected from the exchanges (and the manifest's paginator hint), and the pages in the order they were asked for."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from replaykit import json_paths
from replaykit.mocks.manifest import StreamHints
from replaykit.mocks.recording import Exchange

PAGE_SIZE_NAMES = ("limit", "per_page", "page_size", "pagesize", "pageSize", "count", "size", "max_results")
LINK_NEXT = re.compile(r"<([^>]+)>\s*;\s*rel=\"?next\"?")


@dataclass(frozen=True)
class Pagination:
    kind: str  # cursor | offset | page | link
    param: str | None  # query parameter of the token / offset / page (link: when only one changes)
    body_path: tuple[str, ...] = ()  # cursor: where the next token is in the body
    last_value: Any = None  # cursor: the token field's value on the last page
    link_params: tuple[str, ...] = ()  # link: the query parameters the next link sets

    @property
    def params(self) -> tuple[str, ...]:
        return self.link_params or ((self.param,) if self.param else ())


def next_link(exchange: Exchange) -> str | None:
    match = LINK_NEXT.search(exchange.response_headers.get("link", ""))
    return match.group(1) if match else None


def detect_pagination(exchanges: list[Exchange], hints: StreamHints | None, skip: set[str]) -> Pagination | None:
    by_url = {(e.path, tuple(sorted(e.query))): e for e in exchanges}
    changed: set[str] = set()
    linked = False
    for exchange in exchanges:
        link = next_link(exchange)
        if link:
            parts = urlsplit(link)
            target = by_url.get((parts.path, tuple(sorted(parse_qsl(parts.query, keep_blank_values=True)))))
            if target is not None:
                linked = True
                changed |= {k for k, v in target.query if exchange.params.get(k) != v}
    if linked:
        params = tuple(sorted(changed))
        return Pagination("link", params[0] if len(params) == 1 else None, link_params=params)
    candidates = sorted({k for e in exchanges for k, _ in e.query} - skip)
    if hints and hints.paginator and hints.paginator.token_param:
        candidates = [hints.paginator.token_param]
    for param in candidates:
        followers = [e for e in exchanges if param in e.params]
        values = {e.params.get(param) for e in exchanges}
        if not followers or len(values) < 2:
            continue
        for follower in followers:
            token = follower.params[param]
            for exchange in exchanges:
                if exchange is follower:
                    continue
                for path, value in json_paths.leaves(exchange.body):
                    if value is not None and str(value) == token and path:
                        last = [e for e in exchanges if json_paths.get(e.body, path) in (None, "")]
                        return Pagination("cursor", param, path, json_paths.get(last[0].body, path) if last else None)
        numbers = sorted(int(v) for v in values if v is not None and v.lstrip("-").isdigit())
        if len(numbers) >= 2 and numbers[1] - numbers[0] == 1:
            return Pagination("page", param)
        if len(numbers) >= 2 or (hints and hints.paginator and hints.paginator.strategy == "OffsetIncrement"):
            return Pagination("offset", param)
    return None


def order_pages(exchanges: list[Exchange], pagination: Pagination | None) -> list[Exchange]:
    """Recorded pages in the order the connector asked for them (cassettes are sorted by request)."""
    if pagination is None or not exchanges:
        return exchanges
    if pagination.kind in ("offset", "page") and pagination.param:
        param = pagination.param
        return sorted(exchanges, key=lambda e: int(e.params.get(param, "0") or 0))
    following: dict[int, Exchange] = {}
    for exchange in exchanges:
        if pagination.kind == "link":
            link = next_link(exchange)
            nxt = [e for e in exchanges if link and _same_url(e, link)]
        else:
            token = json_paths.get(exchange.body, pagination.body_path)
            nxt = [e for e in exchanges if token is not None and e.params.get(pagination.param or "") == str(token)]
        if nxt:
            following[id(exchange)] = nxt[0]
    targets = {id(e) for e in following.values()}
    firsts = [e for e in exchanges if id(e) not in targets]
    ordered: list[Exchange] = []
    for first in firsts:
        current: Exchange | None = first
        while current is not None and current not in ordered:
            ordered.append(current)
            current = following.get(id(current))
    return ordered + [e for e in exchanges if e not in ordered]


def _same_url(exchange: Exchange, url: str) -> bool:
    parts = urlsplit(url)
    return exchange.path == parts.path and sorted(exchange.query) == sorted(
        parse_qsl(parts.query, keep_blank_values=True)
    )
