"""How an order page presents its figures and history: VAT per rate and readable changes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import gettext as _

from hub.errors import N_
from hub.models import Order, OrderEvent
from hub.money import format_cents, format_quantity
from hub.web.i18n import current_language, format_when, status_label

_FIELD_LABELS = {
    "scheduled_at": N_("Time"),
    "provider": N_("Provider"),
    "total_cents": N_("Total"),
    "notes": N_("Notes"),
    "lines": N_("Lines"),
    "reason": N_("Reason"),
    "completed_at": N_("Done at"),
    "payment": N_("Payment"),
    "invoice": N_("Invoice"),
    "credit_note": N_("Credit note"),
    "source": N_("Found by"),
}
#: How an invoice was settled, as a payment line of the history reads it.
_PAID_BY = {
    "card": N_("paid by card, %(amount)s, invoice %(number)s"),
    "out_of_band": N_("paid outside Stripe, %(amount)s, invoice %(number)s"),
    "credit": N_("settled by credit, %(amount)s, invoice %(number)s"),
}
_SOURCES = {"reconciliation": N_("reconciliation with Stripe")}
_KIND_LABELS = {
    "created": N_("Created"),
    "scheduled": N_("Scheduled"),
    "done": N_("Marked done"),
    "reopened": N_("Reopened"),
    "cancelled": N_("Cancelled"),
    "edited": N_("Edited"),
}
_MAX_TEXT = 300


@dataclass(frozen=True)
class VatRow:
    vat_bp: int
    net_cents: int
    vat_cents: int


def vat_breakdown(order: Order) -> list[VatRow]:
    """Sum the order's lines per VAT rate, highest rate first."""
    by_rate: dict[int, tuple[int, int]] = {}
    for line in order.lines:
        net, vat = by_rate.get(line.vat_bp, (0, 0))
        by_rate[line.vat_bp] = (net + line.net_cents, vat + line.vat_cents)
    return [VatRow(bp, net, vat) for bp, (net, vat) in sorted(by_rate.items(), reverse=True)]


def _when(text: str) -> str:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return text[:_MAX_TEXT]
    return format_when(moment)


def payment_text(payment: dict[str, Any]) -> str:
    """Render a payment's facts: "payée par carte, 45,00 €, facture F-0042"."""
    template = _PAID_BY.get(str(payment.get("method")), _PAID_BY["card"])
    amount = payment.get("amount_cents")
    text = str(
        _(
            template,
            amount=format_cents(amount, current_language()) if isinstance(amount, int) else "—",
            number=str(payment.get("invoice_number") or "—")[:_MAX_TEXT],
        )
    )
    source = payment.get("source")
    if source in _SOURCES:
        text += f" ({_(_SOURCES[source])})"
    return text


def _value(key: str, value: Any) -> str:
    """Render one recorded value for people; the history keeps raw snapshots."""
    language = current_language()
    if value is None or value == "":
        return "—"
    if key == "payment" and isinstance(value, dict):
        return payment_text(value)
    if key == "source" and value in _SOURCES:
        return str(_(_SOURCES[value]))
    if key.endswith("_cents") and isinstance(value, int):
        return format_cents(value, language)
    if key.endswith("_at") and isinstance(value, str):
        return _when(value)
    if isinstance(value, dict) and "name" in value:
        return str(value["name"])[:_MAX_TEXT]
    if key == "lines" and isinstance(value, list):
        parts = [
            f"{line.get('label', '?')} \u00d7 "
            f"{format_quantity(int(line.get('quantity_milli', 0)), language)}"
            for line in value
            if isinstance(line, dict)
        ]
        return ", ".join(parts)[:_MAX_TEXT]
    return str(value)[:_MAX_TEXT]


def describe_changes(changes: dict[str, Any]) -> list[tuple[str, str]]:
    """Turn an event's recorded changes into (what, "before → after") pairs."""
    described = []
    for key, value in changes.items():
        label = _(_FIELD_LABELS[key]) if key in _FIELD_LABELS else key.replace("_", " ")
        if isinstance(value, dict) and set(value) == {"from", "to"}:
            text = f"{_value(key, value['from'])} → {_value(key, value['to'])}"
        else:
            text = _value(key, value)
        described.append((label, text))
    return described


def describe_kind(event: OrderEvent) -> str:
    if event.kind in _KIND_LABELS:
        return str(_(_KIND_LABELS[event.kind]))
    if event.kind.startswith("billing_"):
        return str(_("Billing: %(state)s", state=status_label(event.to_billing)))
    return event.kind


def who(event: OrderEvent) -> str:
    if event.actor is not None:
        return event.actor.name
    return event.actor_label or _("system")
