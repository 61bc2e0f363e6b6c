"""Order creation and order lists over HTTP, at 10k and 1M orders, beside GET /healthz.

    .venv/bin/python -m bench.ledger_http            # full run (see bench/README.md)
    .venv/bin/python -m bench.ledger_http --quick    # smoke run: 10k only, 1 short run each

For every backend and ledger size: seed (or reuse) the ledger, start the real app with
``hub serve`` (gunicorn, 2 workers), sign in as a concierge and make an API token, then load
each endpoint with wrk, in rounds. Each round measures ``GET /healthz`` first, so each figure
has a trivial endpoint measured beside it, under the same machine noise.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from bench import endpoints, seed
from bench.common import BACKENDS, ROOT, SIZES, Ledger, Server
from bench.wrk import Sample, run

RESULTS = ROOT / "bench" / "results"
CREATE_GOAL = 3.0  # order create p50 within this multiple of /healthz's
FLAT_TOLERANCE = 1.5  # a list is "flat" if its p50 at 1M is within this multiple of its p50 at 10k


@dataclass(frozen=True)
class Row:
    backend: str
    size: str
    endpoint: str
    p50_ms: float
    p99_ms: float
    rps: float
    ratio: float  # median over rounds of p50 / the same round's /healthz p50
    requests: int
    load: tuple[float, float]  # 1-minute load average before and after this ledger's rounds


def measure(ledger: Ledger, args: argparse.Namespace) -> list[Row]:
    """Seed or reuse the ledger, serve it, and load every available endpoint in rounds."""
    info = seed.ensure(ledger, reseed=args.reseed)
    load_before = os.getloadavg()[0]
    print(f"  load average before: {load_before:.1f}", flush=True)
    with Server(ledger, workers=args.workers) as server:
        targets = endpoints.targets(server, info)
        for t in targets:
            print(f"  {t.name}: {t.method} {t.paths[0][:90]}", flush=True)
        samples: dict[str, list[Sample]] = {t.name: [] for t in targets}
        for t in targets:  # warm caches and pools before anything is recorded
            run(server.base, t, seconds=args.warmup, connections=args.connections, threads=1)
        for round_no in range(1, args.runs + 1):
            for t in targets:
                sample = run(
                    server.base,
                    t,
                    seconds=args.duration,
                    connections=args.connections,
                    threads=args.threads,
                )
                samples[t.name].append(sample)
                print(
                    f"  round {round_no} {t.name:<22} p50 {sample.p50_ms:8.2f} ms  "
                    f"p99 {sample.p99_ms:8.2f} ms  {sample.rps:8.1f} req/s",
                    flush=True,
                )
    seed.trim(ledger, info)
    load_after = os.getloadavg()[0]
    print(f"  load average after: {load_after:.1f}", flush=True)
    trivial = samples["healthz"]
    rows = []
    for name, runs in samples.items():
        rows.append(
            Row(
                backend=ledger.backend,
                size=ledger.size_label,
                endpoint=name,
                p50_ms=statistics.median(s.p50_ms for s in runs),
                p99_ms=statistics.median(s.p99_ms for s in runs),
                rps=statistics.median(s.rps for s in runs),
                ratio=statistics.median(
                    s.p50_ms / h.p50_ms for s, h in zip(runs, trivial, strict=True)
                ),
                requests=sum(s.requests for s in runs),
                load=(load_before, load_after),
            )
        )
    return rows


def table(rows: list[Row]) -> str:
    head = ("backend", "ledger", "endpoint", "p50 ms", "p99 ms", "req/s", "x trivial")
    body = [
        (
            r.backend,
            r.size,
            r.endpoint,
            f"{r.p50_ms:.2f}",
            f"{r.p99_ms:.2f}",
            f"{r.rps:.0f}",
            f"{r.ratio:.2f}",
        )
        for r in rows
    ]
    widths = [max(len(x[i]) for x in [head, *body]) for i in range(len(head))]
    lines = ["| " + " | ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)) + " |"]
    lines.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for cells in body:
        lines.append(
            "| "
            + " | ".join(
                c.ljust(w) if i < 3 else c.rjust(w)
                for i, (c, w) in enumerate(zip(cells, widths, strict=True))
            )
            + " |"
        )
    return "\n".join(lines)


def verdicts(rows: list[Row]) -> list[str]:
    """Say, goal by goal, what met it and what missed it."""
    out = []
    for r in rows:
        if r.endpoint == "api_create":
            ok = r.ratio < CREATE_GOAL
            out.append(
                f"{'ok  ' if ok else 'MISS'} create under {CREATE_GOAL:g}x trivial: "
                f"{r.backend} {r.size}: {r.ratio:.2f}x"
            )
    by_key = {(r.backend, r.size, r.endpoint): r for r in rows}
    for r in rows:
        small = by_key.get((r.backend, "10k", r.endpoint))
        if r.size != "1m" or small is None or not r.endpoint.startswith(("api_list", "page_")):
            continue
        growth = r.p50_ms / small.p50_ms
        ok = growth <= FLAT_TOLERANCE
        out.append(
            f"{'ok  ' if ok else 'MISS'} flat 10k -> 1M: {r.backend} {r.endpoint}: p50 "
            f"{small.p50_ms:.2f} -> {r.p50_ms:.2f} ms ({growth:.2f}x; x trivial "
            f"{small.ratio:.1f} -> {r.ratio:.1f})"
        )
    return out


def report(rows: list[Row], seconds: float) -> None:
    print()
    print(table(rows))
    print()
    print("\n".join(verdicts(rows)))
    loads = {(r.backend, r.size): r.load for r in rows}
    print(
        "1-min load average before/after: "
        + "; ".join(
            f"{b} {s} {before:.1f}/{after:.1f}" for (b, s), (before, after) in loads.items()
        )
    )
    print(f"\nTook {seconds / 60:.1f} min.")


def machine() -> dict[str, str]:
    def sh(*cmd: str) -> str:
        return subprocess.run(cmd, capture_output=True, text=True, check=False).stdout.strip()

    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": sh("nproc"),
        "free -h": sh("free", "-h"),
        "cpu": next(
            (
                x.split(":", 1)[1].strip()
                for x in sh("lscpu").splitlines()
                if x.startswith("Model name")
            ),
            platform.processor(),
        ),
        "python": platform.python_version(),
        "postgresql": sh(
            "psql", "-h", "127.0.0.1", "-U", "postgres", "-tAc", "SHOW server_version"
        ),
        "wrk": "/usr/bin/wrk (Debian 4.1.0)",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", action="append", choices=BACKENDS)
    parser.add_argument("--size", action="append", choices=sorted(SIZES))
    parser.add_argument("--runs", type=int, default=3, help="rounds per endpoint (median)")
    parser.add_argument("--duration", type=float, default=10, help="seconds per wrk run")
    parser.add_argument("--warmup", type=float, default=2, help="seconds per endpoint, unrecorded")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--threads", type=int, default=1, help="wrk threads")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--reseed", action="store_true", help="rebuild cached ledgers")
    parser.add_argument("--quick", action="store_true", help="10k only, 1 run of 3 s each")
    parser.add_argument("--report", type=Path, help="reprint the table of a saved results file")
    args = parser.parse_args()
    if args.report:
        saved = json.loads(args.report.read_text())
        print(f"{saved['machine']['date']}: {saved['args']}")
        report([Row(**{**r, "load": tuple(r["load"])}) for r in saved["rows"]], saved["seconds"])
        return
    if args.quick:
        args.size = args.size or ["10k"]
        args.runs, args.duration, args.warmup = 1, 3, 1
    started = time.monotonic()
    facts = machine()
    print(f"{facts['date']}, nproc {facts['nproc']}, wrk -t{args.threads} -c{args.connections}")
    rows: list[Row] = []
    for backend in args.backend or list(BACKENDS):
        for size in args.size or list(SIZES):
            print(f"\n== {backend}, {size} orders", flush=True)
            rows += measure(Ledger(backend, size), args)
    elapsed = time.monotonic() - started
    report(rows, elapsed)
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"ledger_http-{datetime.now(UTC):%Y%m%dT%H%M%S}.json"
    out.write_text(
        json.dumps(
            {
                "machine": facts,
                "args": vars(args),
                "seconds": round(elapsed),
                "rows": [asdict(r) for r in rows],
            },
            indent=2,
        )
    )
    print(f"Results: {Path(out).relative_to(ROOT)}")


if __name__ == "__main__":
    main()
