"""Monthly and weekly invoicing: a customer's done, unbilled orders of a period on one invoice."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from connectors.payloads import InvoiceRequested, read_payload
from hub.db import get_db, get_session, write_transaction
from hub.errors import InvalidInput
from hub.ledger.actor import Actor
from hub.ledger.customers import set_billing_mode
from hub.ledger.fulfilment import cancel_order
from hub.ledger.periodic_invoicing import run_periodic_invoicing
from hub.models import BillingMode, OrderEvent
from jobs.registry import build_registry
from jobs.runs import run_job
from tests import billing, conftest
from tests.billing import CLEANING, completed_at, customer, done_order, order_of, rows
from tests.conftest import Users

NOVEMBER = datetime(2026, 11, 12, 15, 0, tzinfo=UTC)
DECEMBER = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)


@pytest.fixture
def monthly(app: Flask, database: conftest.TestDatabase, tmp_path: Path) -> Iterator[Flask]:
    """The hub, on the emptied test database, billing every customer monthly."""
    flask_app = conftest.make_app(
        database, tmp_path / "monthly", stripe={"billing_mode": "monthly"}
    )
    yield flask_app
    get_db(flask_app).dispose()


def _done_in(app: Flask, users: Users, customer_id: int, when: datetime, **kw: object) -> str:
    ref = done_order(app, users, customer_id, **kw)  # type: ignore[arg-type]
    completed_at(app, ref, when)
    return ref


def test_each_customer_gets_one_invoice_for_the_month_and_its_orders_turn_pending(
    monthly: Flask, users: Users
) -> None:
    jeanne, paul = customer(monthly), customer(monthly, name="Paul Durand", email="p@example.com")
    first = _done_in(monthly, users, jeanne, NOVEMBER, lines=CLEANING)
    second = _done_in(monthly, users, jeanne, NOVEMBER.replace(day=20))
    pauls = _done_in(monthly, users, paul, NOVEMBER)
    december = _done_in(monthly, users, jeanne, DECEMBER)
    with monthly.app_context():
        session = get_session()
        assert rows(session, "invoice.requested") == []  # nothing per order in a monthly hub
        run = run_periodic_invoicing(session, "monthly", "2026-11")
        assert (run.invoices, run.orders, run.skipped) == (2, 3, [])
        requested = [
            read_payload(r.topic, r.payload, InvoiceRequested)
            for r in rows(session, "invoice.requested")
        ]
        assert [[o.ref for o in p.orders] for p in requested] == [[first, second], [pauls]]
        jeannes = requested[0]
        assert jeannes.mode == "monthly" and jeannes.period == "2026-11"
        assert jeannes.lines[0].description.startswith(f"{first} · 12/11/2026 · Ménage à domicile")
        assert jeannes.total_cents == sum(line.amount_cents for line in jeannes.lines)
        for ref in (first, second, pauls):
            order = order_of(session, ref)
            assert order.billing_status == "pending"
            assert order.invoice is not None and order.invoice.period == "2026-11"
            assert billing.kinds(session, ref)[-1] == "billing_pending"
            changed = [r for r in rows(session, "order.billing_changed") if r.aggregate_ref == ref]
            assert len(changed) == 1
            assert changed[0].payload["order"]["billing_status"] == "pending"
        assert [o.version for o in jeannes.orders] == [
            order_of(session, first).version,
            order_of(session, second).version,
        ]
        assert order_of(session, december).billing_status == "unbilled"


def test_running_a_period_twice_bills_it_once(monthly: Flask, users: Users) -> None:
    _done_in(monthly, users, customer(monthly), NOVEMBER)
    with monthly.app_context():
        session = get_session()
        assert run_periodic_invoicing(session, BillingMode.MONTHLY, "2026-11").invoices == 1
        again = run_periodic_invoicing(session, BillingMode.MONTHLY, "2026-11")
        assert (again.invoices, again.customers) == (0, [])
        assert len(rows(session, "invoice.requested")) == 1
        assert len(billing.invoices(session)) == 1


def test_a_customer_without_e_mail_is_skipped_and_reported(monthly: Flask, users: Users) -> None:
    silent = customer(monthly, name="Sans Courriel", email=None)
    ref = _done_in(monthly, users, silent, NOVEMBER)
    billed = _done_in(monthly, users, customer(monthly), NOVEMBER)
    with monthly.app_context():
        session = get_session()
        run = run_periodic_invoicing(session, "monthly", "2026-11")
        (skipped,) = run.skipped
        assert skipped.customer_name == "Sans Courriel"
        assert skipped.skipped is not None and "Add an e-mail" in skipped.skipped
        assert order_of(session, ref).billing_status == "unbilled"
        assert order_of(session, billed).billing_status == "pending"
        assert run.invoices == 1


def test_an_order_cancelled_before_the_run_is_never_billed(monthly: Flask, users: Users) -> None:
    jeanne = customer(monthly)
    kept = _done_in(monthly, users, jeanne, NOVEMBER)
    dropped = _done_in(monthly, users, jeanne, NOVEMBER)
    with monthly.app_context():
        session = get_session()
        cancel_order(session, Actor.of(users.concierge), dropped, "Client absent.")
        assert rows(session, "invoice.cancelled") == []
        run_periodic_invoicing(session, "monthly", "2026-11")
        (row,) = rows(session, "invoice.requested")
        payload = read_payload(row.topic, row.payload, InvoiceRequested)
        assert [o.ref for o in payload.orders] == [kept]
        assert order_of(session, dropped).billing_status == "unbilled"
        assert order_of(session, dropped).invoice is None


def test_more_than_250_lines_are_split_over_two_invoices(monthly: Flask, users: Users) -> None:
    jeanne = customer(monthly)
    fifty = [{"service_code": "KEYS"}] * 50
    refs = [_done_in(monthly, users, jeanne, NOVEMBER, lines=fifty) for _ in range(5)]
    refs.append(_done_in(monthly, users, jeanne, NOVEMBER.replace(day=13)))
    with monthly.app_context():
        session = get_session()
        run = run_periodic_invoicing(session, "monthly", "2026-11")
        (outcome,) = run.customers
        assert [(i.orders, i.lines) for i in outcome.invoices] == [(5, 250), (1, 1)]
        payloads = [
            read_payload(r.topic, r.payload, InvoiceRequested)
            for r in rows(session, "invoice.requested")
        ]
        assert [len(p.lines) for p in payloads] == [250, 1]
        assert {o.ref for p in payloads for o in p.orders} == set(refs)
        assert len({p.invoice_key for p in payloads}) == 2


def test_weekly_customers_are_invoiced_by_iso_week_and_others_are_left_alone(
    monthly: Flask, users: Users
) -> None:
    weekly, per_order = customer(monthly), customer(monthly, name="Paul", email="p@example.com")
    with monthly.app_context():
        session = get_session()
        with write_transaction(session):
            set_billing_mode(session, Actor.of(users.admin), weekly, BillingMode.WEEKLY)
            set_billing_mode(session, Actor.of(users.admin), per_order, BillingMode.PER_ORDER)
    in_week = _done_in(monthly, users, weekly, datetime(2026, 11, 24, 10, tzinfo=UTC))
    next_week = _done_in(monthly, users, weekly, datetime(2026, 11, 30, 10, tzinfo=UTC))
    own = done_order(monthly, users, per_order)  # invoiced on its own as it is done
    with monthly.app_context():
        session = get_session()
        assert run_periodic_invoicing(session, "monthly", "2026-11").invoices == 0
        assert run_periodic_invoicing(session, "weekly", "2026-W48").invoices == 1
        assert order_of(session, in_week).billing_status == "pending"
        assert order_of(session, next_week).billing_status == "unbilled"
        invoice = order_of(session, own).invoice
        assert invoice is not None and invoice.mode == "per_order"


def test_a_malformed_period_is_refused_before_anything_is_decided(
    monthly: Flask, users: Users
) -> None:
    _done_in(monthly, users, customer(monthly), NOVEMBER)
    with monthly.app_context():
        session = get_session()
        with pytest.raises(InvalidInput):
            run_periodic_invoicing(session, "monthly", "2026-W48")
        assert rows(session, "invoice.requested") == []


def test_the_monthly_job_invoices_the_previous_month_once(monthly: Flask, users: Users) -> None:
    ref = _done_in(monthly, users, customer(monthly), NOVEMBER)
    spec = build_registry(monthly).get("invoicing.monthly")
    assert spec.period is not None
    assert spec.period(datetime(2026, 12, 1, 8, tzinfo=UTC)) == "2026-11"
    first = run_job(monthly, spec, period="2026-11")
    again = run_job(monthly, spec, period="2026-11")
    assert first.outcome == "ok" and first.counts.note is not None
    assert "1 invoice(s)" in first.counts.note
    assert again.outcome == "skipped"
    with monthly.app_context():
        session = get_session()
        assert order_of(session, ref).billing_status == "pending"
        events = session.scalar(
            sa.select(sa.func.count())
            .select_from(OrderEvent)
            .where(OrderEvent.kind == "billing_pending")
        )
        assert events == 1
    assert build_registry(monthly).get("invoicing.weekly").period is not None
