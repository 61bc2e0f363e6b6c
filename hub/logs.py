"""Structured logs: one JSON line per request and per job event, with secrets masked."""

from __future__ import annotations

import json
import logging
import re
import sys
import time
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


def configure(level: str = "INFO") -> None:
    """Send the hub's loggers to stderr as JSON lines, once per process."""
    root = logging.getLogger("hub")
    if any(isinstance(h.formatter, JsonFormatter) for h in root.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root.addHandler(handler)
    root.setLevel(level)
    root.propagate = False


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
