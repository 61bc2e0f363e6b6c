"""What happens to requests before they reach the state: counts, quotas, latency and faults."""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from sandbox.sheets.errors import ApiError, PermissionDenied, ResourceExhausted, ServerError

Kind = Literal["read", "write"]
# Google's per-user quota (300/min is per project): the one a single service account meets.
# https://developers.google.com/workspace/sheets/api/limits
PER_USER_PER_MINUTE = 60


@dataclass(frozen=True)
class RequestRecord:
    """One request the emulator received: its endpoint, kind and the status it answered."""

    endpoint: str
    kind: Kind
    status: int


@dataclass(frozen=True)
class Fault:
    """A failure served instead of (or after) the next matching request.

    `error`: answer with this error without applying the request. `hang`: wait `seconds`,
    then answer 503 without applying (a client with a shorter timeout sees a timeout).
    `lost`: apply the request, then wait `seconds` and answer 503 (the client never learns
    it was applied).
    """

    mode: Literal["error", "hang", "lost"]
    error: ApiError | None = None
    seconds: float = 0.0
    endpoint: str | None = None

    @classmethod
    def server_error(cls, code: int = 503, *, endpoint: str | None = None) -> Fault:
        """Answer a 5xx."""
        return cls("error", ServerError(code, "The service is currently unavailable."), 0, endpoint)

    @classmethod
    def permission_denied(
        cls, message: str = "The caller does not have permission", *, endpoint: str | None = None
    ) -> Fault:
        """Answer 403 PERMISSION_DENIED with a message."""
        return cls("error", PermissionDenied(message), 0, endpoint)

    @classmethod
    def rate_limited(cls, retry_after_seconds: int = 1, *, endpoint: str | None = None) -> Fault:
        """Answer 429 RESOURCE_EXHAUSTED once, whatever the quota says."""
        return cls("error", quota_error("write", retry_after_seconds), 0, endpoint)

    @classmethod
    def timeout(cls, seconds: float = 5.0, *, endpoint: str | None = None) -> Fault:
        """Hold the answer for `seconds`, then fail without applying the request."""
        return cls("hang", None, seconds, endpoint)

    @classmethod
    def lost_response(cls, seconds: float = 5.0, *, endpoint: str | None = None) -> Fault:
        """Apply the request, then hold the answer and fail."""
        return cls("lost", None, seconds, endpoint)


@dataclass
class ManualClock:
    """A monotonic clock moved by hand, so a test can let a quota's minute pass at once."""

    now: float = 1_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move the clock forward."""
        self.now += seconds


def quota_error(kind: Kind, retry_after_seconds: int) -> ResourceExhausted:
    """Return the 429 Google answers when a per-minute quota is used up."""
    metric = "Write requests" if kind == "write" else "Read requests"
    return ResourceExhausted(
        f"Quota exceeded for quota metric '{metric}' and limit '{metric} per minute per user' "
        "of service 'sheets.googleapis.com' for consumer 'project_number:0'.",
        details=[
            {
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": "RATE_LIMIT_EXCEEDED",
                "domain": "googleapis.com",
                "metadata": {"service": "sheets.googleapis.com", "quota_metric": metric},
            }
        ],
        headers={"Retry-After": str(retry_after_seconds)},
    )


class Traffic:
    """Counts every request, enforces per-minute quotas, and serves latency and faults."""

    def __init__(
        self,
        *,
        reads_per_minute: int = PER_USER_PER_MINUTE,
        writes_per_minute: int = PER_USER_PER_MINUTE,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.reads_per_minute = reads_per_minute
        self.writes_per_minute = writes_per_minute
        self.latency_seconds = 0.0
        self.clock = clock
        self.closing = threading.Event()
        self._lock = threading.Lock()
        self._records: list[RequestRecord] = []
        self._admitted: dict[Kind, deque[float]] = {"read": deque(), "write": deque()}
        self._faults: deque[Fault] = deque()

    def record(self, endpoint: str, kind: Kind, status: int) -> None:
        """Remember one answered request."""
        with self._lock:
            self._records.append(RequestRecord(endpoint, kind, status))

    @property
    def records(self) -> list[RequestRecord]:
        """Return every request answered so far, oldest first."""
        with self._lock:
            return list(self._records)

    def count(
        self, *, kind: Kind | None = None, endpoint: str | None = None, status: int | None = None
    ) -> int:
        """Return how many requests match the given kind, endpoint and answered status."""
        return sum(
            1
            for r in self.records
            if (kind is None or r.kind == kind)
            and (endpoint is None or r.endpoint == endpoint)
            and (status is None or r.status == status)
        )

    def by_endpoint(self) -> dict[str, int]:
        """Return the number of requests per endpoint."""
        counts: dict[str, int] = {}
        for r in self.records:
            counts[r.endpoint] = counts.get(r.endpoint, 0) + 1
        return counts

    def reset(self) -> None:
        """Forget the counts, quota windows and pending faults."""
        with self._lock:
            self._records.clear()
            self._faults.clear()
            for window in self._admitted.values():
                window.clear()

    def inject(self, fault: Fault, times: int = 1) -> None:
        """Serve a fault to the next `times` matching requests."""
        with self._lock:
            self._faults.extend([fault] * times)

    def next_fault(self, endpoint: str) -> Fault | None:
        """Take the first pending fault that applies to this endpoint."""
        with self._lock:
            for fault in self._faults:
                if fault.endpoint in (None, endpoint):
                    self._faults.remove(fault)
                    return fault
        return None

    def admit(self, kind: Kind) -> None:
        """Count a request against its per-minute quota, or raise the 429."""
        limit = self.reads_per_minute if kind == "read" else self.writes_per_minute
        with self._lock:
            now = self.clock()
            window = self._admitted[kind]
            while window and window[0] <= now - 60:
                window.popleft()
            if len(window) >= limit:
                wait = max(1, math.ceil(window[0] + 60 - now))
                raise quota_error(kind, wait)
            window.append(now)

    def pause(self, seconds: float) -> None:
        """Sleep, cut short when the server stops."""
        if seconds > 0:
            self.closing.wait(seconds)
