"""What an invoice says: one frozen line per order line, readable on Stripe's PDF.

Stripe quantities are whole numbers, so every line goes to Stripe as quantity 1 at the hub's
own amount (tax included), and the description carries the real quantity and unit price:
"Ménage 1,5 h x 26,00 €", with a multiplication sign for the x. Invoices are for the
concierge's customers, so they are French whatever the hub's interface language is.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import tzinfo

from connectors.payloads import InvoiceLine
from hub.models import Order, OrderLine, ServiceUnit
from hub.money import format_cents, format_quantity

#: Stripe refuses more than 250 items on one invoice; a periodic invoice beyond is split.
MAX_INVOICE_LINES = 250

#: How a quantity reads in each unit ("1,5 h", "2", "1 forfait").
_UNIT_SUFFIX = {ServiceUnit.HOUR: "\u00a0h", ServiceUnit.UNIT: "", ServiceUnit.FLAT: " forfait"}
#: The multiplication sign between a quantity and its unit price.
TIMES = "\u00d7"
#: Between the order reference, its day and what was done on a periodic invoice.
SEPARATOR = " · "


def line_description(line: OrderLine) -> str:
    """Say what a line bills, with its real quantity and unit price (see the module's example)."""
    quantity = format_quantity(line.quantity_milli, "fr") + _UNIT_SUFFIX[ServiceUnit(line.unit)]
    return f"{line.label} {quantity} {TIMES} {format_cents(line.unit_price_cents, 'fr')}"


def order_lines(order: Order, *, zone: tzinfo, periodic: bool) -> tuple[InvoiceLine, ...]:
    """Return an order's invoice lines; a periodic invoice names the order and its day too."""
    assert order.ref is not None
    prefix = ""
    if periodic:
        day = order.completed_at.astimezone(zone).strftime("%d/%m/%Y") if order.completed_at else ""
        prefix = SEPARATOR.join(part for part in (order.ref, day) if part) + SEPARATOR
    return tuple(
        InvoiceLine(
            order_ref=order.ref,
            position=line.position,
            service_code=line.service_code,
            description=prefix + line_description(line),
            amount_cents=line.amount_cents,
            vat_bp=line.vat_bp,
            vat_cents=line.vat_cents,
        )
        for line in order.lines
    )


def totals(lines: Iterable[InvoiceLine]) -> tuple[int, int]:
    """Return the total and the VAT of lines: sums of the hub's own line amounts."""
    frozen = list(lines)
    return sum(line.amount_cents for line in frozen), sum(line.vat_cents for line in frozen)


def batches(orders: Sequence[Order], line_count: dict[int, int]) -> list[list[Order]]:
    """Group orders, in their order, into invoices of at most MAX_INVOICE_LINES lines.

    An order is never split across two invoices; an order alone above the limit (the order
    form allows far fewer lines) still gets one invoice of its own.
    """
    groups: list[list[Order]] = []
    size = 0
    for order in orders:
        count = line_count[order.id]
        if not groups or (groups[-1] and size + count > MAX_INVOICE_LINES):
            groups.append([])
            size = 0
        groups[-1].append(order)
        size += count
    return groups
