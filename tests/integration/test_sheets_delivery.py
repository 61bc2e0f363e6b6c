"""Orders taken in the ledger reach the sheet through the outbox: workbook and Google."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import openpyxl  # type: ignore[import-untyped]
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from connectors.sheets.connector import SheetsConnector
from connectors.sheets.google import GoogleSheetWriter
from connectors.sheets.layout import ORDER_COLUMNS, ORDERS_TAB
from hub.db import get_session, write_transaction
from hub.ledger import sheet_health
from hub.ledger.actor import Actor
from hub.ledger.customers import CustomerInput, create_customer
from hub.ledger.delivery_results import record_facts
from hub.ledger.fulfilment import schedule_order
from hub.ledger.orders import OrderInput, create_order
from hub.ledger.reports import summary_tables
from hub.models import OutboxRow, OutboxStatus
from hub.outbox import control
from hub.outbox.connectors import connectors_for
from jobs.dispatcher import drain
from jobs.sheet_summaries import refresh_summaries
from jobs.spec import JobContext
from sandbox.sheets import SheetsEmulator, gspread_client
from tests.conftest import Users
from tests.integration.sheets_fixtures import ACCOUNT
from tests.integration.workers import settings

PARIS = ZoneInfo("Europe/Paris")


def take_orders(session: Session, users: Users, count: int, *, scheduled: bool = True) -> list[str]:
    """Take ``count`` orders for one customer through the ledger; return their refs."""
    with write_transaction(session):
        customer = create_customer(
            session, CustomerInput.parse({"name": "Jeanne Martin", "email": "j@example.com"})
        )
        refs = []
        for _ in range(count):
            when = {"scheduled_at": "2026-12-03T14:00:00+00:00", "provider_id": users.provider.id}
            data = OrderInput.parse(
                {
                    "customer_id": customer.id,
                    "lines": [{"service_code": "ASSEMBLY", "quantity": "1,5"}],
                    **(when if scheduled else {}),
                }
            )
            order = create_order(session, Actor.of(users.concierge), data)
            assert order.ref is not None
            refs.append(order.ref)
    return refs


def deliver(session: Session, connector: SheetsConnector) -> None:
    drain(
        session, connector, settings(batch_size=500, facts=record_facts), stopping=threading.Event()
    )


def test_an_order_taken_shows_in_the_workbook_cell_by_cell_with_types(
    app: Flask, users: Users
) -> None:
    connector = connectors_for(app).live["sheets"]
    assert isinstance(connector, SheetsConnector)
    with app.app_context():
        session = get_session()
        (ref,) = take_orders(session, users, 1)
        deliver(session, connector)
    path = connector.writer.path  # type: ignore[attr-defined]
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["Commandes", "Jour", "Mois", "Équipe"]
    sheet = book[ORDERS_TAB]
    assert sheet.freeze_panes == "A2"
    assert [c.value for c in sheet[1]] == [c.title for c in ORDER_COLUMNS]
    assert sheet["A1"].font.b
    row = sheet[2]
    assert row[0].value == ref
    assert isinstance(row[1].value, datetime) and row[1].number_format == "dd/mm/yyyy hh:mm"
    assert row[2].value == datetime(2026, 12, 3, 15, 0)  # 14:00 UTC is 15:00 in Paris
    assert row[3].value is None
    assert row[4].value == "Jeanne Martin"
    assert row[5].value == "Claire Concierge"
    assert row[6].value == "Paul Provider"
    assert isinstance(row[7].value, str) and row[7].value
    assert row[8].value == 1.5
    assert isinstance(row[9].value, float) and row[9].number_format == '#,##0.00 "€"'
    assert round(row[9].value * 100) > 0
    assert isinstance(row[10].value, float) and row[10].number_format == '#,##0.00 "€"'
    assert row[11].value == "Planifiée"
    assert row[12].value == "Non facturée"
    assert row[13].value is None and row[14].value is None and row[15].value is None
    assert row[16].value == 2 or row[16].value == 1
    assert sheet.max_row == 2


def test_a_refused_share_is_a_dead_letter_naming_the_account_and_replay_delivers(
    app: Flask, users: Users
) -> None:
    with SheetsEmulator() as emulator:
        spreadsheet = emulator.create_spreadsheet("Ops")
        gc = gspread_client(emulator.base_url)
        writer = GoogleSheetWriter(
            gc, spreadsheet.spreadsheet_id, zone=PARIS, account_email=ACCOUNT
        )
        connector = SheetsConnector(writer)
        emulator.store.deny(spreadsheet.spreadsheet_id, "The caller does not have permission")
        with app.app_context():
            session = get_session()
            (ref,) = take_orders(session, users, 1)
            deliver(session, connector)
            rows = session.scalars(
                sa.select(OutboxRow).where(OutboxRow.connector == "sheets")
            ).all()
            dead = [row for row in rows if row.status == OutboxStatus.DEAD]
            assert dead and not any(row.status == OutboxStatus.DELIVERED for row in rows)
            assert ACCOUNT in (dead[0].last_error or "")
            emulator.store.deny(spreadsheet.spreadsheet_id, None)  # the sheet is shared now
            control.replay_dead(session, Actor.system("test"), connector="sheets")
            deliver(session, connector)
            statuses = session.scalars(
                sa.select(OutboxRow.status).where(OutboxRow.connector == "sheets")
            ).all()
            assert set(statuses) == {OutboxStatus.DELIVERED}
        grid = emulator.person(spreadsheet.spreadsheet_id, ORDERS_TAB).rows()
        assert [line[0] for line in grid[1:]] == [ref]
        gc.http_client.session.close()


def test_many_events_of_many_orders_cost_one_cycle_and_duplicates_reach_the_page(
    app: Flask, users: Users
) -> None:
    with SheetsEmulator() as emulator:
        spreadsheet = emulator.create_spreadsheet("Ops")
        gc = gspread_client(emulator.base_url)
        writer = GoogleSheetWriter(
            gc, spreadsheet.spreadsheet_id, zone=PARIS, account_email=ACCOUNT
        )
        connector = SheetsConnector(writer)
        with app.app_context():
            session = get_session()
            take_orders(session, users, 1)
            deliver(session, connector)  # the tabs are made
            emulator.traffic.reset()
            refs = take_orders(session, users, 30, scheduled=False)
            deliver(session, connector)
            assert emulator.traffic.count() == 3  # one read, two writes for 30 new orders
            person = emulator.person(spreadsheet.spreadsheet_id, ORDERS_TAB)
            person.type("A5", refs[0])
            with write_transaction(session):
                schedule_order(
                    session,
                    Actor.of(users.concierge),
                    refs[1],
                    datetime(2026, 12, 4, 9, 0, tzinfo=UTC),
                    users.other_provider.id,
                )
            deliver(session, connector)
            health = sheet_health.sheet_health(session)
            assert health.duplicates == [(refs[0], 2)]
            assert not health.cells_warning
        gc.http_client.session.close()


def _as_written(value: object, kind: str) -> object:
    """Return a summary cell as openpyxl reads it back: euros, and dates as datetimes."""
    if value is None:
        return None
    if kind == "money":
        assert isinstance(value, int)
        return value / 100
    if kind == "date":
        assert isinstance(value, date)
        return datetime(value.year, value.month, value.day)
    return value


def test_summaries_follow_a_batch_and_land_in_the_workbook_equal_to_the_ledger_with_a_chart(
    app: Flask, users: Users
) -> None:
    connector = connectors_for(app).live["sheets"]
    assert isinstance(connector, SheetsConnector)
    job = refresh_summaries(connector)
    with app.app_context():
        session = get_session()
        take_orders(session, users, 3)
        deliver(session, connector)
        ctx = JobContext(
            app, session, datetime.now(UTC), None, threading.Event(), threading.Event()
        )
        assert job(ctx).note
        assert job(ctx).idle  # nothing changed since
        tables = summary_tables(session)
        session.commit()
    book = openpyxl.load_workbook(connector.writer.path)  # type: ignore[attr-defined]
    for table in tables:
        sheet = book[table.name]
        assert [c.value for c in sheet[1]] == [c.title for c in table.columns]
        written = [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]
        expected = [
            [_as_written(v, c.kind) for v, c in zip(row, table.columns, strict=True)]
            for row in table.rows
        ]
        assert written == expected, table.name
    (jour,) = [t for t in tables if t.name == "Jour"]
    assert len(jour.rows) >= 1
    (chart,) = book["Jour"]._charts
    last = len(jour.rows) + 1
    refs = [series.val.numRef.f for series in chart.series]
    assert refs and all(ref.endswith(f"${last}") for ref in refs)
    assert [c.value for c in book[ORDERS_TAB]["A"]][1:] != []


def test_the_outbox_page_shows_duplicates_and_the_last_sheet_check(
    app: Flask, users: Users
) -> None:
    from hub.db import utcnow
    from hub.ledger.sheet_health import SYNC_TARGET
    from hub.models import ReconcileReport
    from tests.conftest import sign_in

    with app.app_context():
        session = get_session()
        with write_transaction(session):
            session.add(
                ReconcileReport(
                    target=SYNC_TARGET,
                    finished_at=utcnow(),
                    details={
                        "duplicates": [["C-2026-000007", 2]],
                        "removed": 0,
                        "cells": 8_500_000,
                        "cells_warning": True,
                    },
                )
            )
            session.add(
                ReconcileReport(
                    target="sheets",
                    finished_at=utcnow(),
                    unresolved=2,
                    details={
                        "found": {
                            "counts": {"missing": 1, "extra": 0, "duplicates": 1, "edited": 0}
                        }
                    },
                )
            )
    client = app.test_client()
    sign_in(client, users.admin)
    page = client.get("/admin/outbox").get_data(as_text=True)
    assert "C-2026-000007" in page
    assert "past 80% of Google" in page
    assert "1 missing row(s)" in page and "2 left" in page
