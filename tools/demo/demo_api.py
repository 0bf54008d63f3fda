"""The demo API that the bundled demo connector (``source-demo``) reads from.  stdlib only, 127.0.0.1 only.

Endpoints (all need ``Authorization: Bearer <key>`` *and* ``?api_key=<key>``, else 401):
  GET /v1/users?limit=N[&next_token=T]              cursor pagination: {"data": [...], "next_token": "5"|null}
  GET /v1/users/<id>                                one user's plan (the substream)
  GET /v1/events?created[gte]=ISO&created[lte]=ISO  events at 03:00Z and 15:00Z daily since 2026-09-01,
                                                    never later than the server's clock
Flaky mode answers the first users page-2 request with 429 (Retry-After: 1) and the first events request
with 500, once each.  Every request served is appended to ``access_log``.

Run it:  python tools/demo/demo_api.py [--port 8765] [--key KEY] [--flaky]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

DEFAULT_KEY = "demo-key-7d1c0f9a"
DEFAULT_PORT = 8765
USERS = [
    {"id": i, "name": f"user{i}", "email": f"user{i}@example.com", "team": ["red", "green", "blue"][i % 3]}
    for i in range(1, 13)
]
EVENTS_START = dt.datetime(2026, 9, 1, tzinfo=dt.timezone.utc)
ISO = "%Y-%m-%dT%H:%M:%SZ"


def events_between(lo: dt.datetime, hi: dt.datetime) -> list[dict[str, Any]]:
    out = []
    day = max(EVENTS_START, lo.replace(hour=0, minute=0, second=0, microsecond=0))
    while day <= hi:
        for hour, kind in ((3, "login"), (15, "purchase")):
            t = day.replace(hour=hour)
            if lo <= t <= hi:
                epoch = int(t.timestamp())
                out.append(
                    {
                        "id": f"evt_{epoch}",
                        "type": kind,
                        "created": t.strftime(ISO),
                        "user_id": 1 + (epoch // 86400 + hour) % len(USERS),
                        "amount": (epoch // 3600) % 97,
                    }
                )
        day += dt.timedelta(days=1)
    return out


class DemoAPI:
    """A running demo API; use as a context manager or call start()/stop()."""

    def __init__(
        self,
        port: int = 0,
        key: str = DEFAULT_KEY,
        flaky: bool = False,
        now: dt.datetime | None = None,
        forbidden: tuple[str, ...] = (),
    ) -> None:
        self.key = key
        self.flaky = flaky
        self.forbidden = forbidden  # paths answered 403 every time (a token that lost a scope)
        self.now = now  # the API's clock (tests pin it so that its data stays put); None: the real clock
        self.access_log: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._seen: set[str] = set()
        self._server = ThreadingHTTPServer(("127.0.0.1", port), self._handler())
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> DemoAPI:
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> DemoAPI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _first_time(self, tag: str) -> bool:
        with self._lock:
            if tag in self._seen:
                return False
            self._seen.add(tag)
            return True

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _send(self, code: int, body: Any, headers: dict[str, str] | None = None) -> None:
                raw = json.dumps(body).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(raw)

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                query = dict(parse_qsl(parts.query, keep_blank_values=True))
                with api._lock:
                    api.access_log.append(
                        {
                            "method": "GET",
                            "path": parts.path,
                            "query": sorted(parse_qsl(parts.query, keep_blank_values=True)),
                        }
                    )
                if self.headers.get("Authorization") != f"Bearer {api.key}" or query.get("api_key") != api.key:
                    return self._send(401, {"error": "invalid api key"})
                if parts.path in api.forbidden:
                    return self._send(403, {"error": f"the token lacks the scope for {parts.path}"})
                if parts.path == "/v1/users":
                    limit = int(query.get("limit", "5"))
                    start = int(query.get("next_token", "0"))
                    if api.flaky and start > 0 and api._first_time("users429"):
                        return self._send(429, {"error": "rate limited"}, {"Retry-After": "1"})
                    page = USERS[start : start + limit]
                    nxt = start + limit if start + limit < len(USERS) else None
                    return self._send(200, {"data": page, "next_token": None if nxt is None else str(nxt)})
                if parts.path.startswith("/v1/users/"):
                    uid = int(parts.path.rsplit("/", 1)[1])
                    if not 1 <= uid <= len(USERS):
                        return self._send(404, {"error": "no such user"})
                    return self._send(200, {"user_id": uid, "plan": "pro" if uid % 2 else "free", "seats": uid % 5 + 1})
                if parts.path == "/v1/events":
                    if api.flaky and api._first_time("events500"):
                        return self._send(500, {"error": "boom"})
                    try:
                        lo = dt.datetime.strptime(query["created[gte]"], ISO).replace(tzinfo=dt.timezone.utc)
                        hi = dt.datetime.strptime(query["created[lte]"], ISO).replace(tzinfo=dt.timezone.utc)
                    except (KeyError, ValueError) as exc:
                        return self._send(400, {"error": f"bad window: {exc}"})
                    now = api.now or dt.datetime.now(dt.timezone.utc)
                    return self._send(200, {"data": events_between(lo, min(hi, now))})
                return self._send(404, {"error": "not found"})

        return Handler


def main() -> None:
    parser = argparse.ArgumentParser(description="Run the replaykit demo API on 127.0.0.1.")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--key", default=DEFAULT_KEY)
    parser.add_argument("--flaky", action="store_true", help="answer one 429 and one 500")
    args = parser.parse_args()
    api = DemoAPI(args.port, args.key, args.flaky)
    print(f"demo API on {api.base_url} (key {args.key!r}); Ctrl-C stops it", flush=True)
    try:
        api._server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
