"""Field checks shared by every ledger entry point: trimmed text, lengths, e-mail shape."""

from __future__ import annotations

import re

from hub.errors import N_, InvalidInput

_EMAIL = re.compile(r"^[^@\s<>\"',;]+@[^@\s<>\"',;]+\.[^@\s<>\"',;.]{2,}$")
_PHONE = re.compile(r"^\+?[0-9 ().\-]{6,25}$")


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
