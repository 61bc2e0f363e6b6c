"""French VAT as Stripe tax rates: one inclusive rate per VAT rate in use, made once.

Rates are found by ``metadata['hub_vat_bp']`` (2000 for 20 %): the active ones are listed
once per process, and a missing one is created with an idempotency key named after the
rate, so two workers creating it at once make one. Stripe never changes a rate's
percentage, so a cached id stays right.
"""

from __future__ import annotations

import threading
from decimal import Decimal

import stripe

from connectors.stripe.metadata import metadata_of


def percentage(vat_bp: int) -> str:
    """Return the percentage Stripe takes for basis points: 2000 -> "20", 550 -> "5.5"."""
    text = format(Decimal(vat_bp) / 100, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def label(vat_bp: int) -> str:
    """Return the French name of a VAT rate: "TVA 20 %", "TVA 5,5 %"."""
    return f"TVA {percentage(vat_bp).replace('.', ',')} %"


class TaxRates:
    """The Stripe tax rate ids of the VAT rates in use, by basis points, for one process."""

    def __init__(self, client: stripe.StripeClient) -> None:
        self.client = client
        self._ids: dict[int, str] | None = None
        self._lock = threading.Lock()

    def ids_for(self, vat_bps: set[int]) -> dict[int, str]:
        """Return the tax rate id of each VAT rate, creating those Stripe lacks."""
        with self._lock:
            if self._ids is None:
                self._ids = self._listed()
            for vat_bp in sorted(vat_bps - set(self._ids)):
                self._ids[vat_bp] = self._create(vat_bp)
            return {vat_bp: self._ids[vat_bp] for vat_bp in vat_bps}

    def _listed(self) -> dict[int, str]:
        found: dict[int, str] = {}
        page = self.client.v1.tax_rates.list({"active": True, "inclusive": True, "limit": 100})
        # Oldest wins, should the dashboard hold two rates for one VAT rate.
        for rate in sorted(page.auto_paging_iter(), key=lambda r: r.created, reverse=True):
            raw = metadata_of(rate).get("hub_vat_bp", "")
            if raw.isdigit() and rate.country in (None, "FR"):
                found[int(raw)] = rate.id
        return found

    def _create(self, vat_bp: int) -> str:
        rate = self.client.v1.tax_rates.create(
            {
                "display_name": "TVA",
                "description": label(vat_bp),
                "percentage": float(Decimal(vat_bp) / 100),
                "inclusive": True,
                "country": "FR",
                "tax_type": "vat",
                "metadata": {"hub_vat_bp": str(vat_bp)},
            },
            {"idempotency_key": f"hub-vat-{vat_bp}"},
        )
        return rate.id
