"""Remember what a create answered under a one-time key, and answer its repeats alike.

Two front ends use it: the API's ``Idempotency-Key`` header (a client's retry after a lost
response) and the pages' create forms, whose one-time token is rendered into each form (a
double tap, or Back and submit again). The remembered answer commits in the same transaction
as the create, so a repeat finds either both or neither, and two repeats racing each other
are decided by the unique key. Keys are kept 24 hours, as Stripe keeps its own.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hub.errors import N_, HubError, InvalidInput
from hub.models import IdempotencyKey
from hub.sql import write_transaction

KEEP_FOR = timedelta(hours=24)
MAX_KEY_LENGTH = 255
#: The hidden field in which a create form carries its one-time token.
FORM_TOKEN_FIELD = "form_token"  # noqa: S105 - a field name, not a secret
# 24 random bytes, URL-safe base64: what new_form_token() makes, and nothing else.
_FORM_TOKEN = re.compile(r"[A-Za-z0-9_-]{32}")


@dataclass(frozen=True)
class Remembered:
    status_code: int
    body: dict[str, Any]
    location: str | None


def check_key(key: str) -> str:
    """Return the key if it is printable ASCII of a sane length; raise InvalidInput otherwise."""
    if not key or len(key) > MAX_KEY_LENGTH or not key.isascii() or not key.isprintable():
        raise InvalidInput(
            N_("Idempotency-Key must be 1 to 255 printable ASCII characters."),
            field="Idempotency-Key",
        )
    return key


def fingerprint(method: str, path: str, body: bytes) -> str:
    return hashlib.sha256(method.encode() + b" " + path.encode() + b"\n" + body).hexdigest()


def recall(session: Session, user_id: int, key: str, print_: str) -> Remembered | None:
    """Return the remembered response for this key, refusing a key reused for another request."""
    row = session.scalars(
        sa.select(IdempotencyKey).where(
            IdempotencyKey.user_id == user_id, IdempotencyKey.key == key
        )
    ).first()
    if row is None:
        return None
    if row.fingerprint != print_:
        raise InvalidInput(
            N_("This Idempotency-Key was already used for a different request."),
            field="Idempotency-Key",
        )
    return Remembered(row.status_code, row.response_body, row.location)


def remember(
    session: Session,
    user_id: int,
    key: str,
    print_: str,
    answer: Remembered,
) -> None:
    """Store the response in the caller's transaction, beside the change it describes."""
    session.add(
        IdempotencyKey(
            user_id=user_id,
            key=key,
            fingerprint=print_,
            status_code=answer.status_code,
            response_body=answer.body,
            location=answer.location,
        )
    )
    session.flush()


def prune(session: Session, *, before: datetime) -> int:
    """Forget keys older than the cutoff; return how many."""
    result = session.execute(sa.delete(IdempotencyKey).where(IdempotencyKey.created_at < before))
    return int(getattr(result, "rowcount", 0) or 0)


def once(
    session: Session,
    user_id: int,
    key: str,
    print_: str,
    make: Callable[[Session], Remembered],
) -> tuple[Remembered, bool]:
    """Make the record and remember its answer in one transaction, unless the key already has one.

    Return the answer and whether it is a repeat. ``make`` calls a ledger use case, which joins
    this transaction, so the record and its key commit together or not at all.
    """
    try:
        with write_transaction(session):
            found = recall(session, user_id, key, print_)
            if found is not None:
                return found, True
            answer = make(session)
            remember(session, user_id, key, print_, answer)
    except IntegrityError:
        # A concurrent request under the same key committed first (PostgreSQL lets both in;
        # the unique key refuses the second insert): answer what the first one answered.
        found = recall(session, user_id, key, print_)
        if found is None:
            raise
        return found, True
    return answer, False


def new_form_token() -> str:
    """Return a fresh one-time token to render into a create form."""
    return secrets.token_urlsafe(24)


def is_form_token(raw: str) -> bool:
    """Tell whether a form's token has the shape new_form_token() makes."""
    return _FORM_TOKEN.fullmatch(raw) is not None


def check_form_token(raw: str) -> str:
    """Return the token a form sent if it has the shape of ours; refuse it otherwise."""
    if not is_form_token(raw):
        raise HubError(
            N_(
                "This form was altered or is damaged, so nothing was saved. "
                "Go back, reload the page and send the form again."
            ),
            field=FORM_TOKEN_FIELD,
        )
    return raw


def form_key(scope: str, token: str) -> tuple[str, str]:
    """Return the key and fingerprint under which a form's token is remembered.

    The form's name is part of the key, so a token counts once per user and form; the
    fingerprint does not depend on the fields, because the second submit of a form may differ
    from the first (Back brings back what was typed, a password field comes back empty) and
    must still answer what the first one created.
    """
    return f"form:{scope}:{token}", fingerprint("FORM", scope, b"")
