"""A client-side budget of writes per minute, kept under Google's per-user quota."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable


class MinuteLimiter:
    """Let at most ``per_minute`` calls through in any sliding minute, waiting otherwise."""

    def __init__(
        self,
        per_minute: int,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if per_minute < 1:
            raise ValueError("per_minute must be at least 1")
        self.per_minute = per_minute
        self._clock = clock
        self._sleep = sleep
        self._sent: deque[float] = deque()
        self._lock = threading.Lock()

    def wait(self) -> float:
        """Block until one more call fits in the budget, record it, return the seconds waited."""
        waited = 0.0
        with self._lock:
            while True:
                now = self._clock()
                while self._sent and now - self._sent[0] >= 60.0:
                    self._sent.popleft()
                if len(self._sent) < self.per_minute:
                    self._sent.append(now)
                    return waited
                pause = 60.0 - (now - self._sent[0])
                self._sleep(pause)
                waited += pause
