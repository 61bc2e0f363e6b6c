"""Build Stripe objects from templates shaped like Stripe's official fixtures.

`shapes.json` holds one neutral template per object kind, derived from Stripe's
`fixtures3.json` (the OpenAPI fixtures of the API version `stripe` 16 pins): every field the
official object has is present, example values are reset to null, zero or empty
(`shapes_from_fixtures` regenerates it). Builders copy a template and fill in what the
emulator knows.
"""

from __future__ import annotations

import copy
import json
import time
from functools import cache
from pathlib import Path
from typing import Any

# The API version of the fixtures and of stripe-python 16 (its `_ApiVersion.CURRENT`).
API_VERSION = "2026-10-28.endive"

# Stripe shows the first ten lines of an invoice and pages the rest through its lines URL.
EMBEDDED_LINES = 10


@cache
def shapes() -> dict[str, dict[str, Any]]:
    """Return the neutral templates, by object kind."""
    loaded: dict[str, dict[str, Any]] = json.loads(
        (Path(__file__).with_name("shapes.json")).read_text(encoding="utf-8")
    )
    return loaded


def build(kind: str, **fields: Any) -> dict[str, Any]:
    """Return a fresh object of a kind with the given fields set."""
    obj = copy.deepcopy(shapes()[kind])
    unknown = set(fields) - set(obj)
    if unknown:
        raise KeyError(f"{kind} has no field(s) {sorted(unknown)}")
    obj.update(fields)
    return obj


def now() -> int:
    """Return the current Unix time, as Stripe's `created` fields count it."""
    return int(time.time())


def list_object(data: list[dict[str, Any]], url: str, has_more: bool) -> dict[str, Any]:
    """Return a Stripe list page."""
    return {"object": "list", "data": data, "has_more": has_more, "url": url}


def event_object(
    event_id: str,
    event_type: str,
    obj: dict[str, Any],
    *,
    previous_attributes: dict[str, Any] | None,
    request_id: str | None,
    idempotency_key: str | None,
    livemode: bool,
    api_version: str,
) -> dict[str, Any]:
    """Return an event carrying a snapshot of the object it is about."""
    data: dict[str, Any] = {"object": obj}
    if previous_attributes is not None:
        data["previous_attributes"] = previous_attributes
    return build(
        "event",
        id=event_id,
        type=event_type,
        created=now(),
        data=data,
        livemode=livemode,
        api_version=api_version,
        pending_webhooks=0,
        request={"id": request_id, "idempotency_key": idempotency_key},
    )
