"""Remember what a create answered under a client's Idempotency-Key, and answer retries alike.

The remembered response commits in the same transaction as the create, so a retry after a
lost response finds either both or neither. Keys are kept 24 hours, as Stripe keeps its own.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hub.errors import N_, InvalidInput
from hub.models import IdempotencyKey

KEEP_FOR = timedelta(hours=24)
MAX_KEY_LENGTH = 255


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
