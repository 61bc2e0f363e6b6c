"""Sign-in and sign-out, roles on pages, the language switch, and the sign-in throttle."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any, TypeVar, cast
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import LoginManager, current_user, login_required, login_user, logout_user

from hub import accounts
from hub.config import get_config
from hub.db import get_session, write_transaction
from hub.models import STAFF_ROLES, Role, User
from hub.web.i18n import LANGUAGES

bp = Blueprint("auth", __name__)
login_manager = LoginManager()
F = TypeVar("F", bound=Callable[..., Any])

IP_MAX_FAILURES_FACTOR = 4


def role_required(*roles: str) -> Callable[[F], F]:
    """Let only signed-in users with one of the roles through; others get 403."""

    def decorator(view: F) -> F:
        @wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        return cast(F, wrapped)

    return decorator


staff_required = role_required(*STAFF_ROLES)
admin_required = role_required(Role.ADMIN)


def current() -> User:
    """Return the signed-in user (views behind login_required only)."""
    return cast(User, current_user._get_current_object())


def home_for(user: User) -> str:
    if user.role == Role.PROVIDER:
        return url_for("missions.index")
    return url_for("board.index")


def _safe_next(target: str | None) -> str | None:
    if not target:
        return None
    # Browsers read "/\evil.example" as "//evil.example" and drop tabs and newlines.
    if "\\" in target or any(ord(char) < 0x20 or ord(char) == 0x7F for char in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def _clear_session() -> None:
    """Start a fresh session (no fixation) that keeps only the language the person chose."""
    lang = session.get("lang")
    session.clear()
    if lang in LANGUAGES:
        session["lang"] = lang


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(home_for(current()))
    cfg = get_config(current_app)
    email = ""
    status = 200
    if request.method == "POST":
        email = (request.form.get("email") or "").strip().lower()[:254]
        password = request.form.get("password") or ""
        email_key, address_key, pair_key = accounts.throttle_keys(email, request.remote_addr)
        db = get_session()
        # Locked per (e-mail, address) pair and per address, so guessing someone's password
        # never locks its owner out; the e-mail alone, guessed from many addresses, only
        # slows down.
        limits = {
            pair_key: cfg.hub.login_max_failures,
            address_key: cfg.hub.login_max_failures * IP_MAX_FAILURES_FACTOR,
        }
        # Counted and committed before the password is checked, so parallel guesses cannot
        # all slip through before the first failure is recorded.
        with write_transaction(db):
            verdict = accounts.count_attempt(
                db,
                limits,
                lockout=timedelta(seconds=cfg.hub.login_lockout_seconds),
                soft_limits={email_key: cfg.hub.login_max_failures},
            )
        if not verdict.allowed:
            flash(_("Too many failed attempts. Wait a few minutes, then try again."), "error")
            status = 429
        else:
            # After the commit: a waiting attempt holds no lock.
            time.sleep(verdict.delay_seconds)
            user = accounts.find_user(db, email) if email else None
            checked = accounts.passwords(current_app).check(user, password)
            ok = checked and user is not None and user.active
            if ok:
                with write_transaction(db):
                    accounts.forget_attempt(db, [email_key, pair_key], address_key)
            if ok and user is not None:
                _clear_session()
                login_user(user)
                return redirect(_safe_next(request.args.get("next")) or home_for(user))
            flash(_("Wrong e-mail or password."), "error")
            status = 401
    return render_template("auth/login.html", email=email), status


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    if current_user.is_authenticated:
        # The signed cookie stays valid until it expires unless its epoch moves on; this
        # also signs the person out on their other devices.
        db = get_session()
        with write_transaction(db):
            person = db.get(User, current().id, populate_existing=True)
            if person is not None:
                accounts.end_sessions(db, person)
    logout_user()
    _clear_session()
    flash(_("You are signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.post("/language")
def language() -> ResponseReturnValue:
    chosen = request.form.get("lang")
    if chosen in LANGUAGES:
        session["lang"] = chosen
    return redirect(_safe_next(request.form.get("next")) or url_for("auth.login"))


@bp.get("/")
def root() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(home_for(current()))
    return redirect(url_for("auth.login"))


def _load_user(user_id: str) -> User | None:
    try:
        raw_id, epoch = user_id.split(":", 1)
        user = get_session().get(User, int(raw_id))
    except (ValueError, TypeError):
        return None
    if user is None or not user.active or str(user.session_epoch) != epoch:
        return None
    g.log_user_id = user.id
    return user


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    login_manager.session_protection = "basic"
    login_manager.user_loader(_load_user)
    app.register_blueprint(bp)
