"""The order list's query string read into list_orders arguments, each bad filter named."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from hub.errors import InvalidInput
from hub.ledger import validation
from hub.ledger.queries import state_filter
from hub.models import BillingStatus, OrderStatus
from hub.web.i18n import translate_error

PAGE_SIZE = 50
MAX_PAGE_SIZE = 100
FILTERS = ("status", "billing_status", "provider_id", "day_from", "day_to", "q", "customer_id")


def read_filters(args: dict[str, str], errors: dict[str, str]) -> dict[str, Any]:
    """Turn the list's query string into list_orders arguments, noting unreadable ones."""
    chosen: dict[str, Any] = {}
    for name, kind in (("status", OrderStatus), ("billing_status", BillingStatus)):
        try:
            chosen[name] = state_filter(args.get(name), kind, name)
        except InvalidInput:
            errors[name] = _("Unknown state.")
    for name in ("provider_id", "customer_id"):
        try:
            chosen[name] = validation.positive_id(args.get(name), name)
        except InvalidInput:
            errors[name] = _("Choose from the list.")
    for name in ("day_from", "day_to"):
        try:
            chosen[name] = validation.day(args.get(name), name)
        except InvalidInput as exc:
            errors[name] = translate_error(exc)
    if args.get("q", "").strip():
        chosen["q"] = args["q"][:200]
    return {name: value for name, value in chosen.items() if value is not None}


def page_size(value: str, errors: dict[str, str]) -> int:
    """Return how many orders a page shows, noting an unreadable limit."""
    try:
        return validation.page_limit(value, default=PAGE_SIZE, maximum=MAX_PAGE_SIZE)
    except InvalidInput as exc:
        errors["limit"] = translate_error(exc)
        return PAGE_SIZE
