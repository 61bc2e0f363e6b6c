"""The Stripe rate limiter, on a clock it does not read from the wall."""

from __future__ import annotations

import threading

import pytest

from connectors.stripe.limiter import RateLimiter, shared_limiter


class FakeClock:
    """A clock that moves only when its one caller sleeps on it."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_a_thousand_tokens_at_200_per_second_take_five_seconds_of_clock() -> None:
    clock = FakeClock()
    limiter = RateLimiter(200, clock=clock, sleep=clock.sleep)
    for _ in range(1000):
        limiter.acquire()
    assert limiter.granted == 1000
    assert limiter.delayed == 999
    assert clock.now - 100.0 == pytest.approx(999 / 200)


def test_a_burst_lets_that_many_through_at_once_then_keeps_the_pace() -> None:
    clock = FakeClock()
    limiter = RateLimiter(10, burst=5, clock=clock, sleep=clock.sleep)
    for _ in range(5):
        limiter.acquire()
    assert (limiter.delayed, clock.now) == (0, 100.0)
    limiter.acquire()
    assert limiter.delayed == 1


def test_an_idle_limiter_does_not_bank_tokens_beyond_its_burst() -> None:
    clock = FakeClock()
    limiter = RateLimiter(10, clock=clock, sleep=clock.sleep)
    limiter.acquire()
    clock.now += 60  # a quiet minute
    limiter.acquire()
    limiter.acquire()
    assert limiter.delayed == 1


def test_threads_share_one_bucket_and_each_token_is_handed_out_once() -> None:
    limiter = RateLimiter(100_000)

    def take() -> None:
        for _ in range(200):
            limiter.acquire()

    threads = [threading.Thread(target=take) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert limiter.granted == 1600


def test_a_process_has_one_bucket_per_rate() -> None:
    assert shared_limiter(20) is shared_limiter(20)
    assert shared_limiter(20) is not shared_limiter(80)


@pytest.mark.parametrize("rate", [0, -1, float("nan")])
def test_a_rate_must_be_positive(rate: float) -> None:
    with pytest.raises(ValueError, match="positive"):
        RateLimiter(rate)
