"""The outbox page (admin): each connector's queue and runs, dead letters, and actions.

Replays, pauses and resumes go through ``hub.outbox.control`` in one write transaction each,
which writes the audit entry the page lists at the bottom. A refused action (an unknown event
or connector, a replay of a row that is not dead, a second pause) re-renders the page with the
reason and a 4xx status; nothing is stored.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from flask import (
    Blueprint,
    Flask,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import format_timedelta
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from hub.config import get_config
from hub.db import get_session
from hub.demo_clear import demo_present
from hub.errors import N_, HubError, NotFound
from hub.ledger.actor import Actor
from hub.ledger.sheet_health import sheet_health
from hub.ledger.stripe_sync_view import stripe_sync
from hub.models import AuditEntry
from hub.outbox import control
from hub.outbox.connectors import connectors_for
from hub.outbox.runs_view import abandoned_runs, background_runs
from hub.outbox.status import (
    ConnectorStatus,
    audit_trail,
    connector_statuses,
    dead_letters,
    is_known_connector,
    silent_after_seconds,
    worker_health,
)
from hub.web.auth import admin_required, current
from hub.web.forms import handle_hub_errors
from hub.web.i18n import translate_error

bp = Blueprint("outbox", __name__, url_prefix="/admin/outbox")
handle_hub_errors(bp)

RUNS_PER_CONNECTOR = 5
DEAD_LETTERS_SHOWN = 100
AUDIT_ENTRIES_SHOWN = 50


@bp.context_processor
def _helpers() -> dict[str, Any]:
    return {
        "age": _age,
        "pretty_json": _pretty_json,
        "state_label": _state_label,
        "connector_label": _label,
        "outcome_label": _outcome_label,
        "audit_label": _audit_label,
        "audit_details": _audit_details,
    }


def _age(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    # Babel names nothing shorter than a second; a younger event reads as one second old.
    return str(format_timedelta(timedelta(seconds=max(1.0, seconds)), threshold=1.0))


def _pretty_json(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True, default=str)


def _state_label(status: ConnectorStatus) -> str:
    if status.state == "off":
        # "Off" read as if someone had switched it off: say what it is waiting for.
        return str(_("Not installed yet") if status.not_installed else _("To configure"))
    labels: dict[str, str] = {"on": _("On"), "paused": _("Paused")}
    return str(labels.get(status.state, status.state))


def _label(connector: str) -> str:
    """Return the connector's name as people know it, translated ("Classeur local")."""
    return str(_(connectors_for().label(connector)))


def _outcome_label(outcome: str) -> str:
    labels: dict[str, str] = {
        "running": _("Running"),
        "ok": _("OK"),
        "failed": _("Failed"),
        "abandoned": _("Abandoned"),
    }
    return labels.get(outcome, outcome)


def _audit_label(action: str) -> str:
    labels: dict[str, str] = {
        "outbox.replay": _("Replayed an event"),
        "outbox.replay_dead": _("Replayed dead letters"),
        "connector.pause": _("Paused the connector"),
        "connector.resume": _("Resumed the connector"),
    }
    return labels.get(action, action)


def _audit_details(entry: AuditEntry) -> str:
    details = entry.details or {}
    if entry.action == "outbox.replay_dead":
        return str(_("%(count)s event(s)", count=details.get("count", 0)))
    if entry.action == "outbox.replay":
        return f"{details.get('topic', '')} {details.get('aggregate_ref', '')}".strip()
    if entry.action == "connector.pause" and details.get("reason"):
        return str(details["reason"])
    return ""


def _page(status: int = 200, pause_form: dict[str, str] | None = None) -> ResponseReturnValue:
    session = get_session()
    connectors = connectors_for()
    return render_template(
        "outbox/index.html",
        statuses=connector_statuses(session, connectors, runs_per_connector=RUNS_PER_CONNECTOR),
        demo=demo_present(session),
        workers=worker_health(session, silent_after=silent_after_seconds(get_config(current_app))),
        letters=dead_letters(session, limit=DEAD_LETTERS_SHOWN),
        runs=background_runs(session),
        abandoned=abandoned_runs(session),
        audit=audit_trail(session, limit=AUDIT_ENTRIES_SHOWN),
        pause_form=pause_form or {},
        stripe_sync=stripe_sync(session),
        sheet=sheet_health(session),
    ), status


def _act(
    change: Callable[[Session, Actor], str],
    pause_form: dict[str, str] | None = None,
    *,
    connector: str | None = None,
) -> ResponseReturnValue:
    """Apply one admin action (each owns its transaction), then show the page with how it went."""
    session = get_session()
    try:
        if connector is not None:
            # A read, before the write transaction begins (which ends this read snapshot).
            _known(session, connector)
        message = change(session, Actor.of(current()))
    except HubError as exc:
        if exc.field == "reason" and pause_form is not None:
            # Shown beside the reason the admin typed, which the form keeps.
            pause_form = {**pause_form, "error": translate_error(exc)}
            flash(_("Nothing was saved. Please correct the fields marked below."), "error")
        else:
            flash(translate_error(exc), "error")
        return _page(exc.http_status, pause_form)
    flash(message, "success")
    return redirect(url_for("outbox.index"))


def _known(session: Session, connector: str) -> None:
    if not is_known_connector(session, connectors_for(), connector):
        raise NotFound(N_("No connector named “%(name)s”."), name=connector)


@bp.get("")
@admin_required
def index() -> ResponseReturnValue:
    return _page()


@bp.post("/events/<int:row_id>/replay")
@admin_required
def replay(row_id: int) -> ResponseReturnValue:
    def change(session: Session, actor: Actor) -> str:
        row = control.replay(session, actor, row_id)
        return str(
            _(
                "Event %(id)s goes back to %(name)s from its first attempt.",
                id=row.id,
                name=_label(row.connector),
            )
        )

    return _act(change)


@bp.post("/connectors/<connector>/replay-dead")
@admin_required
def replay_dead(connector: str) -> ResponseReturnValue:
    def change(session: Session, actor: Actor) -> str:
        count = control.replay_dead(session, actor, connector=connector)
        if not count:
            return str(_("%(name)s has no dead letters to replay.", name=_label(connector)))
        return str(
            _("%(count)s dead letter(s) go back to %(name)s.", count=count, name=_label(connector))
        )

    return _act(change, connector=connector)


@bp.post("/connectors/<connector>/pause")
@admin_required
def pause(connector: str) -> ResponseReturnValue:
    reason = request.form.get("reason", "")

    def change(session: Session, actor: Actor) -> str:
        control.pause(session, actor, connector, reason)
        return str(
            _("%(name)s is paused: its events wait until you resume it.", name=_label(connector))
        )

    return _act(change, {"connector": connector, "reason": reason}, connector=connector)


@bp.post("/connectors/<connector>/resume")
@admin_required
def resume(connector: str) -> ResponseReturnValue:
    def change(session: Session, actor: Actor) -> str:
        control.resume(session, actor, connector)
        return str(
            _("%(name)s is resumed: what waited is delivered first.", name=_label(connector))
        )

    return _act(change, connector=connector)


def _old_address() -> ResponseReturnValue:
    # The page was called "Synchronisation" at /admin/sync; bookmarks still lead there.
    return redirect(url_for("outbox.index"), 308)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.add_url_rule("/admin/sync", "outbox_old_address", _old_address)
