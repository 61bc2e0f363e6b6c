"""Field checks shared by every entry point: text, e-mail, phone, ids, limits, days, times."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, tzinfo

from hub.errors import N_, InvalidInput, NotFound

_EMAIL = re.compile(r"^[^@\s<>\"',;]+@[^@\s<>\"',;]+\.[^@\s<>\"',;.]{2,}$")
_PHONE = re.compile(r"^\+?[0-9 ().\-]{6,25}$")
#: The largest value of a 32-bit ``integer`` column, the type of every id on PostgreSQL: a
#: larger id cannot name a row, and sent to the database it would be an error, not a miss.
MAX_ID = 2**31 - 1
#: Versions live in the same 32-bit integer columns.
MAX_VERSION = 2**31 - 1
#: Every parser bounds years so that converting between time zones can never overflow.
FIRST_YEAR = 1970
LAST_YEAR = 2999
# ASCII digits only: str.isdigit() also accepts "²" and "٣", which int() refuses or reads.
_ID = re.compile(r"[0-9]{1,18}")
_VERSION = re.compile(r"[0-9]{1,10}")
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_REF = re.compile(r"[A-Za-z0-9-]{1,32}")
# A "+" left unescaped in a query string arrives as a space before the UTC offset.
_SPACED_OFFSET = re.compile(r"(:[0-9]{2}(?:\.[0-9]+)?) ([0-9]{2}:?[0-9]{2})$")


def text(value: object, field: str, *, max_length: int, required: bool = False) -> str | None:
    """Return trimmed text or None; raise InvalidInput naming the field when it is unusable."""
    if value is None:
        cleaned = ""
    elif isinstance(value, str):
        cleaned = value.strip()
    else:
        raise InvalidInput(N_("This field must be text."), field=field)
    if not cleaned:
        if required:
            raise InvalidInput(N_("This field is required."), field=field)
        return None
    if len(cleaned) > max_length:
        raise InvalidInput(N_("At most %(max)s characters."), field=field, max=max_length)
    if "\x00" in cleaned:
        raise InvalidInput(N_("This field contains a forbidden character."), field=field)
    return cleaned


def email(value: object, field: str = "email", *, required: bool = False) -> str | None:
    """Return a lowercased e-mail address or None; raise InvalidInput when it is malformed."""
    cleaned = text(value, field, max_length=254, required=required)
    if cleaned is None:
        return None
    if not _EMAIL.match(cleaned):
        raise InvalidInput(
            N_("“%(value)s” is not an e-mail address."), field=field, value=cleaned[:60]
        )
    return cleaned.lower()


def phone(value: object, field: str = "phone") -> str | None:
    """Return a phone number as typed (digits, spaces, + . - ( )) or None."""
    cleaned = text(value, field, max_length=40)
    if cleaned is None:
        return None
    if not _PHONE.match(cleaned):
        raise InvalidInput(
            N_("“%(value)s” is not a phone number."), field=field, value=cleaned[:40]
        )
    return cleaned


def positive_id(
    value: object,
    field: str,
    *,
    required: bool = False,
    message: str = N_("Expected an identifier."),
) -> int | None:
    """Return a positive database id from an int or a string of ASCII digits, or None if blank."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise InvalidInput(N_("This field is required."), field=field)
        return None
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and _ID.fullmatch(value.strip()):
        number = int(value.strip())
    if number is None or not 0 < number <= MAX_ID:
        raise InvalidInput(message, field=field)
    return number


def page_limit(value: object, *, default: int, maximum: int, field: str = "limit") -> int:
    """Return how many rows a page shows: the default when blank, else 1 to maximum."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return default
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and _ID.fullmatch(value.strip()):
        number = int(value.strip())
    if number is None or not 0 < number <= maximum:
        raise InvalidInput(N_("Choose a number between 1 and %(max)s."), field=field, max=maximum)
    return number


def day(value: object, field: str) -> date | None:
    """Return a calendar day written YYYY-MM-DD between 1970 and 2999, or None if blank."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    parsed: date | None = None
    if isinstance(value, str) and _DAY.fullmatch(value.strip()):
        try:
            parsed = date.fromisoformat(value.strip())
        except ValueError:
            parsed = None
    if parsed is None:
        raise InvalidInput(N_("Expected a day like 2026-03-14."), field=field)
    if not FIRST_YEAR <= parsed.year <= LAST_YEAR:
        raise InvalidInput(N_("That date is out of range."), field=field)
    return parsed


def instant(
    value: object,
    field: str,
    *,
    local_zone: tzinfo | None = None,
    first_year: int = FIRST_YEAR,
    last_year: int = LAST_YEAR,
) -> datetime | None:
    """Return an aware UTC date and time, or None if blank; naive input is in local_zone if given.

    Without local_zone the text must name its offset (2026-03-14T09:30:00+01:00), as API
    clients send; with it, a form's <input type=datetime-local> value reads as local time.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    example = (
        N_("Expected a date and time like 2026-03-14 09:30.")
        if local_zone is not None
        else N_("Expected a date and time like 2026-03-14T09:30:00+01:00.")
    )
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        raw = value.strip()
        if len(raw) > 40 or not raw.isascii():
            raise InvalidInput(example, field=field)
        raw = _SPACED_OFFSET.sub(r"\1+\2", raw.replace("Z", "+00:00").replace("z", "+00:00"))
        try:
            parsed = datetime.fromisoformat(raw)
        except ValueError as exc:
            raise InvalidInput(example, field=field) from exc
    else:
        raise InvalidInput(N_("Expected a date and time."), field=field)
    if not first_year <= parsed.year <= last_year:
        raise InvalidInput(N_("That date is out of range."), field=field)
    if parsed.tzinfo is None:
        if local_zone is None:
            raise InvalidInput(
                N_("Give the time zone, e.g. 2026-03-14T09:30:00+01:00."), field=field
            )
        parsed = parsed.replace(tzinfo=local_zone)
    # In UTC, as the database hands it back, so snapshots read the same before and after.
    return parsed.astimezone(UTC)


def version(value: object, field: str = "version") -> int:
    """Return the version number a client edited: a non-negative int, never blank."""
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and _VERSION.fullmatch(value.strip()):
        number = int(value.strip())
    if number is None or not 0 <= number <= MAX_VERSION:
        raise InvalidInput(N_("Expected a version number."), field=field)
    return number


def order_ref(ref: str) -> str:
    """Return an order reference of a possible shape, or raise NotFound before any query."""
    if not _REF.fullmatch(ref):
        raise NotFound(N_("No order %(ref)s."), ref=ref[:40])
    return ref


def web_link(url: str | None) -> str | None:
    """Return a link only if it is a web address: pages render it as an href people follow."""
    return url if url and url.startswith(("https://", "http://")) else None
