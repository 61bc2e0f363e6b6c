"""The provider's missions: today's and upcoming jobs, recent ones, and "Mark as done"."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from flask import Blueprint, Flask, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import format_date
from flask_babel import gettext as _

from hub.db import business_zone, get_session, utcnow
from hub.errors import Conflict, InvalidInput, NotFound, NotYetDue
from hub.ledger import validation
from hub.ledger.actor import Actor
from hub.ledger.fulfilment import complete_order, completion_day, is_due
from hub.ledger.missions_view import open_missions, recently_done
from hub.ledger.order_access import get_visible_order
from hub.ledger.order_rows import OrderRow
from hub.models import OrderStatus, Role
from hub.web.auth import current, role_required
from hub.web.forms import handle_hub_errors
from hub.web.i18n import local_time, translate_error

bp = Blueprint("missions", __name__)
handle_hub_errors(bp)

provider_required = role_required(Role.PROVIDER)


@dataclass
class Day:
    """Open missions under one heading: ``overdue`` (earlier days), ``today`` or ``upcoming``."""

    kind: str
    on: date | None
    missions: list[OrderRow] = field(default_factory=list)


def group_by_day(missions: list[OrderRow], now: datetime) -> list[Day]:
    """Sort open missions under headings by their local date; today always has a heading."""
    local_now = local_time(now)
    assert local_now is not None
    today = local_now.date()
    overdue = Day("overdue", None)
    current_day = Day("today", today)
    upcoming: list[Day] = []
    for order in missions:
        local = local_time(order.scheduled_at)
        on = local.date() if local is not None else None
        if on is None or on < today:
            overdue.missions.append(order)
        elif on == today:
            current_day.missions.append(order)
        else:
            if not upcoming or upcoming[-1].on != on:
                upcoming.append(Day("upcoming", on))
            upcoming[-1].missions.append(order)
    return ([overdue] if overdue.missions else []) + [current_day, *upcoming]


@bp.context_processor
def _card_context() -> dict[str, Any]:
    """What the mission card needs to offer "Mark as done" only from the mission's day.

    Given to every page of this blueprint, so any page that shows a mission card has it.
    """
    zone = business_zone(get_session())
    now = utcnow()
    return {
        "mission_due": lambda order: is_due(order.scheduled_at, zone, now),
        "mission_day": lambda order: completion_day(order.scheduled_at, zone),
    }


#: Days shown at first after today; later ones wait behind a "see more" link.
NEXT_DAYS = 3


@dataclass
class Agenda:
    """The missions page in reading order: today and the next days, then what is left over."""

    days: list[Day]
    later: int
    overdue: Day | None


def agenda(days: list[Day], *, show_all: bool) -> Agenda:
    """Put today and the next NEXT_DAYS days first; count the missions of later days, which
    only show when asked; missions left undone on earlier days come after."""
    overdue = next((day for day in days if day.kind == "overdue"), None)
    dated = [day for day in days if day.kind != "overdue"]
    today = dated[0].on
    assert today is not None
    shown = [
        day for day in dated if show_all or day.on is None or (day.on - today).days <= NEXT_DAYS
    ]
    later = sum(len(day.missions) for day in dated if day not in shown)
    return Agenda(days=shown, later=later, overdue=overdue)


def _render_index(status: int = 200) -> ResponseReturnValue:
    session = get_session()
    me = current()
    days = group_by_day(open_missions(session, me.id), utcnow())
    done = recently_done(session, me.id)
    plan = agenda(days, show_all=request.args.get("all") == "1")
    return render_template("missions/index.html", agenda=plan, done=done, **_card_context()), status


@bp.get("/missions")
@provider_required
def index() -> ResponseReturnValue:
    return _render_index()


@bp.get("/missions/<ref>")
@provider_required
def detail(ref: str) -> ResponseReturnValue:
    try:
        order = get_visible_order(get_session(), Actor.of(current()), ref)
    except NotFound:
        abort(404)
    return render_template("missions/detail.html", order=order)


def _conflict_message(ref: str, error: Conflict) -> str:
    """Say plainly why a mission cannot be marked done, rather than quoting the state machine."""
    try:
        order = get_visible_order(get_session(), Actor.of(current()), ref)
    except NotFound:
        return translate_error(error)
    if order.status == OrderStatus.DONE:
        return str(_("Mission %(ref)s is already marked done.", ref=ref))
    if order.status == OrderStatus.CANCELLED:
        return str(_("Mission %(ref)s was cancelled; there is nothing to mark done.", ref=ref))
    if isinstance(error, NotYetDue):
        day = completion_day(order.scheduled_at, business_zone(get_session()))
        return str(
            _(
                "Mission %(ref)s is planned for %(day)s: you can mark it done from that day on.",
                ref=ref,
                day=format_date(day, "full") if day else "",
            )
        )
    return translate_error(error)


@bp.post("/missions/<ref>/done")
@provider_required
def done(ref: str) -> ResponseReturnValue:
    try:
        version = validation.version(request.form.get("version"))
    except InvalidInput:
        flash(_("This page is out of date. Reload it, then try again."), "error")
        return _render_index(422)
    if request.form.get("confirm") != "yes":
        # The box is required in the form; a post without it (an old page, a script) asks again.
        flash(_("Tick the box to confirm that mission %(ref)s is finished.", ref=ref), "error")
        return _render_index(422)
    session = get_session()
    try:
        order = complete_order(session, Actor.of(current()), ref, expected_version=version)
    except NotFound:
        abort(404)
    except Conflict as exc:
        flash(_conflict_message(ref, exc), "error")
        return _render_index(409)
    flash(_("Mission %(ref)s is done. Thank you!", ref=order.ref), "success")
    return redirect(url_for("missions.index"))


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
