"""Inject the failures a client of Stripe must survive, and enforce a rate limit.

A `Fault` matches requests by method and path pattern (`fnmatch` style, e.g.
`/v1/invoices/*/finalize`) and fires for its next `count` matching requests:

- `kind="error"`: answer `status` (default 500) with an `api_error`, without applying anything;
- `kind="rate_limit"`: answer 429 `rate_limit` with `Retry-After: retry_after`;
- `kind="timeout"`: sleep `delay_seconds` (longer than the client's timeout), then apply the
  request normally: the client has given up, but the change is made, as on a slow Stripe;
- `kind="lost"`: apply the request, then close the connection without an answer.

`RateLimiter` is a token bucket of `per_second` tokens and `burst` capacity; a request with
no token left gets Stripe's 429 `rate_limit` with a `Retry-After` header.
"""

from __future__ import annotations

import fnmatch
import math
import threading
import time
from dataclasses import dataclass, field

KINDS = ("error", "rate_limit", "timeout", "lost")


@dataclass
class Fault:
    """One injected failure, for the next `count` matching requests."""

    kind: str
    path: str = "*"
    method: str = "*"
    count: int = 1
    status: int = 500
    retry_after: int = 1
    delay_seconds: float = 2.0

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"fault kind must be one of {KINDS}, not {self.kind!r}")

    def matches(self, method: str, path: str) -> bool:
        """Tell whether this fault applies to a request."""
        return (self.method in ("*", method)) and fnmatch.fnmatchcase(path, self.path)


@dataclass
class Faults:
    """The faults waiting to fire, first added first matched."""

    pending: list[Fault] = field(default_factory=list)
    fired: list[tuple[str, str, str]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(
        self,
        kind: str,
        path: str = "*",
        *,
        method: str = "*",
        count: int = 1,
        status: int = 500,
        retry_after: int = 1,
        delay_seconds: float = 2.0,
    ) -> Fault:
        """Arm a fault and return it."""
        fault = Fault(kind, path, method.upper(), count, status, retry_after, delay_seconds)
        with self._lock:
            self.pending.append(fault)
        return fault

    def take(self, method: str, path: str) -> Fault | None:
        """Return the fault this request triggers, consuming one of its firings."""
        with self._lock:
            for fault in self.pending:
                if fault.count > 0 and fault.matches(method, path):
                    fault.count -= 1
                    if fault.count == 0:
                        self.pending.remove(fault)
                    self.fired.append((fault.kind, method, path))
                    return fault
        return None

    def clear(self) -> None:
        """Disarm every pending fault."""
        with self._lock:
            self.pending.clear()


@dataclass
class RateLimiter:
    """A token bucket: `per_second` requests per second, bursts of at most `burst`."""

    per_second: float
    burst: float | None = None
    _tokens: float = field(init=False)
    _at: float = field(init=False, default_factory=time.monotonic)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        if self.burst is None:
            self.burst = max(1.0, self.per_second)
        self._tokens = self.burst

    def acquire(self) -> float:
        """Take a token and return 0, or return the seconds until one is available."""
        assert self.burst is not None
        with self._lock:
            now = time.monotonic()
            self._tokens = min(self.burst, self._tokens + (now - self._at) * self.per_second)
            self._at = now
            if self._tokens >= 1:
                self._tokens -= 1
                return 0.0
            return (1 - self._tokens) / self.per_second


def retry_after_header(wait_seconds: float) -> str:
    """Return a `Retry-After` value (whole seconds, at least one) for a wait."""
    return str(max(1, math.ceil(wait_seconds)))
