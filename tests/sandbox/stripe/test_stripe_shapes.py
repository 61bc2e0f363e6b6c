"""Emulated objects carry every field of Stripe's official fixtures; taxes round as Stripe's."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import stripe
from hypothesis import given
from hypothesis import strategies as st

from sandbox.stripe import StripeEmulator
from sandbox.stripe.objects import shapes
from sandbox.stripe.shapes_from_fixtures import templates
from sandbox.stripe.taxes import line_taxes

ROOT = Path(__file__).resolve().parents[3]
# CI checks the shared fixtures out next to the clone; a worktree may sit one level deeper.
FIXTURES = [p / "shared/stripe/fixtures3.json" for p in (ROOT.parent, ROOT.parent.parent)]


def _official() -> dict[str, Any]:
    for path in FIXTURES:
        if path.exists():
            resources: dict[str, Any] = json.loads(path.read_text())["resources"]
            return resources
    pytest.skip("Stripe's fixtures3.json is not next to the clone")


@pytest.mark.parametrize("kind", sorted(shapes()))
def test_templates_have_every_field_of_the_official_fixture(kind: str) -> None:
    official = _official()[kind]
    assert set(official) <= set(shapes()[kind])


def test_the_committed_templates_are_those_the_fixtures_give() -> None:
    assert templates({"resources": _official()}) == shapes()


def test_objects_served_have_every_field_of_their_template(
    client: stripe.StripeClient, emulator: StripeEmulator
) -> None:
    rate = client.v1.tax_rates.create({"display_name": "TVA", "percentage": 20, "inclusive": True})
    customer = client.v1.customers.create({"name": "Ada"})
    draft = client.v1.invoices.create({"customer": customer.id})
    invoice = client.v1.invoices.add_lines(
        draft.id, {"lines": [{"amount": 1200, "tax_rates": [rate.id]}]}
    )
    client.v1.invoices.finalize_invoice(draft.id)
    note = client.v1.credit_notes.create({"invoice": draft.id, "amount": 100})
    event = client.v1.events.list().data[0]
    served: dict[str, stripe.StripeObject] = {
        "customer": customer,
        "tax_rate": rate,
        "invoice": invoice,
        "line_item": invoice.lines.data[0],
        "credit_note": note,
        "event": event,
    }
    for kind, obj in served.items():
        missing = set(shapes()[kind]) - set(obj.to_dict())
        assert not missing, (kind, missing)


def _half_up(numerator: int, denominator: int) -> int:
    """Round numerator/denominator half up, in integers only (a check independent of Decimal)."""
    return (2 * numerator + denominator) // (2 * denominator)


@given(
    amount=st.integers(min_value=0, max_value=10_000_000),
    percent=st.sampled_from([Decimal("20"), Decimal("10"), Decimal("5.5"), Decimal("2.1")]),
)
def test_inclusive_tax_is_the_rounded_share_of_the_line_amount(
    amount: int, percent: Decimal
) -> None:
    [tax] = line_taxes(amount, [{"id": "txr_1", "inclusive": True, "percentage": percent}])
    tenths = int(percent * 10)
    assert tax["amount"] == _half_up(amount * tenths, 1000 + tenths)
    assert tax["taxable_amount"] + tax["amount"] == amount


@given(amount=st.integers(min_value=0, max_value=10_000_000))
def test_exclusive_tax_is_added_on_the_rounded_share(amount: int) -> None:
    [tax] = line_taxes(amount, [{"id": "txr_1", "inclusive": False, "percentage": 20}])
    assert tax["amount"] == _half_up(amount * 20, 100)
    assert tax["taxable_amount"] == amount
