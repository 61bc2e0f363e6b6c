"""Users, password hashing, API tokens and the sign-in throttle."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property
from typing import TYPE_CHECKING

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, joinedload, selectinload

from hub.db import UTCDateTime, utcnow, write_transaction
from hub.errors import N_, Conflict, Forbidden, InvalidInput, NotFound
from hub.ledger import validation
from hub.models import ApiToken, LoginThrottle, Role, User

if TYPE_CHECKING:
    from flask import Flask

# argon2id costs by name ([hub] password_hash_cost). "standard" is argon2-cffi's RFC 9106
# low-memory profile (t=3, m=64 MiB, p=4), above OWASP ASVS level 2's minimum (m=19 MiB,
# t=2, p=1). "test" is argon2's floor, for test suites only: it protects nothing.
# Each cost is (time_cost, memory_cost in KiB, parallelism).
HASH_COSTS: dict[str, tuple[int, int, int]] = {
    "standard": (3, 65536, 4),
    "test": (1, 8, 1),
}
MIN_PASSWORD_LENGTH = 10
TOKEN_PREFIX = "hub_"  # noqa: S105 - a public marker, not a secret
TOKEN_USE_PRECISION = timedelta(minutes=1)


class Passwords:
    """Hash and verify passwords with argon2id at one of HASH_COSTS."""

    def __init__(self, cost: str = "standard") -> None:
        self.cost = cost
        time_cost, memory_cost, parallelism = HASH_COSTS[cost]
        self._hasher = PasswordHasher(
            time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism
        )

    @cached_property
    def _dummy_hash(self) -> str:
        # Verified against when the e-mail is unknown, so a miss costs as much time as a hit.
        return self._hasher.hash(secrets.token_hex(16))

    def hash(self, password: str) -> str:
        """Check and hash a new password; call it before a write transaction, as it is slow."""
        check_new_password(password)
        return self._hasher.hash(password)

    def check(self, user: User | None, password: str) -> bool:
        """Verify a password in constant-ish time whether or not the user exists."""
        stored = user.password_hash if user is not None and user.password_hash else None
        try:
            # A stored hash carries its own cost: verifying it costs what hashing it did.
            ok: bool = self._hasher.verify(stored or self._dummy_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            ok = False
        return ok and stored is not None


def passwords(app: Flask) -> Passwords:
    """Return the app's password hashing, at the cost its configuration names."""
    found: Passwords = app.extensions["hub.passwords"]
    return found


def check_new_password(password: str) -> None:
    """Refuse a password that is too short or too long, before anything is hashed."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(
            N_("A password needs at least %(min)s characters."),
            field="password",
            min=MIN_PASSWORD_LENGTH,
        )
    if len(password) > 1024:
        raise InvalidInput(N_("That password is too long."), field="password")


def find_user(session: Session, email: str) -> User | None:
    return session.scalars(sa.select(User).where(User.email == email.strip().lower())).first()


def create_user(
    session: Session,
    email: str,
    role: str,
    name: str | None = None,
    *,
    password_hash: str | None = None,
) -> User:
    """Add a user with a password hashed beforehand; the e-mail is the login and is unique."""
    address = validation.email(email, required=True)
    assert address is not None
    if not Role.known(role):
        raise InvalidInput(N_("Choose a role."), field="role")
    if find_user(session, address) is not None:
        raise InvalidInput(N_("A user with this e-mail already exists."), field="email")
    display = validation.text(name, "name", max_length=200) or address.split("@")[0]
    user = User(
        email=address,
        name=display,
        role=role,
        password_hash=password_hash,
        active=True,
    )
    session.add(user)
    session.flush()
    return user


def set_password(session: Session, user: User, password_hash: str) -> None:
    """Store a new password hash (from hash_password), ending the user's sessions and tokens."""
    user.password_hash = password_hash
    user.session_epoch += 1
    # A reset answers a leaked password: a token made with it would keep the intruder in.
    _revoke_tokens(session, user)
    session.flush()


def _revoke_tokens(session: Session, user: User) -> None:
    session.execute(
        sa.update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


def end_sessions(session: Session, user: User) -> None:
    """End every signed-in session of the user, copies of the session cookie included."""
    user.session_epoch += 1
    session.flush()


def set_active(session: Session, user: User, active: bool, *, by: User | None = None) -> None:
    """Deactivate a user (ending their sessions and tokens) or bring them back."""
    if by is not None and by.id == user.id and not active:
        raise Forbidden(N_("You cannot deactivate your own account; ask another admin."))
    if not active:
        _keep_an_admin(session, user)
    user.active = active
    if not active:
        user.session_epoch += 1
        _revoke_tokens(session, user)
    session.flush()


def set_role(session: Session, user: User, role: str, *, by: User | None = None) -> None:
    """Give a user another role; an admin cannot take their own admin role away."""
    if not Role.known(role):
        raise InvalidInput(N_("Choose a role."), field="role")
    if by is not None and by.id == user.id and user.role == Role.ADMIN and role != Role.ADMIN:
        raise Forbidden(
            N_("You cannot remove your own admin role; ask another admin."), field="role"
        )
    if role != Role.ADMIN:
        _keep_an_admin(session, user)
    user.role = Role(role)
    session.flush()


def _keep_an_admin(session: Session, user: User) -> None:
    """Refuse to take away the last active admin, who alone can manage users."""
    if user.role != Role.ADMIN or not user.active:
        return
    # Lock the admin rows (PostgreSQL; SQLite's write lock already serializes writers), so
    # two admins demoting each other at once cannot both see the other one still there.
    admins = session.scalars(
        sa.select(User.id).where(User.role == Role.ADMIN, User.active.is_(True)).with_for_update()
    ).all()
    if not any(admin_id != user.id for admin_id in admins):
        raise Conflict(
            N_("%(name)s is the last active admin; make someone else an admin first."),
            name=user.name,
        )


def list_users(session: Session) -> list[User]:
    """List every user with their tokens: active ones first, then by name."""
    stmt = (
        sa.select(User)
        .options(selectinload(User.tokens))
        .order_by(User.active.desc(), User.name, User.id)
    )
    return list(session.scalars(stmt))


def list_providers(session: Session, *, include_inactive: bool = False) -> list[User]:
    """List the providers by name: active ones only, or every one (active first)."""
    stmt = sa.select(User).where(User.role == Role.PROVIDER)
    if include_inactive:
        stmt = stmt.order_by(User.active.desc(), User.name, User.id)
    else:
        stmt = stmt.where(User.active.is_(True)).order_by(User.name)
    return list(session.scalars(stmt))


# -- API tokens ----------------------------------------------------------------------------


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(session: Session, user: User, label: str = "") -> str:
    """Issue a bearer token; only its hash is stored, so it is shown once."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(
        ApiToken(user_id=user.id, token_hash=_digest(token), prefix=token[:10], label=label[:100])
    )
    session.flush()
    return token


def user_for_token(session: Session, token: str) -> User | None:
    """Return the active user a live token belongs to, or None; note when it was last used."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    # The user comes in the same query: every API request starts here.
    row = session.scalars(
        sa.select(ApiToken)
        .options(joinedload(ApiToken.user, innerjoin=True))
        .where(ApiToken.token_hash == _digest(token))
    ).first()
    if row is None or row.revoked_at is not None or not row.user.active:
        return None
    user = row.user
    now = utcnow()
    # Written at most once a minute per token, so API reads seldom take SQLite's write lock.
    if row.last_used_at is None or row.last_used_at <= now - TOKEN_USE_PRECISION:
        with write_transaction(session):
            session.execute(
                sa.update(ApiToken)
                .where(
                    ApiToken.id == row.id,
                    sa.or_(
                        ApiToken.last_used_at.is_(None),
                        ApiToken.last_used_at <= now - TOKEN_USE_PRECISION,
                    ),
                )
                .values(last_used_at=now)
            )
    return user


def revoke_token(session: Session, token_id: int, user: User | None = None) -> None:
    row = session.get(ApiToken, token_id)
    if row is None or (user is not None and row.user_id != user.id):
        raise NotFound(N_("No token %(id)s."), id=token_id)
    row.revoked_at = utcnow()
    session.flush()


# -- sign-in throttle ----------------------------------------------------------------------


#: An e-mail guessed from many addresses past its limit is slowed by this much per failure,
#: up to the cap, for everyone: its owner still gets in from a fresh address, only slower.
SLOWDOWN_STEP_SECONDS = 0.25
SLOWDOWN_CAP_SECONDS = 2.0
#: Never locks: a soft limit's count only decides the slowdown.
_NO_LOCK = 2**31 - 1


@dataclass(frozen=True)
class AttemptVerdict:
    """Whether a sign-in attempt may check its password, and how long to wait first."""

    allowed: bool
    delay_seconds: float = 0.0


def throttle_keys(email: str, address: str | None) -> tuple[str, str, str]:
    """Return the throttle keys of a sign-in attempt: its e-mail, its address, and the pair."""
    # Hashed: an e-mail (254) and an address together could outgrow the key column.
    pair = hashlib.sha256(f"{address}\n{email}".encode()).hexdigest()
    return f"email:{email}", f"ip:{address}", f"pair:{pair}"


def slowdown(failures: int, limit: int) -> float:
    """Return the delay for an attempt that is the ``failures``-th within a soft limit."""
    return min(SLOWDOWN_CAP_SECONDS, SLOWDOWN_STEP_SECONDS * max(0, failures - limit))


def count_attempt(
    session: Session,
    limits: dict[str, int],
    *,
    lockout: timedelta,
    soft_limits: dict[str, int] | None = None,
) -> AttemptVerdict:
    """Count a sign-in attempt against each key first; tell whether it may go on, and when.

    Each key's row is bumped by one atomic upsert that returns the new count, so parallel
    attempts are each counted once and at most ``limit`` of them per window get their
    password checked. A key over its limit stays locked for ``lockout``; a key whose window
    or lockout has passed starts counting afresh. A key over a soft limit never refuses: it
    only delays the attempt, longer the further past its limit it is.
    """
    now = utcnow()
    allowed = True
    for key, limit in limits.items():
        failures = _bump(session, key, limit, now, lockout)
        allowed = allowed and failures <= limit
    delay = 0.0
    for key, limit in (soft_limits or {}).items():
        failures = _bump(session, key, _NO_LOCK, now, lockout)
        delay = max(delay, slowdown(failures, limit))
    return AttemptVerdict(allowed=allowed, delay_seconds=delay if allowed else 0.0)


def _bump(session: Session, key: str, limit: int, now: datetime, lockout: timedelta) -> int:
    col = LoginThrottle

    def when(value: datetime) -> sa.ColumnElement[datetime]:
        return sa.literal(value, UTCDateTime())

    passed = sa.or_(
        sa.and_(col.locked_until.is_(None), col.first_failure_at <= now - lockout),
        sa.and_(col.locked_until.is_not(None), col.locked_until <= now),
    )
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = (
        insert(LoginThrottle)
        .values(key=key, failures=1, first_failure_at=now, locked_until=None)
        .on_conflict_do_update(
            index_elements=["key"],
            set_={
                "failures": sa.case((passed, 1), else_=col.failures + 1),
                "first_failure_at": sa.case((passed, when(now)), else_=col.first_failure_at),
                "locked_until": sa.case(
                    (passed, sa.null()),
                    (col.locked_until.is_not(None), col.locked_until),
                    (col.failures + 1 > limit, when(now + lockout)),
                    else_=sa.null(),
                ),
            },
        )
        .returning(col.failures)
    )
    failures: int = session.execute(stmt).scalar_one()
    return failures


def forget_attempt(session: Session, forgotten: list[str], address_key: str) -> None:
    """After a successful sign-in, clear the e-mail's counts and give the address its try back."""
    session.execute(sa.delete(LoginThrottle).where(LoginThrottle.key.in_(forgotten)))
    session.execute(
        sa.update(LoginThrottle)
        .where(LoginThrottle.key == address_key, LoginThrottle.failures > 0)
        .values(failures=LoginThrottle.failures - 1)
    )


def prune_throttles(session: Session, before: datetime) -> int:
    """Delete throttle rows whose window and lockout both ended before ``before``."""
    last = sa.func.coalesce(LoginThrottle.locked_until, LoginThrottle.first_failure_at)
    result = session.execute(sa.delete(LoginThrottle).where(last < before))
    return int(getattr(result, "rowcount", 0) or 0)
