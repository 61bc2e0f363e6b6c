"""Admin pages: users (roles, passwords, access, API tokens) and the service catalogue."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import login_user
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hub import accounts, user_admin
from hub.db import get_session
from hub.errors import N_, Conflict, Forbidden, HubError, InvalidInput, NotFound
from hub.ledger import validation
from hub.models import Role, User
from hub.web import admin_services, workbook
from hub.web.auth import admin_required, current
from hub.web.forms import collect_errors, handle_hub_errors
from hub.web.i18n import translate_error
from hub.web.once import CreateForm

bp = Blueprint("admin", __name__, url_prefix="/admin")
handle_hub_errors(bp)
admin_services.register(bp)
workbook.register(bp)

# Valid values swapped in for a bad field, so one submission reports every bad field.
_USER_STAND_INS = {
    "email": "someone@example.com",
    "name": "",
    "role": Role.CONCIERGE,
    "password": "x" * accounts.MIN_PASSWORD_LENGTH,
}


def role_choices() -> list[tuple[str, str]]:
    return [
        (Role.ADMIN, _("Admin")),
        (Role.CONCIERGE, _("Concierge")),
        (Role.PROVIDER, _("Provider")),
    ]


def field_errors(error: HubError) -> dict[str, str]:
    """Place a domain error beside its field; one that names no field becomes a flash message."""
    if error.field:
        return {error.field: translate_error(error)}
    flash(translate_error(error), "error")
    return {}


def _load_user(user_id: int) -> User:
    # Re-read the row even if this request already holds it, so a write starts from fresh data.
    user = get_session().get(User, user_id, populate_existing=True)
    if user is None:
        abort(404)
    return user


# -- users ---------------------------------------------------------------------------------


def _users_page(
    form: dict[str, str] | None = None, errors: dict[str, str] | None = None, status: int = 200
) -> ResponseReturnValue:
    people = accounts.list_users(get_session())
    return render_template(
        "admin/users.html",
        people=people,
        roles=role_choices(),
        form=form or {"role": Role.CONCIERGE},
        errors=errors or {},
    ), status


@bp.get("/users")
@admin_required
def users() -> ResponseReturnValue:
    return _users_page()


def _new_user(data: dict[str, Any]) -> dict[str, str]:
    """Check every field of the new-user form before anything is stored or hashed."""
    email = validation.email(data.get("email"), required=True)
    name = validation.text(data.get("name"), "name", max_length=200)
    role = str(data.get("role") or "")
    if not Role.known(role):
        raise InvalidInput(N_("Choose a role."), field="role")
    password = str(data.get("password") or "")
    if not password:
        raise InvalidInput(N_("This field is required."), field="password")
    accounts.check_new_password(password)
    return {"email": email or "", "name": name or "", "role": role, "password": password}


@bp.post("/users")
@admin_required
def create_user() -> ResponseReturnValue:
    once = CreateForm.posted("user")
    # Before the fields: Back brings the form again with its password field empty.
    once.check_repeat()
    form = {key: request.form.get(key, "") for key in ("email", "name", "role", "password")}
    kept = {key: value for key, value in form.items() if key != "password"}
    fields, errors = collect_errors(_new_user, form, _USER_STAND_INS)
    if fields is None:
        return _users_page(kept, errors, 422)
    # Hashed before the transaction: argon2 is slow and must not hold SQLite's write lock.
    password_hash = accounts.passwords(current_app).hash(fields["password"])

    def add(session: Session) -> tuple[dict[str, Any], str]:
        user = user_admin.add_user(
            session, fields["email"], fields["role"], fields["name"], password_hash=password_hash
        )
        return {"name": user.name}, url_for("admin.user", user_id=user.id)

    try:
        made, where = once.create(add)
    except InvalidInput as exc:
        return _users_page(kept, field_errors(exc), exc.http_status)
    except IntegrityError:
        # Two admins adding the same e-mail at once: the unique index decides.
        error = InvalidInput(N_("A user with this e-mail already exists."), field="email")
        return _users_page(kept, field_errors(error), error.http_status)
    flash(_("%(name)s can now sign in.", name=made["name"]), "success")
    return redirect(where)


def _user_page(
    person: User,
    *,
    errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
    new_token: str | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    return render_template(
        "admin/user.html",
        person=person,
        tokens=sorted(person.tokens, key=lambda t: t.id, reverse=True),
        roles=role_choices(),
        errors=errors or {},
        form={"role": person.role, **(form or {})},
        new_token=new_token,
        is_me=person.id == current().id,
    ), status


@bp.get("/users/<int:user_id>")
@admin_required
def user(user_id: int) -> ResponseReturnValue:
    return _user_page(_load_user(user_id))


@bp.post("/users/<int:user_id>/role")
@admin_required
def change_role(user_id: int) -> ResponseReturnValue:
    role = request.form.get("role", "")
    session = get_session()
    try:
        person = user_admin.change_role(session, user_id, role, by=current())
    except (InvalidInput, Forbidden, Conflict) as exc:
        person = _load_user(user_id)
        return _user_page(
            person, errors=field_errors(exc), form={"role": role}, status=exc.http_status
        )
    flash(_("%(name)s's role is saved.", name=person.name), "success")
    return redirect(url_for("admin.user", user_id=user_id))


@bp.post("/users/<int:user_id>/password")
@admin_required
def reset_password(user_id: int) -> ResponseReturnValue:
    session = get_session()
    try:
        password_hash = accounts.passwords(current_app).hash(request.form.get("password", ""))
        person = user_admin.change_password(session, user_id, password_hash)
    except InvalidInput as exc:
        return _user_page(_load_user(user_id), errors=field_errors(exc), status=exc.http_status)
    if person.id == current().id:
        # The reset ended every session of this user; keep the admin's own one going.
        login_user(person)
    flash(
        _(
            "New password saved; %(name)s's other sessions and API tokens have ended.",
            name=person.name,
        ),
        "success",
    )
    return redirect(url_for("admin.user", user_id=user_id))


@bp.post("/users/<int:user_id>/active")
@admin_required
def set_active(user_id: int) -> ResponseReturnValue:
    choice = request.form.get("active", "")
    if choice not in ("0", "1"):
        abort(400)
    session = get_session()
    try:
        person = user_admin.change_active(session, user_id, choice == "1", by=current())
    except (Forbidden, Conflict) as exc:
        return _user_page(_load_user(user_id), errors=field_errors(exc), status=exc.http_status)
    if person.active:
        flash(_("%(name)s can sign in again.", name=person.name), "success")
    else:
        flash(
            _("%(name)s is deactivated; their sessions and tokens have ended.", name=person.name),
            "success",
        )
    return redirect(url_for("admin.user", user_id=user_id))


@bp.post("/users/<int:user_id>/tokens")
@admin_required
def create_token(user_id: int) -> ResponseReturnValue:
    once = CreateForm.posted("token")
    once.check_repeat()
    raw_label = request.form.get("label", "")
    # The secret is shown on this answer only; the remembered answer keeps where, not what.
    given: list[tuple[User, str]] = []

    def give(session: Session) -> tuple[dict[str, Any], str]:
        given.append(user_admin.give_token(session, user_id, raw_label))
        return {}, url_for("admin.user", user_id=user_id)

    try:
        once.create(give)
    except (InvalidInput, Conflict) as exc:
        return _user_page(
            _load_user(user_id),
            errors=field_errors(exc),
            form={"label": raw_label},
            status=exc.http_status,
        )
    person, token = given[0]
    flash(_("Copy this token now: it will not be shown again."), "success")
    return _user_page(person, new_token=token)


@bp.post("/users/<int:user_id>/tokens/<int:token_id>/revoke")
@admin_required
def revoke_token(user_id: int, token_id: int) -> ResponseReturnValue:
    session = get_session()
    try:
        user_admin.take_token(session, user_id, token_id)
    except NotFound:
        abort(404)
    flash(_("The token is revoked."), "success")
    return redirect(url_for("admin.user", user_id=user_id))


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
