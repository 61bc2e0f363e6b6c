"""The endpoints under load, each checked once by hand before wrk is pointed at it."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import requests

from bench.common import CONCIERGE_EMAIL, Server, hub
from bench.seed import SeedInfo
from bench.wrk import Target

DEEP_PAGES = 40  # how many "next" links the deep-page targets follow first
_NEXT_LINK = re.compile(
    r'<a\b[^>]*\brel="next"[^>]*>|<a\b[^>]*href="[^"]*\b(?:cursor|after)=[^"]*"[^>]*>'
)
_HREF = re.compile(r'href="([^"]+)"')


def _api_next(server: Server, token: str, path: str) -> str | None:
    reply = requests.get(
        server.base + path, headers={"Authorization": f"Bearer {token}"}, timeout=60
    )
    cursor = reply.json().get("next_cursor") if reply.status_code == 200 else None
    if not cursor:
        return None
    return "/api/v1/orders?cursor=" + quote(str(cursor), safe="")


def _page_next(server: Server, cookie: str, path: str) -> str | None:
    reply = requests.get(server.base + path, headers={"Cookie": cookie}, timeout=60)
    match = _NEXT_LINK.search(reply.text)
    href = _HREF.search(match.group(0)) if match else None
    if href is None:
        return None
    target = html.unescape(href.group(1))
    return target if target.startswith("/") else "/orders" + target


def _deep(follow: Callable[[str], str | None], start: str) -> str | None:
    path: str | None = start
    for _ in range(DEEP_PAGES):
        path = follow(path) if path else None
    return path


def _works(server: Server, target: Target, *, looks_like: str) -> str | None:
    """Return why the target cannot be measured yet, or None when it answers as expected."""
    body = None
    if target.body_template is not None:
        body = target.body_template.replace("{customer_id}", "1").encode()
    reply = requests.request(
        target.method, server.base + target.paths[0], headers=target.headers, data=body,
        timeout=60, allow_redirects=False,
    )  # fmt: skip
    if reply.status_code != target.expected_status:
        return f"HTTP {reply.status_code}"
    if looks_like not in reply.text:
        return f"answer has no {looks_like!r}"
    return None


def targets(server: Server, info: SeedInfo) -> list[Target]:
    """Build the targets for this server; the ones not (yet) served are reported and left out."""
    token = hub(server.ledger, "token", "create", CONCIERGE_EMAIL, "--label", "bench").strip()
    cookie = server.login()
    api = {"Authorization": f"Bearer {token}"}
    page = {"Cookie": cookie}
    since = (datetime.now(UTC) - timedelta(days=7)).strftime("%Y-%m-%dT%H:%M:%SZ")
    codes: list[str] = [c for c in ("CLEANING", "PARCEL") if c in info.service_codes]
    codes = codes if len(codes) == 2 else list(info.service_codes[:2])
    body = json.dumps({
        "customer_id": 0,
        "lines": [{"service_code": codes[0], "quantity": "1,5"},
                  {"service_code": codes[1], "quantity": 2, "unit_price": "3,50"}],
        "notes": "bench",
    }).replace('"customer_id": 0', '"customer_id": {customer_id}')  # fmt: skip
    wanted: list[tuple[Target | None, str]] = [
        (Target("healthz", ("/healthz",)), '"ok"'),
        (
            Target(
                "api_create",
                ("/api/v1/orders",),
                method="POST",
                headers={**api, "Content-Type": "application/json"},
                body_template=body,
                customers=info.customers,
                expected_status=201,
            ),
            '"ref"',
        ),
        (Target("api_list", ("/api/v1/orders",), headers=api), "C-20"),
        (
            Target("api_list_updated", (f"/api/v1/orders?updated_since={since}",), headers=api),
            '"data"',
        ),
    ]
    deep_api = _deep(lambda p: _api_next(server, token, p), "/api/v1/orders")
    wanted.append((Target("api_list_deep", (deep_api,), headers=api) if deep_api else None, "C-20"))
    wanted.append((Target("page_orders", ("/orders",), headers=page), "C-20"))
    wanted.append(
        (Target("page_orders_status", ("/orders?status=scheduled",), headers=page), "C-20")
    )
    search = "/orders?q=" + quote(info.sample_email, safe="")
    wanted.append((Target("page_orders_search", (search,), headers=page), "C-20"))
    deep_page = _deep(lambda p: _page_next(server, cookie, p), "/orders")
    wanted.append(
        (Target("page_orders_deep", (deep_page,), headers=page) if deep_page else None, "C-20")
    )
    chosen = []
    for target, looks_like in wanted:
        if target is None:
            print("  skipped a deep-page target: no next link to follow", flush=True)
            continue
        why = _works(server, target, looks_like=looks_like)
        if why is None:
            chosen.append(target)
        else:
            print(f"  skipped {target.name}: {why}", flush=True)
    return chosen
