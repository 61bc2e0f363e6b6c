"""Read what a client sent: the JSON body, query-string values, versions and references."""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from typing import Any, NoReturn

from flask import request
from werkzeug.exceptions import BadRequest, UnsupportedMediaType

from hub.errors import N_, InvalidInput, NotFound
from hub.ledger import validation

_VERSION = re.compile(r'^(?:W/)?"?([0-9]{1,10})"?$')


def _no_constants(name: str) -> NoReturn:
    raise ValueError(f"{name} is not JSON")


def json_body() -> dict[str, Any]:
    """Return the request's JSON object ({} when the body is empty), or raise a 4xx."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        return {}
    if request.mimetype != "application/json":
        raise UnsupportedMediaType("Send the body as application/json.")
    try:
        data = json.loads(raw, parse_constant=_no_constants)
        # Lone surrogates decode fine but cannot be stored: refuse them here, not in the DB.
        json.dumps(data, ensure_ascii=False).encode()
    except (ValueError, RecursionError, UnicodeError) as exc:
        raise BadRequest("The body is not valid JSON.") from exc
    if not isinstance(data, dict):
        raise BadRequest("The body must be a JSON object.")
    return data


def expected_version(body: dict[str, Any], *, required: bool = False) -> int | None:
    """Read the version the client edited from the body's "version" or an If-Match header."""
    value: object = body.get("version")
    if value is None:
        header = request.headers.get("If-Match", "").strip()
        if header and header != "*":
            match = _VERSION.match(header)
            if match is None:
                raise InvalidInput(N_("Expected a version number."), field="version")
            value = int(match.group(1))
    if value is None:
        if required:
            raise InvalidInput(N_("This field is required."), field="version")
        return None
    number = validation.version(value)
    # Versions start at 1, so a 0 can only be a client's mistake.
    if number == 0:
        raise InvalidInput(N_("Expected a version number."), field="version")
    return number


def order_ref(ref: str) -> str:
    """Refuse references that cannot exist before they reach the database."""
    return validation.order_ref(ref)


def record_id(value: int, message: str) -> int:
    """Refuse ids beyond any integer column, as a 404 like any other unknown id."""
    if not 0 < value <= validation.MAX_ID:
        raise NotFound(message, id=value if value < 10**20 else "?")
    return value


def query_id(name: str) -> int | None:
    """Read an optional positive id from the query string."""
    return validation.positive_id(request.args.get(name), name)


def query_text(name: str, *, max_length: int = 200) -> str | None:
    value = request.args.get(name, "").strip()
    if not value:
        return None
    if len(value) > max_length:
        raise InvalidInput(N_("At most %(max)s characters."), field=name, max=max_length)
    if "\x00" in value:
        raise InvalidInput(N_("This field contains a forbidden character."), field=name)
    return value


def query_limit(default: int = 50, maximum: int = 200) -> int:
    return validation.page_limit(request.args.get("limit"), default=default, maximum=maximum)


def instant(
    value: object,
    field: str,
    *,
    first_year: int = validation.FIRST_YEAR,
    last_year: int = validation.LAST_YEAR,
) -> datetime | None:
    """Read an ISO 8601 date and time that names its time zone, e.g. 2026-03-14T09:30:00Z."""
    return validation.instant(value, field, first_year=first_year, last_year=last_year)


def query_instant(name: str) -> datetime | None:
    return validation.instant(request.args.get(name), name)


def query_date(name: str) -> date | None:
    """Read an optional calendar day, YYYY-MM-DD."""
    return validation.day(request.args.get(name), name)


def body_id(value: object, field: str) -> int | None:
    """Read an optional positive id from a JSON body: a number or a string of digits."""
    return validation.positive_id(value, field)
