"""A stand-in for a Cart.com (AmeriCommerce) store's REST API over HTTPS on 127.0.0.1, for tools/real/cart.sh.

  python tools/real/cart_api.py CERT KEY TOKEN      prints the port, serves until killed (or 15 minutes)

  GET /api/v1/<resource>?count=N[&page=P][&sort=updated_at&updated_at=gt:<iso>]
      {"<data field>": [...], "next_page": "https://127.0.0.1:<port>/api/v1/<resource>?page=P+1" | null}

Every request needs ``X-AC-Auth-Token: TOKEN``, else 401.  Records are the same for every resource:
``id`` and ``updated_at``, filtered by ``updated_at=gt:<iso>``; 2 records a page.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests" / "fixtures"))

from json_api import Answer, JsonAPI

DATA_FIELDS = {"order_payments": "payments", "order_items": "items"}
RECORDS = [{"id": n, "updated_at": f"2026-10-{n:02d}T10:00:00Z", "name": f"thing {n}"} for n in range(1, 6)]
PAGE = 2


class CartAPI(JsonAPI):
    def answer(self, path: str, query: dict[str, str], headers: Any) -> Answer:
        if headers.get("X-AC-Auth-Token") != self.key:
            return 401, {"message": "Authorization has been denied for this request."}
        resource = path.removeprefix("/api/v1/")
        since = query.get("updated_at", "gt:").removeprefix("gt:").split(" AND ")[0]
        matching = [r for r in RECORDS if r["updated_at"] > since]
        page = int(query.get("page", "1"))
        more = page * PAGE < len(matching)
        next_page = f"{self.root}/api/v1/{resource}?page={page + 1}" if more else None
        return 200, {
            DATA_FIELDS.get(resource, resource): matching[(page - 1) * PAGE : page * PAGE],
            "next_page": next_page,
        }


if __name__ == "__main__":
    cert, key, token = sys.argv[1:4]
    with CartAPI(token, lifetime=900, tls=(cert, key)) as api:
        print(api.port, flush=True)
        time.sleep(900)
