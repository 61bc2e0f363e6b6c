"""When to try a failed delivery again, and when to give up: a small validated value object."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from hub.config import ConfigError, JobsSettings

#: Draws a delay uniformly between two bounds; injectable so tests can pick the extremes.
Jitter = Callable[[float, float], float]

# Jitter spreads retries out; it guards nothing, so a non-cryptographic generator is right.
default_jitter: Jitter = random.Random().uniform  # noqa: S311


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter, capped, honouring the vendor's ``retry_after``.

    Attempt n (1-based) that failed waits a random delay in ``[0, min(cap, base * 2**(n-1))]``,
    or ``retry_after`` when the vendor asked for longer. A delivery gives up, becoming a dead
    letter, once it has failed ``max_attempts`` times or is older than ``max_age``.
    """

    max_attempts: int = 12
    base_seconds: float = 2.0
    cap_seconds: float = 3600.0
    max_age: timedelta = timedelta(hours=72)

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.base_seconds <= 0:
            raise ValueError("base_seconds must be positive")
        if self.cap_seconds < self.base_seconds:
            raise ValueError("cap_seconds cannot be below base_seconds")
        if self.max_age <= timedelta(0):
            raise ValueError("max_age must be positive")

    @classmethod
    def from_settings(cls, jobs: JobsSettings) -> RetryPolicy:
        """Build the policy from ``[jobs]``, naming the setting to fix when it is invalid."""
        try:
            return cls(
                max_attempts=jobs.max_attempts,
                base_seconds=jobs.retry_base_seconds,
                cap_seconds=jobs.retry_cap_seconds,
                max_age=timedelta(hours=jobs.max_age_hours),
            )
        except ValueError as exc:
            raise ConfigError(
                f"[jobs] retry settings are invalid: {exc} (see max_attempts, "
                "retry_base_seconds, retry_cap_seconds, max_age_hours)."
            ) from exc

    def ceiling_seconds(self, attempt: int) -> float:
        """Return the longest backoff after the given failed attempt, before jitter."""
        if attempt < 1:
            raise ValueError("attempts are counted from 1")
        # Stop doubling once past the cap, so huge attempt numbers cannot overflow.
        exponent = min(attempt - 1, 64)
        return min(self.cap_seconds, self.base_seconds * 2.0**exponent)

    def delay_seconds(
        self, attempt: int, retry_after: float | None = None, jitter: Jitter = default_jitter
    ) -> float:
        """Return how long to wait after the given failed attempt."""
        delay = jitter(0.0, self.ceiling_seconds(attempt))
        if retry_after is not None:
            delay = max(delay, retry_after)
        return delay

    def next_attempt_at(
        self,
        attempt: int,
        now: datetime,
        retry_after: float | None = None,
        jitter: Jitter = default_jitter,
    ) -> datetime:
        """Return when to try again after the given failed attempt."""
        return now + timedelta(seconds=self.delay_seconds(attempt, retry_after, jitter))

    def gives_up(self, attempts: int, first_seen: datetime, now: datetime) -> bool:
        """Tell whether a delivery that failed ``attempts`` times should become a dead letter."""
        return attempts >= self.max_attempts or now - first_seen >= self.max_age
