"""Hub customers in Stripe: found or created once, kept up to date, never overwritten by a
stale copy.

Finding a customer, cheapest defence first: the Stripe id the ledger already stores; this
process's cache; Stripe's search by ``metadata['hub_customer_id']`` (eventually consistent:
a customer made a second ago may not show yet, so it is never the only defence); and then a
create whose idempotency key is the delivery's ``customer`` step, so a retried delivery
replays the first create instead of making a twin.

Each customer carries ``hub_version`` in its metadata: an update is sent only when the
event's version is newer, so a worker frozen past its lease cannot roll names back.
"""

from __future__ import annotations

import threading
from typing import Any, cast

import stripe

from connectors.base import Event
from connectors.facts import CustomerLinked, Fact, Superseded
from connectors.payloads import CustomerInfo
from connectors.stripe.errors import is_missing
from connectors.stripe.metadata import version_in


def _address(text: str | None) -> dict[str, str] | None:
    """Return Stripe's address fields for the hub's free-text address (first line, rest)."""
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    if not lines:
        return None
    address = {"line1": lines[0]}
    if len(lines) > 1:
        address["line2"] = ", ".join(lines[1:])
    return address


def contact_fields(info: CustomerInfo) -> dict[str, Any]:
    """Return what Stripe shows of a customer, from the hub's copy."""
    return {
        "name": info.name,
        "email": info.email or None,
        "phone": info.phone or None,
        "address": _address(info.address),
    }


def customer_metadata(info: CustomerInfo) -> dict[str, str]:
    return {
        "hub_customer_id": str(info.id),
        "hub_customer_ref": info.ref,
        "hub_version": str(info.version),
    }


class CustomerBook:
    """Find, create and update the Stripe customers of hub customers, for one process."""

    def __init__(self, client: stripe.StripeClient) -> None:
        self.client = client
        self._ids: dict[int, str] = {}
        self._lock = threading.Lock()

    def remember(self, customer_id: int, stripe_id: str) -> None:
        with self._lock:
            self._ids[customer_id] = stripe_id

    def forget(self, customer_id: int) -> None:
        """Drop a Stripe id found to be deleted, so the next lookup searches again."""
        with self._lock:
            self._ids.pop(customer_id, None)

    def known(self, info: CustomerInfo) -> str | None:
        """Return the Stripe id the ledger or this process knows, without asking Stripe."""
        if info.stripe_customer_id:
            return info.stripe_customer_id
        with self._lock:
            return self._ids.get(info.id)

    def search(self, customer_id: int) -> stripe.Customer | None:
        """Return the Stripe customer carrying this hub id, if search already shows it."""
        found = self.client.v1.customers.search(
            {"query": f"metadata['hub_customer_id']:'{customer_id}'", "limit": 10}
        )
        # Oldest first: should twins ever exist, every delivery settles on the same one.
        matches = sorted(found.data, key=lambda customer: customer.created)
        return matches[0] if matches else None

    def ensure(self, info: CustomerInfo, event: Event, *, trust_known: bool = True) -> str:
        """Return the Stripe id of the customer, creating the customer when nobody has yet."""
        known = self.known(info) if trust_known else None
        if known:
            return known
        found = self.search(info.id)
        if found is None:
            found = self.client.v1.customers.create(
                cast(
                    "stripe.params.CustomerCreateParams",
                    {**_without_none(contact_fields(info)), "metadata": customer_metadata(info)},
                ),
                {"idempotency_key": event.step_key("customer")},
            )
        self.remember(info.id, found.id)
        return found.id

    def update(self, info: CustomerInfo, event: Event) -> list[Fact]:
        """Bring the Stripe customer up to the hub's version; older copies change nothing."""
        stripe_id = self.known(info)
        if stripe_id is None:
            found = self.search(info.id)
            if found is None:
                # Not in Stripe yet: its first invoice creates it with the data of that day.
                return []
            stripe_id = found.id
        try:
            current = self.client.v1.customers.retrieve(stripe_id)
        except stripe.InvalidRequestError as exc:
            if is_missing(exc):
                self.forget(info.id)
                return []
            raise
        if getattr(current, "deleted", False):
            # Deleted in Stripe's dashboard: nothing left to update, and that is the truth.
            self.forget(info.id)
            return []
        linked = CustomerLinked(customer_id=info.id, stripe_customer_id=stripe_id)
        newer = version_in(current, "hub_version")
        if newer > info.version:
            return [Superseded(info.ref, delivered_version=info.version, newer_version=newer)]
        if newer < info.version:
            self.client.v1.customers.update(
                stripe_id,
                cast(
                    "stripe.params.CustomerUpdateParams",
                    {
                        **{k: ("" if v is None else v) for k, v in contact_fields(info).items()},
                        "metadata": customer_metadata(info),
                    },
                ),
                {"idempotency_key": event.step_key("customer-update")},
            )
        self.remember(info.id, stripe_id)
        return [linked]


def _without_none(fields: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in fields.items() if value is not None}
