"""The two state machines: every allowed move and every forbidden one."""

from __future__ import annotations

import itertools

import pytest

from hub.errors import TransitionError
from hub.ledger import states
from hub.models import BillingStatus, OrderStatus

ALLOWED_FULFILMENT = {
    ("new", "scheduled"),
    ("new", "cancelled"),
    ("scheduled", "scheduled"),
    ("scheduled", "done"),
    ("scheduled", "cancelled"),
    ("done", "cancelled"),
    # A reopen, for a mission marked done by mistake (check_reopen adds: before billing).
    ("done", "scheduled"),
}


@pytest.mark.parametrize(
    ("current", "target"), list(itertools.product([s.value for s in OrderStatus], repeat=2))
)
def test_fulfilment_allows_exactly_the_designed_moves(current: str, target: str) -> None:
    if (current, target) in ALLOWED_FULFILMENT:
        states.check_fulfilment(current, target)
    else:
        with pytest.raises(TransitionError) as info:
            states.check_fulfilment(current, target)
        assert info.value.http_status == 409
        assert current in str(info.value) and target in str(info.value)


def test_paid_is_not_undone_by_late_news() -> None:
    for late in ("pending", "invoiced", "payment_failed", "unbilled"):
        assert not states.billing_allows("paid", late)
    assert states.billing_allows("paid", "credited")


def test_void_and_credited_are_final() -> None:
    for final in ("void", "credited"):
        for target in BillingStatus:
            assert not states.billing_allows(final, target.value)


def test_a_failed_payment_can_still_be_paid() -> None:
    assert states.billing_allows("payment_failed", "paid")
    assert states.billing_allows("invoiced", "payment_failed")
    with pytest.raises(TransitionError):
        states.check_billing("unbilled", "paid")


def test_every_state_has_a_row_in_its_machine() -> None:
    assert set(states.FULFILMENT) == set(OrderStatus)
    assert set(states.BILLING) == set(BillingStatus)


def test_only_open_unbilled_orders_are_editable() -> None:
    assert states.is_editable("new", "unbilled")
    assert states.is_editable("scheduled", "unbilled")
    assert not states.is_editable("done", "unbilled")
    assert not states.is_editable("new", "invoiced")


def test_a_done_order_is_reopened_not_rescheduled() -> None:
    with pytest.raises(TransitionError) as info:
        states.check_schedule("done")
    assert "reopen it first" in info.value.message
    states.check_schedule("new")
    states.check_schedule("scheduled")
    with pytest.raises(TransitionError):
        states.check_schedule("cancelled")


@pytest.mark.parametrize("billing", [b.value for b in BillingStatus])
def test_a_done_order_reopens_only_while_billing_has_not_started(billing: str) -> None:
    assert states.may_reopen("done", billing) == (billing == "unbilled")
    if billing == "unbilled":
        states.check_reopen("done", billing)
    else:
        with pytest.raises(TransitionError) as info:
            states.check_reopen("done", billing)
        assert "is the only way back" in info.value.message


@pytest.mark.parametrize("status", ["new", "scheduled", "cancelled"])
def test_only_a_done_order_reopens(status: str) -> None:
    assert not states.may_reopen(status, "unbilled")
    with pytest.raises(TransitionError):
        states.check_reopen(status, "unbilled")
