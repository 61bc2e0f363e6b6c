"""What the orders tab holds: its columns, their French titles, and one typed row per order.

Both backends write these rows; only the encoding differs (wire.py for Google, openpyxl types
for the workbook). The hub's block is ``HUB_WIDTH`` columns wide, the order's version last:
columns to its right belong to people and are never written.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from connectors.payloads import OrderPayload
from connectors.tables import Column

ORDERS_TAB = "Commandes"

ORDER_COLUMNS: tuple[Column, ...] = (
    Column("Référence"),
    Column("Créée le", "datetime"),
    Column("Prévue le", "datetime"),
    Column("Faite le", "datetime"),
    Column("Client"),
    Column("Concierge"),
    Column("Prestataire"),
    Column("Prestations"),
    Column("Quantité", "number"),
    Column("Montant TTC", "money"),
    Column("TVA", "money"),
    Column("État"),
    Column("Facturation"),
    Column("N° facture"),
    Column("Facture", "link"),
    Column("Payée le", "datetime"),
    Column("Version", "int"),
)
HUB_WIDTH = len(ORDER_COLUMNS)
VERSION_INDEX = HUB_WIDTH - 1

#: The pages' French words for the ledger's states (the sheet is read by ops, in French).
STATUS_LABELS = {
    "new": "Nouvelle",
    "scheduled": "Planifiée",
    "done": "Faite",
    "cancelled": "Annulée",
}
BILLING_LABELS = {
    "unbilled": "Non facturée",
    "pending": "En cours de facturation",
    "invoiced": "Facturée",
    "paid": "Payée",
    "payment_failed": "Paiement échoué",
    "void": "Annulée",
    "credited": "Avoir émis",
    "uncollectible": "Irrécouvrable",
}
#: Longest "Prestations" text: the sheet wants a glance, the hub has the details.
SERVICES_CHARS = 80

#: One typed cell: str, int, float (quantity), int cents (money), naive datetime, link.
Cell = str | int | float | datetime | tuple[str, str] | None
Row = tuple[Cell, ...]


def local(moment: datetime | None, zone: ZoneInfo) -> datetime | None:
    """Return a UTC moment as a naive date-time in the business zone, to the second."""
    if moment is None:
        return None
    return moment.astimezone(zone).replace(tzinfo=None, microsecond=0)


def services_text(order: OrderPayload) -> str:
    """Return the lines' labels, shortened: "Ménage, Repassage"."""
    labels = list(dict.fromkeys(line.label for line in order.lines))
    text = ", ".join(labels)
    return text if len(text) <= SERVICES_CHARS else text[: SERVICES_CHARS - 1] + "…"


def order_row(order: OrderPayload, zone: ZoneInfo) -> Row:
    """Return the hub's cells of one order's row, typed by ``ORDER_COLUMNS``."""
    quantity_milli = sum(line.quantity_milli for line in order.lines)
    link = (order.invoice_number or "Facture", order.invoice_url) if order.invoice_url else None
    return (
        order.ref,
        local(order.created_at, zone),
        local(order.scheduled_at, zone),
        local(order.completed_at, zone),
        order.customer.name,
        order.concierge,
        order.provider.name if order.provider else None,
        services_text(order),
        quantity_milli / 1000,
        order.total_cents,
        order.vat_cents,
        STATUS_LABELS.get(order.status, order.status),
        BILLING_LABELS.get(order.billing_status, order.billing_status),
        order.invoice_number,
        link,
        local(order.paid_at, zone),
        order.version,
    )
