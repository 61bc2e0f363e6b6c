"""Structured logs: one JSON line per request and per job event, with secrets masked.

APScheduler's own records go through the same JSON format; its expected "skipped: maximum
number of running instances reached" (a dispatch interval ticking while a drain runs) is
demoted to debug. ``RepeatedFailures`` keeps a failure that repeats, such as every run during
a database outage, to one full line, then a count every so often, then a line when it ends.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask, Response, g, request

# Stripe keys, webhook secrets, hub API tokens, bearer headers and card-like digit runs.
_SECRET = re.compile(
    r"(sk|rk|pk)_(live|test)_[A-Za-z0-9]+|whsec_[A-Za-z0-9]+|hub_[A-Za-z0-9_\-]{8,}"
    r"|Bearer\s+[A-Za-z0-9._~+/=-]+|\b(?:\d[ -]?){12,18}\d\b"
)


def redact(text: str) -> str:
    """Mask anything in a log line that looks like a key, a token or a card number."""
    return _SECRET.sub("[redacted]", text)


def _redact_values(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {key: _redact_values(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_redact_values(item) for item in value]
    return value


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            entry.update(fields)
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(_redact_values(entry), default=str, ensure_ascii=False)


#: Loggers of the libraries whose records the hub formats as its own.
LIBRARY_LOGGERS = ("apscheduler",)


class QuietSkips(logging.Filter):
    """Demote APScheduler's expected skip of a job still running to a debug record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if "maximum number of running instances reached" not in str(record.msg):
            return True
        record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return logging.getLogger(record.name).isEnabledFor(logging.DEBUG)


def _library_level(level: str) -> int:
    """Show a library's warnings and errors; its chatter ("Running job ...") only in debug."""
    return (
        logging.DEBUG if logging.getLevelName(level.upper()) == logging.DEBUG else logging.WARNING
    )


def configure(level: str = "INFO") -> None:
    """Send the hub's and APScheduler's loggers to stderr as JSON lines, once per process."""
    root = logging.getLogger("hub")
    if any(isinstance(h.formatter, JsonFormatter) for h in root.handlers):
        # Configured earlier (a worker does before it reads its configuration): set the level.
        root.setLevel(level)
        for name in LIBRARY_LOGGERS:
            logging.getLogger(name).setLevel(_library_level(level))
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root.addHandler(handler)
    root.setLevel(level)
    root.propagate = False
    for name in LIBRARY_LOGGERS:
        library = logging.getLogger(name)
        own = logging.StreamHandler(sys.stderr)
        own.setFormatter(JsonFormatter())
        own.addFilter(QuietSkips())
        library.handlers = [own]
        library.setLevel(_library_level(level))
        library.propagate = False


@dataclass
class _Streak:
    signature: str
    first: float
    last_line: float
    count: int = 1
    unreported: int = 0


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"[:500]


class RepeatedFailures:
    """Log each failure of a key once in full, then a count every ``every`` seconds, then its end.

    A failure repeats while the same key fails with the same exception type; another type
    starts a new streak with a full line. ``subject`` names what fails in the messages
    ("job failed", "job still failing", "job recovered") and ``key_field`` the key's field.
    """

    def __init__(
        self,
        logger: logging.Logger,
        *,
        subject: str,
        key_field: str,
        every: float = 60.0,
        level: int = logging.ERROR,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.logger, self.subject, self.key_field, self.level = logger, subject, key_field, level
        self.every, self.clock = every, clock
        self._lock = threading.Lock()
        self._streaks: dict[str, _Streak] = {}

    def failed(self, key: str, exc: BaseException, **fields: Any) -> None:
        """Note a failure: a full line with its traceback if new, else a count now and then."""
        signature = f"{type(exc).__module__}.{type(exc).__qualname__}"
        now = self.clock()
        with self._lock:
            streak = self._streaks.get(key)
            if streak is None or streak.signature != signature:
                self._streaks[key] = _Streak(signature, first=now, last_line=now)
                streak = None
            else:
                streak.count += 1
                streak.unreported += 1
                if now - streak.last_line < self.every:
                    return
                count, unreported, since = streak.count, streak.unreported, now - streak.first
                streak.last_line, streak.unreported = now, 0
        described = {self.key_field: key, **fields, "error": _one_line(exc)}
        if streak is None:
            self.logger.log(
                self.level, f"{self.subject} failed", exc_info=exc, extra={"fields": described}
            )
            return
        self.logger.log(
            self.level,
            f"{self.subject} still failing",
            extra={
                "fields": {
                    **described,
                    "failures": count,
                    "since_last_line": unreported,
                    "for_seconds": round(since, 1),
                }
            },
        )

    def succeeded(self, key: str, **fields: Any) -> None:
        """Note a success: if the key was failing, say it recovered and after how many."""
        with self._lock:
            streak = self._streaks.pop(key, None)
        if streak is None:
            return
        self.logger.warning(
            f"{self.subject} recovered",
            extra={
                "fields": {
                    self.key_field: key,
                    **fields,
                    "failures": streak.count,
                    "for_seconds": round(self.clock() - streak.first, 1),
                }
            },
        )

    def forget(self) -> None:
        """Drop every streak without a line (tests start from a clean slate)."""
        with self._lock:
            self._streaks.clear()


def init_app(app: Flask) -> None:
    from hub.config import get_config

    configure(get_config(app).hub.log_level)
    access = logging.getLogger("hub.access")

    @app.before_request
    def _start_timer() -> None:
        g.request_started = time.perf_counter()

    @app.after_request
    def _log_request(response: Response) -> Response:
        started = g.get("request_started")
        user = g.get("log_user_id")
        access.info(
            "request",
            extra={
                "fields": {
                    "method": request.method,
                    # The path only: query strings may carry search terms about customers.
                    "path": request.path,
                    "status": response.status_code,
                    "ms": round((time.perf_counter() - started) * 1000, 1) if started else None,
                    "user": user,
                    "ip": request.remote_addr,
                }
            },
        )
        return response
