"""Compute the taxes of an invoice line from its tax rates, rounded as Stripe rounds them.

How Stripe rounds (the finding this module follows):

- Tax is computed and rounded per line item, then the line taxes are summed for the invoice:
  Stripe's support article "Rounding rules for Stripe fees"
  (https://support.stripe.com/questions/rounding-rules-for-stripe-fees) shows a table
  where each line's tax is rounded before the total (15 % of 0.43 = 0.0645 -> 0.06, of 4.84
  = 0.7265 -> 0.73, total tax 0.79), and states that Stripe rounds "to the nearest unit
  (e.g., cents)": 0.025 rounds up to 0.03, 0.024 down to 0.02, i.e. half up, never to even.
- An inclusive rate is already inside the line amount (https://support.stripe.com/questions/
  inclusive-and-exclusive-tax-options-in-the-tax-rate-api-and-stripe-tax: "if the price is
  600 and you set an inclusive tax rate of 10 %, the invoice total will still be 600"), so
  the tax is the part of the line amount that the rate accounts for:
  `round_half_up(amount * p / (100 + p))`, and the line's `taxable_amount` is what remains,
  `amount - tax`. With several inclusive rates on one line, each takes
  `amount * p_i / (100 + sum p)`.
- An exclusive rate is added on top of the taxable amount: `round_half_up(taxable * p / 100)`.

The amount of a line is `unit_amount * quantity` (or `amount` when given directly), before any
tax: Stripe quantities are whole numbers, so 1.5 h at 26.00 is sent as one unit of 39.00 (or
as `quantity_decimal`, which this emulator also accepts and rounds half up to the cent).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

HUNDRED = Decimal(100)


def round_half_up(value: Decimal) -> int:
    """Round an amount in cents to the nearest cent, halves away from zero."""
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def line_taxes(amount: int, rates: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Return the `taxes` entries of a line of `amount` cents under `rates` (tax rate objects)."""
    inclusive = [rate for rate in rates if rate["inclusive"]]
    exclusive = [rate for rate in rates if not rate["inclusive"]]
    inclusive_percent = sum((Decimal(str(rate["percentage"])) for rate in inclusive), Decimal(0))
    inclusive_taxes = [
        round_half_up(
            Decimal(amount) * Decimal(str(rate["percentage"])) / (HUNDRED + inclusive_percent)
        )
        for rate in inclusive
    ]
    taxable = amount - sum(inclusive_taxes)
    taxes = [
        _entry(rate, tax, taxable, "inclusive")
        for rate, tax in zip(inclusive, inclusive_taxes, strict=True)
    ]
    for rate in exclusive:
        tax = round_half_up(Decimal(taxable) * Decimal(str(rate["percentage"])) / HUNDRED)
        taxes.append(_entry(rate, tax, taxable, "exclusive"))
    return taxes


def _entry(rate: dict[str, Any], tax: int, taxable: int, behavior: str) -> dict[str, Any]:
    return {
        "amount": tax,
        "tax_behavior": behavior,
        "tax_rate_details": {"tax_rate": rate["id"]},
        "taxability_reason": "standard_rated",
        "taxable_amount": taxable,
        "type": "tax_rate_details",
    }


def total_taxes(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Sum the line taxes per tax rate, as the invoice's `total_taxes` does."""
    by_rate: dict[str, dict[str, Any]] = {}
    for line in lines:
        for tax in line["taxes"] or []:
            rate_id = tax["tax_rate_details"]["tax_rate"]
            total = by_rate.setdefault(rate_id, {**tax, "amount": 0, "taxable_amount": 0})
            total["amount"] += tax["amount"]
            total["taxable_amount"] += tax["taxable_amount"]
    return list(by_rate.values())
