"""Where each benchmarked request spends its time: Python or SQL, and the plan of its worst query.

    .venv/bin/python -m bench.explain --backend postgresql --size 1m

Runs the same requests as bench.ledger_http, one at a time and in-process (Flask's test client,
no HTTP server, no concurrency), on the cached ledgers. For each: the median time of the whole
request, the time spent inside the database driver, the number of statements, and the plan
of the statement that took longest (EXPLAIN ANALYZE on PostgreSQL, EXPLAIN QUERY PLAN on
SQLite). On SQLite the driver time undercounts: rows are stepped out after execute returns.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from bench import seed
from bench.common import BACKENDS, CONCIERGE_EMAIL, CONCIERGE_PASSWORD, SIZES, Ledger
from hub.config import ENV_PREFIX, environment

REPEAT = 20
SLOW_SECONDS = 0.002  # statements slower than this get their plan printed
ORDER_BODY = {
    "customer_id": 7,
    "lines": [
        {"service_code": "CLEANING", "quantity": "1,5"},
        {"service_code": "PARCEL", "quantity": 2, "unit_price": "3,50"},
    ],
    "notes": "bench",
}


@dataclass
class Recorder:
    """Collect (seconds, statement, parameters) for every statement the engine runs."""

    calls: list[tuple[float, str, Any]] = field(default_factory=list)

    def attach(self, engine: sa.Engine) -> None:
        def before(conn: Any, _cur: Any, _stmt: str, _params: Any, _ctx: Any, _many: Any) -> None:
            conn.info["bench_t0"] = time.perf_counter()

        def after(conn: Any, _cur: Any, stmt: str, params: Any, _ctx: Any, _many: Any) -> None:
            self.calls.append((time.perf_counter() - conn.info["bench_t0"], stmt, params))

        sa.event.listen(engine, "before_cursor_execute", before)
        sa.event.listen(engine, "after_cursor_execute", after)


def _app(ledger: Ledger) -> Flask:
    from hub import create_app

    for key, value in ledger.env().items():
        if key.startswith(ENV_PREFIX):
            os.environ[key] = value
    # One JSON line per request would bury the report.
    os.environ |= environment({"hub": {"log_level": "WARNING"}})
    return create_app()


def _signed_in(app: Flask) -> tuple[FlaskClient, dict[str, str]]:
    from hub import accounts
    from hub.db import get_session, write_transaction

    with app.app_context():
        session = get_session()
        user = accounts.find_user(session, CONCIERGE_EMAIL)
        assert user is not None
        with write_transaction(session):
            token = accounts.create_token(session, user, "bench-explain")
    client = app.test_client()
    page = client.get("/login").text
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert match is not None
    form = {"csrf_token": match.group(1), "email": CONCIERGE_EMAIL, "password": CONCIERGE_PASSWORD}
    assert client.post("/login", data=form).status_code == 302
    return client, {"Authorization": f"Bearer {token}"}


def _plan(engine: sa.Engine, stmt: str, params: Any) -> str:
    prefix = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN ANALYZE "
    with engine.connect() as conn:
        rows = conn.exec_driver_sql(prefix + stmt, params).all()
    if engine.dialect.name == "sqlite":
        return "\n".join(f"{row[3]}" for row in rows)
    return "\n".join(str(row[0]) for row in rows)


def explain(ledger: Ledger) -> None:
    info = seed.ensure(ledger)
    app = _app(ledger)
    from hub.db import get_db

    engine = get_db(app).engine
    recorder = Recorder()
    recorder.attach(engine)
    client, api = _signed_in(app)
    requests = [
        ("GET", "/healthz"),
        ("POST", "/api/v1/orders"),
        ("GET", "/api/v1/orders"),
        ("GET", "/api/v1/orders?status=scheduled"),
        ("GET", "/orders"),
        ("GET", "/orders?status=scheduled"),
        ("GET", "/orders?q=" + quote(info.sample_email, safe="")),
    ]
    print(f"\n== {ledger.backend}, {ledger.size_label} orders (in-process, one request at a time)")
    for method, path in requests:
        body = ORDER_BODY if method == "POST" else None
        totals, sql = [], []
        for attempt in range(REPEAT + 3):
            recorder.calls.clear()
            started = time.perf_counter()
            reply = client.open(path, method=method, headers=api, json=body)
            elapsed = time.perf_counter() - started
            assert reply.status_code in (200, 201), (path, reply.status_code)
            if attempt >= 3:  # the first ones warm caches and pools
                totals.append(elapsed)
                sql.append(sum(call[0] for call in recorder.calls))
        print(
            f"{method:4} {path[:58]:<58} total {statistics.median(totals) * 1000:6.2f} ms"
            f"  in driver {statistics.median(sql) * 1000:6.2f} ms  {len(recorder.calls)} statements"
        )
        slow = sorted(recorder.calls, key=lambda call: call[0], reverse=True)[:2]
        for seconds, stmt, params in slow:
            if stmt.lstrip().upper().startswith("SELECT") and seconds > SLOW_SECONDS:
                print(f"     {seconds * 1000:.2f} ms: " + " ".join(stmt.split())[:300])
                print("     " + _plan(engine, stmt, params).replace("\n", "\n     "))
    engine.dispose()
    seed.trim(ledger, info)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", action="append", choices=BACKENDS)
    parser.add_argument("--size", action="append", choices=sorted(SIZES))
    args = parser.parse_args()
    for backend in args.backend or list(BACKENDS):
        for size in args.size or list(SIZES):
            explain(Ledger(backend, size))


if __name__ == "__main__":
    main()
