"""Read what a client sent: the JSON body, query-string values, versions and references."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
from typing import Any, NoReturn

from flask import request
from werkzeug.exceptions import BadRequest, UnsupportedMediaType

from hub.errors import N_, InvalidInput, NotFound

MAX_ID = 2**62
_REF = re.compile(r"^[A-Za-z0-9-]{1,32}$")
_DIGITS = re.compile(r"^[0-9]{1,19}$")
_VERSION_DIGITS = re.compile(r"^[0-9]{1,10}$")
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
    if isinstance(value, str):
        digits = value.strip()
        value = int(digits) if _VERSION_DIGITS.match(digits) else -1
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 2**31:
        raise InvalidInput(N_("Expected a version number."), field="version")
    return value


def order_ref(ref: str) -> str:
    """Refuse references that cannot exist before they reach the database."""
    if not _REF.match(ref):
        raise NotFound(N_("No order %(ref)s."), ref=ref[:40])
    return ref


def record_id(value: int, message: str) -> int:
    """Refuse ids beyond any integer column, as a 404 like any other unknown id."""
    if not 0 < value <= MAX_ID:
        raise NotFound(message, id=value if value < 10**20 else "?")
    return value


def query_id(name: str) -> int | None:
    """Read an optional positive id from the query string."""
    value = request.args.get(name, "").strip()
    if not value:
        return None
    if not _DIGITS.match(value) or not 0 < int(value) <= MAX_ID:
        raise InvalidInput(N_("Expected an identifier."), field=name)
    return int(value)


def query_choice(name: str, allowed: list[str]) -> str | None:
    value = request.args.get(name, "").strip()
    if not value:
        return None
    if value not in allowed:
        raise InvalidInput(
            N_("“%(value)s” is not one of: %(allowed)s."),
            field=name,
            value=value[:40],
            allowed=", ".join(allowed),
        )
    return value


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
    value = request.args.get("limit", "").strip()
    if not value:
        return default
    if not _DIGITS.match(value) or not 1 <= int(value) <= maximum:
        raise InvalidInput(N_("Choose a number between 1 and %(max)s."), field="limit", max=maximum)
    return int(value)


def instant(
    value: object, field: str, *, first_year: int = 1970, last_year: int = 2999
) -> datetime | None:
    """Read an ISO 8601 date and time that names its time zone, e.g. 2026-03-14T09:30:00Z."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > 40:
        raise InvalidInput(N_("Expected a date and time."), field=field)
    try:
        # A "+" left unescaped in a query string arrives as a space.
        parsed = datetime.fromisoformat(value.strip().replace(" ", "+"))
    except ValueError as exc:
        raise InvalidInput(
            N_("Expected a date and time like 2026-03-14T09:30:00+01:00."), field=field
        ) from exc
    if parsed.tzinfo is None:
        raise InvalidInput(N_("Give the time zone, e.g. 2026-03-14T09:30:00+01:00."), field=field)
    # Bounded so that converting to UTC can never overflow datetime's range.
    if not first_year <= parsed.year <= last_year:
        raise InvalidInput(N_("That date is out of range."), field=field)
    return parsed.astimezone(UTC)


def query_instant(name: str) -> datetime | None:
    return instant(request.args.get(name), name)


def query_date(name: str) -> date | None:
    """Read an optional calendar day, YYYY-MM-DD."""
    value = request.args.get(name, "").strip()
    if not value:
        return None
    try:
        day = date.fromisoformat(value) if len(value) == 10 else None
    except ValueError:
        day = None
    if day is None:
        raise InvalidInput(N_("Expected a day like 2026-03-14."), field=name)
    if not 1970 <= day.year <= 2999:
        raise InvalidInput(N_("That date is out of range."), field=name)
    return day


def body_id(value: object, field: str) -> int | None:
    """Read an optional positive id from a JSON body: a number or a string of digits."""
    if value is None or value == "":
        return None
    if isinstance(value, str) and _DIGITS.match(value.strip()):
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_ID:
        raise InvalidInput(N_("Expected an identifier."), field=field)
    return value
