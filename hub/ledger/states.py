"""The two state machines of an order, fulfilment and billing, kept apart and enforced here only."""

from __future__ import annotations

from hub.errors import N_, TransitionError
from hub.models.billing import InvoiceStatus as I
from hub.models.orders import BillingStatus as B
from hub.models.orders import OrderStatus as S

FULFILMENT: dict[S, frozenset[S]] = {
    S.NEW: frozenset({S.SCHEDULED, S.CANCELLED}),
    # scheduled -> scheduled is a reschedule (new time or provider).
    S.SCHEDULED: frozenset({S.SCHEDULED, S.DONE, S.CANCELLED}),
    # Cancelling a done order reverses its billing (void or credit note). done -> scheduled
    # reopens a mission marked done by mistake, only while billing has not started (REOPENABLE).
    S.DONE: frozenset({S.SCHEDULED, S.CANCELLED}),
    S.CANCELLED: frozenset(),
}

# An order inside a periodic invoice is taken off it by a credit note whether the invoice
# was paid or not (its other orders still owe their part): credited from any unpaid state too.
BILLING: dict[B, frozenset[B]] = {
    B.UNBILLED: frozenset({B.PENDING, B.INVOICED, B.VOID}),
    B.PENDING: frozenset({B.INVOICED, B.PAID, B.VOID, B.UNBILLED, B.CREDITED}),
    B.INVOICED: frozenset({B.PAID, B.PAYMENT_FAILED, B.VOID, B.UNCOLLECTIBLE, B.CREDITED}),
    B.PAYMENT_FAILED: frozenset({B.PAID, B.PAYMENT_FAILED, B.VOID, B.UNCOLLECTIBLE, B.CREDITED}),
    B.UNCOLLECTIBLE: frozenset({B.PAID, B.VOID, B.CREDITED}),
    B.PAID: frozenset({B.CREDITED}),
    B.VOID: frozenset(),
    B.CREDITED: frozenset(),
}

#: A hub invoice's status follows Stripe's own lifecycle, forward only: a replayed fact or a
#: webhook that arrives late never moves it back.
INVOICE: dict[I, frozenset[I]] = {
    I.REQUESTED: frozenset({I.DRAFT, I.OPEN, I.PAID, I.VOID, I.UNCOLLECTIBLE}),
    I.DRAFT: frozenset({I.OPEN, I.PAID, I.VOID, I.UNCOLLECTIBLE}),
    I.OPEN: frozenset({I.PAID, I.VOID, I.UNCOLLECTIBLE}),
    I.UNCOLLECTIBLE: frozenset({I.PAID, I.VOID}),
    I.PAID: frozenset(),
    I.VOID: frozenset(),
}

EDITABLE = frozenset({S.NEW, S.SCHEDULED})
#: Where scheduling (or rescheduling) applies; a done order goes back only by a reopen.
SCHEDULABLE = frozenset({S.NEW, S.SCHEDULED})
#: Billing states in which a done order may still be reopened: once billing has started,
#: cancelling (void or credit note) is the only way back.
REOPENABLE = frozenset({B.UNBILLED})


def check_fulfilment(current: str, target: str) -> None:
    """Raise TransitionError unless the fulfilment machine allows current -> target."""
    if S(target) not in FULFILMENT[S(current)]:
        raise TransitionError(
            N_("An order that is %(current)s cannot become %(target)s."),
            current=current,
            target=target,
        )


def check_schedule(current: str) -> None:
    """Raise TransitionError unless the order may be (re)scheduled: new or scheduled only."""
    if S(current) == S.DONE:
        raise TransitionError(
            N_("This order is done: reopen it first to schedule it again."),
            current=current,
            target=S.SCHEDULED.value,
        )
    check_fulfilment(current, S.SCHEDULED)


def may_reopen(status: str, billing_status: str) -> bool:
    """Tell whether a done order may go back to scheduled: only while billing has not started."""
    return (
        S(status) == S.DONE
        and S.SCHEDULED in FULFILMENT[S.DONE]
        and B(billing_status) in REOPENABLE
    )


def check_reopen(status: str, billing_status: str) -> None:
    """Raise TransitionError unless a done order may be reopened (done -> scheduled)."""
    if S(status) != S.DONE:
        raise TransitionError(
            N_("Only a done order can be reopened; this one is %(current)s."),
            current=status,
            target=S.SCHEDULED.value,
        )
    if not may_reopen(status, billing_status):
        raise TransitionError(
            N_(
                "Billing of this order has started: it can no longer be reopened. Cancelling it "
                "(the invoice is voided, or a credit note issued) is the only way back."
            ),
            current=status,
            target=S.SCHEDULED.value,
        )


def billing_allows(current: str, target: str) -> bool:
    """Tell whether billing may move current -> target; stale news never moves it backwards."""
    return B(target) in BILLING[B(current)]


def check_billing(current: str, target: str) -> None:
    """Raise TransitionError unless the billing machine allows current -> target."""
    if not billing_allows(current, target):
        raise TransitionError(
            N_("Billing that is %(current)s cannot become %(target)s."),
            current=current,
            target=target,
        )


def is_editable(status: str, billing_status: str) -> bool:
    """Tell whether an order's lines may still change: not done, not cancelled, not yet billed."""
    return S(status) in EDITABLE and B(billing_status) == B.UNBILLED


def invoice_allows(current: str, target: str) -> bool:
    """Tell whether a hub invoice may go from one Stripe status to another (forward only)."""
    return I(target) in INVOICE[I(current)]
