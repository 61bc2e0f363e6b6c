"""What an admin does to users and their API tokens: one use case, one transaction each."""

from __future__ import annotations

from sqlalchemy.orm import Session

from hub import accounts
from hub.db import use_case
from hub.errors import N_, Conflict, NotFound
from hub.ledger import validation
from hub.models import User


def _user(session: Session, user_id: int) -> User:
    # Re-read the row even if this session holds it, so the change starts from fresh data.
    user = session.get(User, user_id, populate_existing=True)
    if user is None:
        raise NotFound(N_("No user %(id)s."), id=user_id)
    return user


@use_case
def add_user(session: Session, email: str, role: str, name: str, *, password_hash: str) -> User:
    """Add a user whose password was hashed beforehand (argon2 must not hold the write lock)."""
    return accounts.create_user(session, email, role, name, password_hash=password_hash)


@use_case
def change_role(session: Session, user_id: int, role: str, *, by: User) -> User:
    """Give a user another role, keeping at least one active admin."""
    person = _user(session, user_id)
    accounts.set_role(session, person, role, by=by)
    return person


@use_case
def change_password(session: Session, user_id: int, password_hash: str) -> User:
    """Store a new password hash, ending the user's sessions and revoking their API tokens."""
    person = _user(session, user_id)
    accounts.set_password(session, person, password_hash)
    return person


@use_case
def change_active(session: Session, user_id: int, active: bool, *, by: User) -> User:
    """Deactivate a user (ending sessions and tokens) or bring them back."""
    person = _user(session, user_id)
    accounts.set_active(session, person, active, by=by)
    return person


@use_case
def give_token(session: Session, user_id: int, label: object) -> tuple[User, str]:
    """Issue an API token to an active user; return the user and the token, shown once."""
    person = _user(session, user_id)
    if not person.active:
        raise Conflict(N_("Reactivate this user before giving them a token."))
    text = validation.text(label, "label", max_length=100) or ""
    return person, accounts.create_token(session, person, text)


@use_case
def take_token(session: Session, user_id: int, token_id: int) -> None:
    """Revoke one of a user's tokens."""
    accounts.revoke_token(session, token_id, _user(session, user_id))
