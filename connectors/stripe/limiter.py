"""The process's pace for Stripe: one token bucket shared by every thread that calls Stripe.

Stripe answers 429 beyond its rate (25 requests/s in test mode, 100 live). The hub keeps
below it on its own side, so a monthly run of thousands of invoices never draws a 429: every
HTTP request, the library's own retries included, first takes a token here (the client's
HTTP layer calls ``acquire``, see ``client.LimitedRequestsClient``).

The bucket is a GCRA ("virtual scheduling"): each caller reserves the next free slot under a
lock and sleeps outside it, so threads are served in arrival order and none spins. With
``burst`` 1 requests leave at least ``1 / rate`` seconds apart; Stripe's own bucket holds a
second's worth, so network jitter between our send and its arrival cannot add up to a 429.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class RateLimiter:
    """Hand out at most ``per_second`` tokens a second (``burst`` at once) to any thread."""

    def __init__(
        self,
        per_second: float,
        *,
        burst: int = 1,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not per_second > 0:
            raise ValueError(f"a rate limit is a positive number of requests, not {per_second!r}")
        if burst < 1:
            raise ValueError("a burst lets at least one request through")
        self.per_second = float(per_second)
        self.burst = burst
        self._interval = 1.0 / self.per_second
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        # The theoretical time of the next request at the steady pace.
        self._next_at = clock()
        #: Tokens handed out, and how many of them made their caller wait.
        self.granted = 0
        self.delayed = 0

    def acquire(self) -> None:
        """Wait for this thread's turn, then return: the caller may send one request."""
        with self._lock:
            now = self._clock()
            earliest = max(now, self._next_at - (self.burst - 1) * self._interval)
            self._next_at = max(self._next_at, now) + self._interval
            self.granted += 1
            wait = earliest - now
            if wait > 0:
                self.delayed += 1
        if wait > 0:
            self._sleep(wait)


_shared: dict[float, RateLimiter] = {}
_shared_lock = threading.Lock()


def shared_limiter(per_second: float) -> RateLimiter:
    """Return this process's one bucket for a rate, so every connector built here shares it."""
    with _shared_lock:
        found = _shared.get(per_second)
        if found is None:
            found = _shared[per_second] = RateLimiter(per_second)
        return found
