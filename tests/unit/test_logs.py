"""Log lines never carry keys, tokens or card numbers."""

from __future__ import annotations

import json
import logging

from hub.logs import JsonFormatter, redact


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
