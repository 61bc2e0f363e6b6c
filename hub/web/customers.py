"""Customer pages for staff: search, create, view with their orders, and edit."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Flask,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from hub.db import get_session
from hub.errors import N_, InvalidInput, StaleEdit
from hub.ledger import validation
from hub.ledger.actor import Actor
from hub.ledger.billing_settings import billing_settings
from hub.ledger.customers import (
    CustomerInput,
    create_customer,
    get_customer,
    parse_billing_mode,
    search_customers,
    set_billing_mode,
    update_customer,
)
from hub.ledger.queries import list_orders
from hub.models import Customer
from hub.web.auth import current, staff_required
from hub.web.forms import handle_hub_errors, parse_version
from hub.web.i18n import translate_error, translate_fields
from hub.web.once import CreateForm

bp = Blueprint("customers", __name__)
handle_hub_errors(bp)


@bp.url_value_preprocessor
def _check_id(endpoint: str | None, values: dict[str, Any] | None) -> None:
    # An id beyond any integer column is a 404 before it reaches the database.
    if values and "customer_id" in values and not 0 < values["customer_id"] <= validation.MAX_ID:
        abort(404)


FIELDS = ("name", "email", "phone", "address", "notes")
PAGE_SIZE = 25
ORDERS_SHOWN = 20


def form_values(prefix: str = "") -> dict[str, str]:
    """Return the customer fields as typed, under an optional name prefix such as ``customer.``."""
    return {name: request.form.get(prefix + name, "") for name in FIELDS}


def parse_customer(values: dict[str, str]) -> tuple[CustomerInput | None, dict[str, str]]:
    """Validate typed customer fields, returning every field's error at once."""
    try:
        return CustomerInput.parse(values), {}
    except InvalidInput as exc:
        return None, translate_fields(exc)


def values_of(customer: Customer) -> dict[str, str]:
    return {name: getattr(customer, name) or "" for name in FIELDS}


def _after() -> int | None:
    try:
        return validation.positive_id(request.args.get("after"), "after")
    except InvalidInput:
        return None  # a damaged link shows the first page


@bp.get("/customers")
@staff_required
def index() -> ResponseReturnValue:
    query = request.args.get("q", "")[:200]
    found = search_customers(get_session(), query, limit=PAGE_SIZE + 1, after_id=_after())
    more = len(found) > PAGE_SIZE
    customers = found[:PAGE_SIZE]
    next_url = url_for("customers.index", q=query or None, after=customers[-1].id) if more else None
    return render_template(
        "customers/index.html",
        customers=customers,
        q=query,
        next_url=next_url,
        paged=_after() is not None,
    )


#: How many matches the order form's search-as-you-type offers at once.
SEARCH_MATCHES = 20


@bp.get("/customers/search")
@staff_required
def search() -> ResponseReturnValue:
    """The customers matching q, as JSON, for the order form's search-as-you-type field."""
    query = request.args.get("q", "")[:200]
    found = search_customers(get_session(), query, limit=SEARCH_MATCHES)
    response = jsonify(
        customers=[
            {
                "id": customer.id,
                "name": customer.name,
                "email": customer.email,
                "phone": customer.phone,
            }
            for customer in found
        ]
    )
    # Names and e-mails: not for shared caches, and stale as soon as a customer is added.
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _created(customer: Customer) -> tuple[dict[str, Any], str]:
    return {"id": customer.id}, url_for("customers.view", customer_id=customer.id)


@bp.route("/customers/new", methods=["GET", "POST"])
@staff_required
def new() -> ResponseReturnValue:
    values = {name: "" for name in FIELDS}
    errors: dict[str, str] = {}
    if request.method == "POST":
        form = CreateForm.posted("customer")
        form.check_repeat()
        values = form_values()
        data, errors = parse_customer(values)
        if data is not None:
            _made, where = form.create(lambda session: _created(create_customer(session, data)))
            flash(_("Customer %(name)s created.", name=data.name), "success")
            return redirect(where)
    status = 422 if errors else 200
    return render_template("customers/form.html", values=values, errors=errors), status


#: How each billing mode reads on the customer page.
BILLING_MODES = {
    "per_order": N_("Per order"),
    "monthly": N_("Monthly"),
    "weekly": N_("Weekly"),
}


def _billing_options() -> list[tuple[str, str]]:
    hub_mode = billing_settings(get_session()).billing_mode
    default = _("Hub default (%(mode)s)", mode=_(BILLING_MODES[hub_mode]))
    return [("", default), *((mode, _(label)) for mode, label in BILLING_MODES.items())]


def _render_customer(
    customer: Customer, status: int = 200, errors: dict[str, str] | None = None
) -> ResponseReturnValue:
    session = get_session()
    orders, next_cursor = list_orders(
        session, Actor.of(current()), customer_id=customer.id, limit=ORDERS_SHOWN
    )
    return render_template(
        "customers/view.html",
        customer=customer,
        orders=orders,
        more=next_cursor is not None,
        billing_options=_billing_options(),
        errors=errors or {},
    ), status


@bp.get("/customers/<int:customer_id>")
@staff_required
def view(customer_id: int) -> ResponseReturnValue:
    return _render_customer(get_customer(get_session(), customer_id))


@bp.post("/customers/<int:customer_id>/billing-mode")
@staff_required
def billing_mode(customer_id: int) -> ResponseReturnValue:
    """Save how this customer is billed: the hub's default, per order, monthly or weekly."""
    session = get_session()
    version = parse_version(request.form.get("version"))
    try:
        mode = parse_billing_mode(request.form.get("billing_mode"))
        set_billing_mode(session, Actor.of(current()), customer_id, mode, expected_version=version)
    except (InvalidInput, StaleEdit) as exc:
        customer = get_customer(session, customer_id)
        return _render_customer(customer, exc.http_status, {"billing_mode": translate_error(exc)})
    flash(_("Billing mode saved."), "success")
    return redirect(url_for("customers.view", customer_id=customer_id))


@bp.route("/customers/<int:customer_id>/edit", methods=["GET", "POST"])
@staff_required
def edit(customer_id: int) -> ResponseReturnValue:
    session = get_session()
    customer = get_customer(session, customer_id)
    values = values_of(customer)
    version = customer.version
    errors: dict[str, str] = {}
    stale: dict[str, Any] | None = None
    status = 200
    if request.method == "POST":
        values = form_values()
        seen_version = parse_version(request.form.get("version"))
        data, errors = parse_customer(values)
        status = 422
        if data is not None:
            try:
                update_customer(session, customer_id, data, expected_version=seen_version)
            except StaleEdit as exc:
                # Keep what they typed, show what is stored now, and let a second save win.
                customer = get_customer(session, customer_id)
                version = customer.version
                stale = {"message": translate_error(exc), "stored": values_of(customer)}
                status = 409
            else:
                flash(_("Customer saved."), "success")
                return redirect(url_for("customers.view", customer_id=customer_id))
        else:
            version = seen_version
    return (
        render_template(
            "customers/form.html",
            customer=customer,
            values=values,
            errors=errors,
            version=version,
            stale=stale,
        ),
        status,
    )


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
