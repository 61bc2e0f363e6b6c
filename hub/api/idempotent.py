"""Creates that a client may retry safely: ``Idempotency-Key`` on POST, as Stripe does it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Response, jsonify, request
from sqlalchemy.orm import Session

from hub.api.auth import api_user
from hub.db import get_session
from hub.idempotency import Remembered, check_key, fingerprint, once

#: Makes the record with a ledger use case (which joins the key's transaction, if any);
#: returns the body and its Location.
Create = Callable[[Session], tuple[dict[str, Any], str]]


def _respond(answer: Remembered, *, replayed: bool) -> Response:
    response = jsonify(answer.body)
    response.status_code = answer.status_code
    if answer.location:
        response.headers["Location"] = answer.location
    if "version" in answer.body:
        response.headers["ETag"] = f'"{answer.body["version"]}"'
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response


def create_once(make: Create) -> Response:
    """Run a create in one transaction; under an Idempotency-Key, answer its retries alike."""
    session = get_session()
    raw_key = request.headers.get("Idempotency-Key")
    if raw_key is None:
        body, location = make(session)
        return _respond(Remembered(201, body, location), replayed=False)
    key = check_key(raw_key.strip())
    print_ = fingerprint(request.method, request.path, request.get_data())
    answer, replayed = once(
        session, api_user().id, key, print_, lambda s: Remembered(201, *make(s))
    )
    return _respond(answer, replayed=replayed)
