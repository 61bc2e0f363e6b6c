"""Order pages for staff: the list, the new-order form, the order page, its actions and edit."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from hub.accounts import list_providers
from hub.db import business_zone, get_session
from hub.errors import N_, Conflict, HubError, InvalidInput
from hub.ledger import states, validation
from hub.ledger.actor import Actor
from hub.ledger.catalogue import list_services
from hub.ledger.fulfilment import cancel_order, complete_order, reopen_order, schedule_order
from hub.ledger.order_access import get_order
from hub.ledger.order_rows import OrderRow
from hub.ledger.orders import place_order, revise_order
from hub.ledger.queries import list_orders, order_with_history
from hub.models import BillingStatus, Order, OrderStatus
from hub.web.auth import current, staff_required
from hub.web.forms import handle_hub_errors, parse_local_datetime, parse_version
from hub.web.i18n import status_label, translate_error
from hub.web.once import CreateForm
from hub.web.order_filters import FILTERS, page_size, read_filters
from hub.web.order_form import (
    OrderForm,
    catalogue_prices,
    customer_choices,
    place_errors,
    raw_order,
    running_total,
    unconfirmed_past,
)
from hub.web.order_history import describe_changes, describe_kind, vat_breakdown, who

bp = Blueprint("orders", __name__)
handle_hub_errors(bp)


@bp.url_value_preprocessor
def _check_ref(endpoint: str | None, values: dict[str, Any] | None) -> None:
    # A reference that cannot exist is a 404 before it reaches the database.
    if values and "ref" in values:
        validation.order_ref(values["ref"])


def _actor() -> Actor:
    return Actor.of(current())


# -- the list ------------------------------------------------------------------------------


@bp.get("/orders")
@staff_required
def index() -> ResponseReturnValue:
    session = get_session()
    args = {name: request.args.get(name, "") for name in FILTERS}
    errors: dict[str, str] = {}
    chosen = read_filters(args, errors)
    limit = request.args.get("limit", "")
    size = page_size(limit, errors)
    orders: list[OrderRow] = []
    next_cursor = None
    if not errors:
        try:
            orders, next_cursor = list_orders(
                session,
                _actor(),
                cursor=request.args.get("cursor") or None,
                limit=size,
                **chosen,
            )
        except InvalidInput as exc:
            errors[exc.field or ""] = translate_error(exc)
    kept: dict[str, Any] = {name: value for name, value in args.items() if value}
    if limit:
        kept["limit"] = limit
    return render_template(
        "orders/index.html",
        orders=orders,
        args=args,
        errors=errors,
        status_options=[(s.value, status_label(s.value)) for s in OrderStatus],
        billing_options=[(b.value, status_label(b.value)) for b in BillingStatus],
        provider_options=[(p.id, p.name) for p in list_providers(session)],
        next_url=url_for("orders.index", cursor=next_cursor, **kept) if next_cursor else None,
        first_url=url_for("orders.index", **kept) if request.args.get("cursor") else None,
    ), (422 if errors else 200)


# -- the new-order form --------------------------------------------------------------------


def _render_form(form: OrderForm, status: int, **extra: Any) -> ResponseReturnValue:
    session = get_session()
    providers = list_providers(session)
    services = list_services(session)
    return render_template(
        "orders/form.html",
        form=form,
        services=services,
        total=running_total(form, services),
        provider_options=[(p.id, p.name) for p in providers],
        **extra,
    ), status


def _placed(order: Order) -> tuple[dict[str, Any], str]:
    return {"ref": order.ref}, url_for("orders.view", ref=order.ref)


@bp.route("/orders/new", methods=["GET", "POST"])
@staff_required
def new() -> ResponseReturnValue:
    session = get_session()
    if request.method == "GET":
        form = OrderForm(customer_id=request.args.get("customer_id", "").strip())
        return _render_form(form, 200, customers=customer_choices(session, form))
    form = OrderForm.from_request()
    action = request.form.get("action", "")
    if action in ("add_line", "find_customer"):
        # Posting back without JavaScript: grow the form or refresh the customers; store nothing.
        if action == "add_line":
            form.add_row()
        return _render_form(form, 200, customers=customer_choices(session, form))
    once = CreateForm.posted("order")
    once.check_repeat()
    past = unconfirmed_past(form.scheduled_at, form.confirm_past)
    if past is not None:
        # Stores nothing: the concierge corrects the date, or confirms it and saves again.
        return _render_form(form, 200, customers=customer_choices(session, form), past_when=past)
    raw = raw_order(form)
    zone = business_zone(session)
    try:
        made, where = once.create(
            lambda s: _placed(place_order(s, _actor(), raw.data, local_zone=zone))
        )
    except InvalidInput as exc:
        place_errors(form, raw, exc)
        return _render_form(form, 422, customers=customer_choices(session, form))
    flash(_("Order %(ref)s recorded.", ref=made["ref"]), "success")
    return redirect(where)


# -- the order page and its actions --------------------------------------------------------


def _load(session: Session, ref: str) -> Order:
    return order_with_history(session, ref)


def _render_order(
    order: Order, status: int = 200, *, message: str = "", errors: dict[str, str] | None = None
) -> ResponseReturnValue:
    allowed = states.FULFILMENT[OrderStatus(order.status)]
    history = [
        (event, who(event), describe_kind(event), describe_changes(event.changes))
        for event in order.events
    ]
    return render_template(
        "orders/view.html",
        order=order,
        vat_rows=vat_breakdown(order),
        catalogue_prices=catalogue_prices(get_session()),
        history=history,
        provider_options=[(p.id, p.name) for p in list_providers(get_session())],
        can_schedule=OrderStatus(order.status) in states.SCHEDULABLE,
        can_reopen=states.may_reopen(order.status, order.billing_status),
        can_complete=OrderStatus.DONE in allowed,
        can_cancel=OrderStatus.CANCELLED in allowed,
        can_edit=states.is_editable(order.status, order.billing_status),
        message=message,
        errors=errors or {},
    ), status


@bp.get("/orders/<ref>")
@staff_required
def view(ref: str) -> ResponseReturnValue:
    return _render_order(_load(get_session(), ref))


def _act(ref: str, change: Any, done_message: str) -> ResponseReturnValue:
    """Apply one state change; on refusal show the order as it is now, with the reason."""
    session = get_session()
    try:
        change(session)
    except HubError as exc:
        if not isinstance(exc, (Conflict, InvalidInput)):
            raise
        errors = {exc.field: translate_error(exc)} if exc.field else {}
        order = _load(session, ref)
        return _render_order(order, exc.http_status, message=translate_error(exc), errors=errors)
    flash(done_message, "success")
    return redirect(url_for("orders.view", ref=ref))


@bp.post("/orders/<ref>/schedule")
@staff_required
def schedule(ref: str) -> ResponseReturnValue:
    version = parse_version(request.form.get("version"))
    provider = request.form.get("provider_id", "")
    typed = request.form.get("scheduled_at", "")
    past = unconfirmed_past(typed, request.form.get("confirm_past"))
    if past is not None:
        # Ask first, on a page of its own that posts the same values back with the confirmation.
        return render_template(
            "orders/confirm_past.html",
            order=_load(get_session(), ref),
            past_when=past,
            scheduled_at=typed,
            provider_id=provider,
            version=version,
        )

    def change(session: Session) -> None:
        when = parse_local_datetime(request.form.get("scheduled_at"), "scheduled_at")
        provider_id = validation.positive_id(
            provider, "provider_id", message=N_("Choose an active provider.")
        )
        schedule_order(session, _actor(), ref, when, provider_id, expected_version=version)

    return _act(ref, change, _("Order %(ref)s scheduled.", ref=ref))


@bp.post("/orders/<ref>/complete")
@staff_required
def complete(ref: str) -> ResponseReturnValue:
    version = parse_version(request.form.get("version"))
    return _act(
        ref,
        lambda session: complete_order(session, _actor(), ref, expected_version=version),
        _("Order %(ref)s marked done.", ref=ref),
    )


@bp.post("/orders/<ref>/reopen")
@staff_required
def reopen(ref: str) -> ResponseReturnValue:
    version = parse_version(request.form.get("version"))
    reason = request.form.get("reason", "")
    return _act(
        ref,
        lambda session: reopen_order(session, _actor(), ref, reason, expected_version=version),
        _("Order %(ref)s reopened: it is scheduled again.", ref=ref),
    )


@bp.post("/orders/<ref>/cancel")
@staff_required
def cancel(ref: str) -> ResponseReturnValue:
    version = parse_version(request.form.get("version"))
    reason = request.form.get("reason", "")

    def change(session: Session) -> None:
        # The page asks for a reason and a ticked confirmation; the API keeps the reason optional.
        validation.text(reason, "reason", max_length=500, required=True)
        if request.form.get("confirm") != "yes":
            raise InvalidInput(N_("Tick the box to confirm the cancellation."), field="confirm")
        cancel_order(session, _actor(), ref, reason, expected_version=version)

    return _act(ref, change, _("Order %(ref)s cancelled.", ref=ref))


# -- editing -------------------------------------------------------------------------------


@bp.route("/orders/<ref>/edit", methods=["GET", "POST"])
@staff_required
def edit(ref: str) -> ResponseReturnValue:
    session = get_session()
    order = get_order(session, ref)
    if request.method == "GET":
        if not states.is_editable(order.status, order.billing_status):
            flash(_("Only open, unbilled orders can be edited."), "error")
            return redirect(url_for("orders.view", ref=ref))
        return _render_form(OrderForm.of_order(order), 200, order=order, version=order.version)
    form = OrderForm.from_request()
    version = parse_version(request.form.get("version"))
    if request.form.get("action") == "add_line":
        form.add_row()
        return _render_form(form, 200, order=order, version=version)
    raw = raw_order(form, customer_id=order.customer_id)
    try:
        revise_order(
            session,
            _actor(),
            ref,
            raw.data,
            expected_version=version,
            local_zone=business_zone(session),
        )
    except Conflict as exc:
        # Keep what they typed, show the order as stored now; a second save applies theirs.
        order = _load(session, ref)
        form.errors[""] = translate_error(exc)
        return _render_form(form, 409, order=order, version=order.version, stale=True)
    except InvalidInput as exc:
        place_errors(form, raw, exc)
        return _render_form(form, 422, order=order, version=version)
    flash(_("Order %(ref)s saved.", ref=ref), "success")
    return redirect(url_for("orders.view", ref=ref))


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
