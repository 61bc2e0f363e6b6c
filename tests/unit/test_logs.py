"""Log lines never carry keys, tokens or card numbers."""

from __future__ import annotations

import io
import json
import logging
import threading
import time
from datetime import UTC
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from hub.logs import JsonFormatter, QuietSkips, RepeatedFailures, configure, redact


def test_secrets_are_masked_in_log_text() -> None:
    line = (
        "key sk_test_51Habc123 secret whsec_abcDEF token hub_Zm9vYmFyYmF6cXV4 "
        "header Bearer abc.def card 4242 4242 4242 4242"
    )
    cleaned = redact(line)
    for secret in ("sk_test_51Habc123", "whsec_abcDEF", "hub_Zm9vYmFyYmF6cXV4", "abc.def", "4242"):
        assert secret not in cleaned
    assert cleaned.count("[redacted]") == 5


def test_ordinary_text_is_left_alone() -> None:
    assert redact("order C-2026-000123 total 5750 cents") == "order C-2026-000123 total 5750 cents"


def test_json_lines_carry_structured_fields_and_are_redacted() -> None:
    record = logging.LogRecord("hub.access", logging.INFO, __file__, 1, "request", None, None)
    record.fields = {"path": "/api/v1/orders", "auth": "Bearer hub_secretsecret"}
    entry = json.loads(JsonFormatter().format(record))
    assert entry["path"] == "/api/v1/orders"
    assert entry["auth"] == "[redacted]"
    assert entry["level"] == "info"


class _Lines(logging.Handler):
    """Keep every record as the JSON line the hub would write."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[dict[str, Any]] = []
        self.setFormatter(JsonFormatter())

    def emit(self, record: logging.LogRecord) -> None:
        line = self.format(record)
        assert "\n" not in line
        self.lines.append(json.loads(line))


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _failing(message: str) -> ConnectionError:
    try:
        raise ConnectionError(message)
    except ConnectionError as exc:
        return exc


def _repeats(every: float = 10.0) -> tuple[RepeatedFailures, _Lines, _Clock]:
    logger = logging.getLogger("hub.test.repeats")
    logger.handlers, logger.propagate = [], False
    logger.setLevel(logging.INFO)
    kept = _Lines()
    logger.addHandler(kept)
    clock = _Clock()
    failures = RepeatedFailures(logger, subject="job", key_field="job", every=every, clock=clock)
    return failures, kept, clock


def test_a_repeated_failure_is_one_full_line_then_a_count_every_interval_then_its_end() -> None:
    failures, kept, clock = _repeats(every=10.0)
    # A database outage of 50 seconds: the job fails twice a second.
    for tick in range(100):
        clock.now = tick / 2
        failures.failed("outbox.dispatch.stripe", _failing(f"connection refused ({tick})"))
    clock.now = 50.0
    failures.succeeded("outbox.dispatch.stripe")
    failures.succeeded("outbox.dispatch.stripe")
    assert [line["msg"] for line in kept.lines] == [
        "job failed",
        *["job still failing"] * 4,
        "job recovered",
    ]
    first, *summaries, recovered = kept.lines
    assert first["level"] == "error" and first["job"] == "outbox.dispatch.stripe"
    assert first["error"] == "ConnectionError: connection refused (0)"
    assert "Traceback" in first["exc"]
    assert all("exc" not in line for line in summaries)
    assert [line["failures"] for line in summaries] == [21, 41, 61, 81]
    assert [line["since_last_line"] for line in summaries] == [20, 20, 20, 20]
    assert summaries[-1]["for_seconds"] == 40.0
    assert (recovered["level"], recovered["failures"], recovered["for_seconds"]) == (
        "warning",
        100,
        50.0,
    )


def test_another_failure_or_another_job_gets_its_own_full_line() -> None:
    failures, kept, _clock = _repeats()
    failures.failed("a", _failing("down"))
    failures.failed("b", _failing("down"))
    failures.failed("a", ValueError("bad row"))
    failures.failed("a", ValueError("bad row again"))
    assert [(line["msg"], line["job"], "exc" in line) for line in kept.lines] == [
        ("job failed", "a", True),
        ("job failed", "b", True),
        ("job failed", "a", True),
    ]


def test_apscheduler_logs_as_json_and_its_expected_skip_is_quiet() -> None:
    configure("INFO")
    aps = logging.getLogger("apscheduler")
    assert not aps.propagate
    (handler,) = [h for h in aps.handlers if isinstance(h.formatter, JsonFormatter)]
    stream = io.StringIO()
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(stream)
    seen = _Lines()
    scheduler_log = logging.getLogger("apscheduler.scheduler")
    scheduler_log.addHandler(seen)
    busy = threading.Event()
    release = threading.Event()

    def slow() -> None:
        busy.set()
        release.wait(10)

    scheduler = BackgroundScheduler(timezone=UTC)
    scheduler.add_job(slow, IntervalTrigger(seconds=0.05), id="slow", max_instances=1)
    scheduler.start()
    try:
        deadline = time.monotonic() + 10
        while not any("maximum number" in line["msg"] for line in seen.lines):
            assert time.monotonic() < deadline, seen.lines
            time.sleep(0.05)
        scheduler_log.warning("Run time of job %s was missed by %s", "slow", "0:00:01")
    finally:
        release.set()
        scheduler.shutdown(wait=True)
        scheduler_log.removeHandler(seen)
    written = [json.loads(line) for line in stream.getvalue().splitlines()]
    # APScheduler skipped runs (as a warning), the hub wrote none; the real warning, as JSON.
    assert {line["level"] for line in seen.lines if "maximum number" in line["msg"]} == {"warning"}
    assert written == [
        {
            "ts": written[0]["ts"],
            "level": "warning",
            "logger": "apscheduler.scheduler",
            "msg": "Run time of job slow was missed by 0:00:01",
        }
    ]


def test_the_expected_skip_is_a_debug_line_when_debugging_and_nothing_otherwise() -> None:
    logger = logging.getLogger("hub.test.skips")
    logger.handlers, logger.propagate = [], False
    kept = _Lines()
    kept.addFilter(QuietSkips())
    logger.addHandler(kept)
    skip = 'Execution of job "%s" skipped: maximum number of running instances reached (%d)'
    logger.setLevel(logging.INFO)
    logger.warning(skip, "outbox.dispatch.stripe", 1)
    assert kept.lines == []
    logger.setLevel(logging.DEBUG)
    logger.warning(skip, "outbox.dispatch.stripe", 1)
    logger.warning("Run time of job %s was missed", "outbox.prune")
    assert [(line["level"], line["msg"][:30]) for line in kept.lines] == [
        ("debug", 'Execution of job "outbox.dispa'),
        ("warning", "Run time of job outbox.prune w"),
    ]
