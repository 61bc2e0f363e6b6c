"""Drive one endpoint with wrk (Debian's) and read back latency percentiles and throughput."""

from __future__ import annotations

import json
import statistics
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

WRK = "/usr/bin/wrk"

# wrk gives every thread its own Lua state: setup() keeps a handle on each so that done()
# can add up what response() counted; request() builds each POST body with a random customer.
_LUA = """
local method = [==[{method}]==]
local paths = {{ {paths} }}
local headers = {{ {headers} }}
local body_format = {body_format}
local customers = {customers}
local expected = {expected}
local threads = {{}}

function setup(thread)
  table.insert(threads, thread)
  thread:set("thread_no", #threads)
end

function init(args)
  unexpected = 0
  last_unexpected = 0
  n = 0
  math.randomseed(os.time() * 100 + thread_no)
end

function request()
  n = n + 1
  local path = paths[(n % #paths) + 1]
  local body = nil
  if body_format then
    body = string.format(body_format, math.random(1, customers))
  end
  return wrk.format(method, path, headers, body)
end

function response(status, hdrs, body)
  if status ~= expected then
    unexpected = unexpected + 1
    last_unexpected = status
  end
end

function done(summary, latency, requests)
  local bad, last = 0, 0
  for _, t in ipairs(threads) do
    bad = bad + t:get("unexpected")
    if t:get("last_unexpected") ~= 0 then last = t:get("last_unexpected") end
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH {{"requests": %d, "duration_us": %d, "p50_us": %.1f, "p99_us": %.1f, '
    .. '"unexpected": %d, "last_unexpected": %d, "socket_errors": %d, "timeouts": %d}}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    bad, last, e.connect + e.read + e.write, e.timeout))
end
"""


def _lua_string(text: str) -> str:
    if "]==]" in text:
        raise ValueError("text cannot be quoted for Lua")
    return f"[==[{text}]==]"


@dataclass(frozen=True)
class Target:
    """One endpoint under load: what wrk sends and which status every answer must have."""

    name: str
    paths: tuple[str, ...]
    method: str = "GET"
    headers: dict[str, str] = field(default_factory=dict)
    # JSON body with the literal ``{customer_id}`` where a random customer id goes.
    body_template: str | None = None
    customers: int = 1
    expected_status: int = 200

    def lua(self) -> str:
        body = "nil"
        if self.body_template is not None:
            escaped = self.body_template.replace("%", "%%").replace("{customer_id}", "%d")
            body = _lua_string(escaped)
        return _LUA.format(
            method=self.method,
            paths=", ".join(_lua_string(p) for p in self.paths),
            headers=", ".join(
                f"[ {_lua_string(k)} ] = {_lua_string(v)}" for k, v in self.headers.items()
            ),
            body_format=body,
            customers=self.customers,
            expected=self.expected_status,
        )


@dataclass(frozen=True)
class Sample:
    """What one wrk run measured."""

    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    unexpected: int

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def run(base: str, target: Target, *, seconds: float, connections: int, threads: int) -> Sample:
    """Load the target for the given time and return the measured sample."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(target.lua())
    try:
        done = subprocess.run(
            [
                WRK,
                f"-t{threads}",
                f"-c{connections}",
                f"-d{max(1, round(seconds))}s",
                "--timeout",
                "30s",
                "--latency",
                "-s",
                script.name,
                base + target.paths[0],
            ],
            capture_output=True,
            text=True,
            check=False,
            timeout=seconds + 60,
        )
    finally:
        Path(script.name).unlink()
    line = next((x for x in done.stdout.splitlines() if x.startswith("BENCH ")), None)
    if done.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed on {target.name}:\n{done.stdout}{done.stderr}")
    data = json.loads(line[len("BENCH ") :])
    if data["socket_errors"] or data["timeouts"]:
        raise RuntimeError(f"wrk saw socket errors or timeouts on {target.name}: {data}")
    if data["unexpected"]:
        raise RuntimeError(
            f"{target.name}: {data['unexpected']} of {data['requests']} answers were not "
            f"HTTP {target.expected_status} (last: {data['last_unexpected']})"
        )
    return Sample(
        requests=data["requests"],
        seconds=data["duration_us"] / 1e6,
        p50_ms=data["p50_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        unexpected=data["unexpected"],
    )


def median_sample(samples: list[Sample]) -> tuple[float, float, float]:
    """Return the medians of p50, p99 and requests/s over repeated runs."""
    return (
        statistics.median(s.p50_ms for s in samples),
        statistics.median(s.p99_ms for s in samples),
        statistics.median(s.rps for s in samples),
    )
