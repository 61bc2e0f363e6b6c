"""The retry policy: exponential backoff with full jitter, capped, honouring retry_after."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.config import ConfigError, JobsSettings
from jobs.retry import RetryPolicy

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
POLICY = RetryPolicy(max_attempts=5, base_seconds=2, cap_seconds=60, max_age=timedelta(hours=1))


def _highest(low: float, high: float) -> float:
    return high


def _lowest(low: float, high: float) -> float:
    return low


def test_the_ceiling_doubles_with_each_attempt_until_the_cap() -> None:
    assert [POLICY.ceiling_seconds(n) for n in range(1, 8)] == [2, 4, 8, 16, 32, 60, 60]


def test_a_huge_attempt_number_stays_at_the_cap() -> None:
    assert POLICY.ceiling_seconds(10_000) == 60


def test_full_jitter_draws_between_zero_and_the_ceiling() -> None:
    assert POLICY.delay_seconds(3, jitter=_lowest) == 0
    assert POLICY.delay_seconds(3, jitter=_highest) == 8


@given(attempt=st.integers(min_value=1, max_value=200))
def test_every_delay_lies_within_the_jitter_window(attempt: int) -> None:
    assert 0 <= POLICY.delay_seconds(attempt) <= POLICY.ceiling_seconds(attempt)


def test_retry_after_wins_when_it_asks_for_longer() -> None:
    assert POLICY.delay_seconds(1, retry_after=30, jitter=_highest) == 30
    assert POLICY.next_attempt_at(1, NOW, 300, _lowest) == NOW + timedelta(seconds=300)


def test_a_shorter_retry_after_does_not_shorten_the_backoff() -> None:
    assert POLICY.delay_seconds(4, retry_after=1, jitter=_highest) == 16


def test_it_gives_up_after_the_last_attempt_or_once_too_old() -> None:
    assert not POLICY.gives_up(4, NOW, NOW)
    assert POLICY.gives_up(5, NOW, NOW)
    assert not POLICY.gives_up(1, NOW, NOW + timedelta(minutes=59))
    assert POLICY.gives_up(1, NOW, NOW + timedelta(hours=1))


@pytest.mark.parametrize(
    "change",
    [
        {"max_attempts": 0},
        {"base_seconds": 0},
        {"cap_seconds": 1},
        {"max_age": timedelta(0)},
    ],
)
def test_a_policy_that_makes_no_sense_is_refused(change: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        replace(POLICY, **change)


def test_attempts_are_counted_from_one() -> None:
    with pytest.raises(ValueError):
        POLICY.ceiling_seconds(0)


def test_the_policy_is_a_frozen_value() -> None:
    assert RetryPolicy() == RetryPolicy()
    with pytest.raises(AttributeError):
        POLICY.max_attempts = 3  # type: ignore[misc]


def test_it_is_built_from_the_jobs_settings() -> None:
    jobs = JobsSettings(
        max_attempts=7, retry_base_seconds=1.5, retry_cap_seconds=90, max_age_hours=24
    )
    assert RetryPolicy.from_settings(jobs) == RetryPolicy(7, 1.5, 90, timedelta(hours=24))


def test_bad_settings_name_what_to_fix() -> None:
    with pytest.raises(ConfigError, match="retry_cap_seconds"):
        RetryPolicy.from_settings(JobsSettings(retry_base_seconds=10, retry_cap_seconds=5))
