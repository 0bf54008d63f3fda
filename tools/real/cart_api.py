"""A stand-in for a Cart.com (AmeriCommerce) store's REST API over HTTPS on 127.0.0.1, for tools/real/cart.sh.

  python tools/real/cart_api.py CERT KEY TOKEN      prints the port, serves until killed (or 15 minutes)

  GET /api/v1/<resource>?count=N[&page=P][&sort=updated_at&updated_at=gt:<iso>]
      {"<data field>": [...], "next_page": "https://127.0.0.1:<port>/api/v1/<resource>?page=P+1" | null}

Every request needs ``X-AC-Auth-Token: TOKEN``, else 401.  Records are the same for every resource:
``id`` and ``updated_at``, filtered by ``updated_at=gt:<iso>``; 2 records a page.
"""

from __future__ import annotations

import json
import ssl
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

DATA_FIELDS = {"order_payments": "payments", "order_items": "items"}
RECORDS = [{"id": n, "updated_at": f"2026-10-{n:02d}T10:00:00Z", "name": f"thing {n}"} for n in range(1, 6)]
PAGE = 2


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    token = ""

    def log_message(self, *args: Any) -> None:
        pass

    def _send(self, code: int, body: Any) -> None:
        raw = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        query = dict(parse_qsl(parts.query))
        if self.headers.get("X-AC-Auth-Token") != self.token:
            return self._send(401, {"message": "Authorization has been denied for this request."})
        resource = parts.path.removeprefix("/api/v1/")
        since = query.get("updated_at", "gt:").removeprefix("gt:").split(" AND ")[0]
        matching = [r for r in RECORDS if r["updated_at"] > since]
        page = int(query.get("page", "1"))
        chunk = matching[(page - 1) * PAGE : page * PAGE]
        more = page * PAGE < len(matching)
        port = self.server.server_address[1]
        next_page = f"https://127.0.0.1:{port}/api/v1/{resource}?page={page + 1}" if more else None
        self._send(200, {DATA_FIELDS.get(resource, resource): chunk, "next_page": next_page})


def main() -> None:
    cert, key, Handler.token = sys.argv[1], sys.argv[2], sys.argv[3]
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    print(server.server_address[1], flush=True)
    threading.Timer(900, server.shutdown).start()
    server.serve_forever()


if __name__ == "__main__":
    main()
