"""Admin pages for the catalogue: list, add, edit, retire and bring back services."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hub.db import get_session
from hub.errors import N_, InvalidInput, NotFound
from hub.ledger import catalogue
from hub.ledger.catalogue import VAT_RATES_BP, ServiceInput
from hub.models import Service, ServiceUnit
from hub.money import format_cents_plain, format_vat
from hub.web.auth import admin_required
from hub.web.forms import collect_errors
from hub.web.i18n import translate_error
from hub.web.once import CreateForm

FIELDS = ("code", "label", "unit", "unit_price", "vat_bp")
# Valid values swapped in for a bad field, so one submission reports every bad field.
_STAND_INS = {"code": "XX", "label": "x", "unit": "unit", "unit_price": "0", "vat_bp": "0"}


def unit_choices() -> list[tuple[str, str]]:
    return [
        (ServiceUnit.UNIT, _("per unit")),
        (ServiceUnit.HOUR, _("per hour")),
        (ServiceUnit.FLAT, _("flat rate")),
    ]


def vat_choices() -> list[tuple[str, str]]:
    return [(str(bp), format_vat(bp)) for bp in VAT_RATES_BP]


def _form_of(service: Service) -> dict[str, str]:
    return {
        "code": service.code,
        "label": service.label,
        "unit": service.unit,
        "unit_price": format_cents_plain(service.unit_price_cents),
        "vat_bp": str(service.vat_bp),
    }


def _get(code: str) -> Service:
    try:
        return catalogue.get_service(get_session(), code)
    except NotFound:
        abort(404)


def _list_page(
    form: dict[str, str] | None = None, errors: dict[str, str] | None = None, status: int = 200
) -> ResponseReturnValue:
    return render_template(
        "admin/services.html",
        services=catalogue.list_services(get_session(), include_retired=True),
        form=form or {"unit": ServiceUnit.UNIT, "vat_bp": "2000"},
        errors=errors or {},
        units=unit_choices(),
        vat_rates=vat_choices(),
    ), status


def _edit_page(
    service: Service,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    return render_template(
        "admin/service.html",
        service=service,
        form=form or _form_of(service),
        errors=errors or {},
        units=unit_choices(),
        vat_rates=vat_choices(),
    ), status


@admin_required
def services() -> ResponseReturnValue:
    return _list_page()


@admin_required
def create_service() -> ResponseReturnValue:
    once = CreateForm.posted("service")
    once.check_repeat()
    form = {key: request.form.get(key, "") for key in FIELDS}
    data, errors = collect_errors(ServiceInput.parse, form, _STAND_INS)
    if data is None:
        return _list_page(form, errors, 422)

    def add(session: Session) -> tuple[dict[str, Any], str]:
        catalogue.create_service(session, data)
        # The list, as before tokens: the new service shows in it, ready to edit or retire.
        return {}, url_for("admin.services")

    try:
        _made, where = once.create(add)
    except InvalidInput as exc:
        return _list_page(form, {exc.field or "": translate_error(exc)}, exc.http_status)
    except IntegrityError:
        # Two admins adding the same code at once: the unique index decides.
        error = InvalidInput(N_("The code %(code)s is already taken."), code=data.code)
        return _list_page(form, {"code": translate_error(error)}, error.http_status)
    flash(_("%(label)s is in the catalogue.", label=data.label), "success")
    return redirect(where)


@admin_required
def service(code: str) -> ResponseReturnValue:
    return _edit_page(_get(code))


@admin_required
def update_service(code: str) -> ResponseReturnValue:
    service = _get(code)
    # The code names the service in order lines, Stripe and the sheet, so it never changes.
    form = {key: request.form.get(key, "") for key in FIELDS} | {"code": service.code}
    data, errors = collect_errors(ServiceInput.parse, form, _STAND_INS)
    if data is None:
        return _edit_page(service, form, errors, 422)
    session = get_session()
    try:
        catalogue.update_service(session, service.code, data)
    except InvalidInput as exc:
        return _edit_page(_get(code), form, {exc.field or "": translate_error(exc)}, 422)
    flash(_("%(label)s is saved; new orders use it from now on.", label=data.label), "success")
    return redirect(url_for("admin.services"))


@admin_required
def set_service_active(code: str) -> ResponseReturnValue:
    choice = request.form.get("active", "")
    if choice not in ("0", "1"):
        abort(400)
    session = get_session()
    try:
        service = catalogue.set_service_active(session, code, choice == "1")
    except NotFound:
        abort(404)
    if service.active:
        flash(_("%(label)s can be ordered again.", label=service.label), "success")
    else:
        flash(_("%(label)s is retired from new orders.", label=service.label), "success")
    return redirect(url_for("admin.services"))


def register(bp: Blueprint) -> None:
    """Add the catalogue pages to the admin blueprint, under the endpoint names pages rely on."""
    bp.add_url_rule("/services", "services", services, methods=["GET"])
    bp.add_url_rule("/services", "create_service", create_service, methods=["POST"])
    bp.add_url_rule("/services/<code>", "service", service, methods=["GET"])
    bp.add_url_rule("/services/<code>", "update_service", update_service, methods=["POST"])
    bp.add_url_rule(
        "/services/<code>/active", "set_service_active", set_service_active, methods=["POST"]
    )
