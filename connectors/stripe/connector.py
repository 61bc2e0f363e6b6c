"""The Stripe connector: takes customer and invoice events, executes them in Stripe, and
returns what Stripe answered as facts for the ledger.

``stripe_connector`` is its factory, called by the hub's composition root with plain
settings. Without an API key it returns ``Off`` with the sentence an admin needs, and the
billing events wait in the outbox until a key is set.
"""

from __future__ import annotations

from collections.abc import Sequence

import stripe

from connectors.base import Event, Off, SingleEventConnector
from connectors.facts import Fact
from connectors.payloads import CustomerChanged, InvoiceCancelled, InvoiceRequested, read_payload
from connectors.stripe.cancellations import Reversals
from connectors.stripe.client import (
    NETWORK_RETRIES,
    TIMEOUT_SECONDS,
    LimitedRequestsClient,
    make_client,
)
from connectors.stripe.customers import CustomerBook
from connectors.stripe.errors import stripe_errors
from connectors.stripe.invoices import MAX_LINES, InvoiceIssuer
from connectors.stripe.limiter import RateLimiter, shared_limiter
from connectors.stripe.tax_rates import TaxRates

NAME = "stripe"
TOPICS = frozenset({"customer.upserted", "invoice.requested", "invoice.cancelled"})
#: Why the connector is off; a msgid the hub's pages translate (marked in hub/outbox).
OFF_REASON = (
    "Set [stripe] api_key (HUB_STRIPE_API_KEY) to a Stripe secret key to bill orders; "
    "until then billing waits in the outbox."
)


class StripeConnector(SingleEventConnector):
    """Deliver billing events to Stripe, one event per call."""

    name = NAME
    topics = TOPICS
    max_batch = 1

    def __init__(
        self,
        client: stripe.StripeClient,
        *,
        limiter: RateLimiter,
        http_client: stripe.HTTPClient | None = None,
        lines_per_call: int = MAX_LINES,
    ) -> None:
        self.client = client
        self.limiter = limiter
        self.http_client = http_client
        self.customers = CustomerBook(client)
        self.tax_rates = TaxRates(client)
        self.invoices = InvoiceIssuer(
            client, self.customers, self.tax_rates, lines_per_call=lines_per_call
        )
        self.reversals = Reversals(client, self.invoices, self.tax_rates)

    def close(self) -> None:
        """Close the HTTP connections this connector opened."""
        if self.http_client is not None:
            self.http_client.close()  # type: ignore[no-untyped-call]

    def deliver_one(self, event: Event) -> Sequence[Fact]:
        """Execute one event in Stripe and return the facts learnt."""
        if event.topic == "customer.upserted":
            changed = read_payload(event.topic, event.payload, CustomerChanged)
            with stripe_errors(f"updates customer {changed.customer.ref}"):
                return self.customers.update(changed.customer, event)
        if event.topic == "invoice.requested":
            requested = read_payload(event.topic, event.payload, InvoiceRequested)
            with stripe_errors(f"issues invoice {requested.invoice_key}"):
                return self.invoices.issue(event, requested)
        cancelled = read_payload(event.topic, event.payload, InvoiceCancelled)
        with stripe_errors(
            f"reverses order {cancelled.order.ref} on invoice {cancelled.invoice_key}"
        ):
            return self.reversals.reverse(event, cancelled)


def stripe_connector(
    api_key: str,
    api_base: str = "https://api.stripe.com",
    rate: float = 20.0,
    *,
    timeout: float = TIMEOUT_SECONDS,
    max_network_retries: int = NETWORK_RETRIES,
    limiter: RateLimiter | None = None,
    lines_per_call: int = MAX_LINES,
) -> StripeConnector | Off:
    """Build the connector from plain settings, or ``Off`` while no API key is set.

    Every connector built in a process at one ``rate`` shares one token bucket, unless a
    ``limiter`` is given (tests that count a bucket of their own).
    """
    if not api_key.strip():
        return Off(NAME, OFF_REASON)
    pace = limiter or shared_limiter(rate)
    http_client = LimitedRequestsClient(pace, timeout=timeout)
    client = make_client(
        api_key.strip(), api_base, max_network_retries=max_network_retries, http_client=http_client
    )
    return StripeConnector(
        client, limiter=pace, http_client=http_client, lines_per_call=lines_per_call
    )
