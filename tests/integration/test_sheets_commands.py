"""``hub reconcile sheets [--repair]`` and ``hub sheets rebuild``, on the workbook and Google."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl  # type: ignore[import-untyped]
import pytest
import sqlalchemy as sa
from click.testing import CliRunner, Result
from flask import Flask

from connectors.sheets.connector import SheetsConnector
from connectors.sheets.google import GoogleSheetWriter
from connectors.sheets.layout import ORDERS_TAB
from hub.cli import main
from hub.db import get_session
from hub.ledger.delivery_results import record_facts
from hub.models import ReconcileReport
from hub.outbox.connectors import connectors_for
from hub.outbox.sheet_reconcile import compare, rebuild, reconcile
from jobs.dispatcher import drain
from sandbox.sheets import SheetsEmulator, gspread_client
from tests import conftest
from tests.conftest import Users
from tests.integration.sheets_fixtures import ACCOUNT
from tests.integration.test_sheets_delivery import take_orders
from tests.integration.workers import settings

PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture
def hub(database: conftest.TestDatabase, tmp_path: Path) -> Iterator[CliRunner]:
    config = tmp_path / "hub.toml"
    config.write_text("")
    yield CliRunner(
        env={
            "HUB_CONFIG": str(config),
            "HUB_DATABASE_URL": database.url,
            "HUB_SECRET_KEY": "cli-test-secret-key-0123456789abcdef",
            "HUB_INSTANCE_PATH": str(tmp_path / "instance"),
            "HUB_LOG_LEVEL": "WARNING",
        }
    )


def run(hub: CliRunner, *args: str) -> Result:
    return hub.invoke(main, list(args))


def workbook_with_orders(app: Flask, users: Users, count: int) -> tuple[Path, list[str]]:
    connector = connectors_for(app).live["sheets"]
    assert isinstance(connector, SheetsConnector)
    with app.app_context():
        session = get_session()
        refs = take_orders(session, users, count, scheduled=False)
        drain(session, connector, settings(facts=record_facts), stopping=threading.Event())
    return connector.writer.path, refs  # type: ignore[attr-defined]


def test_reconcile_reports_hand_edits_and_repair_fixes_them(
    app: Flask, users: Users, hub: CliRunner
) -> None:
    path, refs = workbook_with_orders(app, users, 4)
    assert run(hub, "reconcile", "sheets").exit_code == 0
    book = openpyxl.load_workbook(path)
    sheet = book[ORDERS_TAB]
    sheet["J2"] = 1.0  # an amount edited by hand
    sheet.delete_rows(3)  # an order's row deleted
    sheet.append(["C-1999-000001", None])  # a row the ledger does not know
    sheet.append([refs[0]])  # a reference pasted twice
    book.save(path)

    checked = run(hub, "reconcile", "sheets")
    assert checked.exit_code == 1, checked.output
    assert "Missing rows: 1; extra rows: 1; duplicate references: 1; rows edited by hand: 1" in (
        checked.output
    )
    assert f"edited   {refs[0]}: Montant TTC" in checked.output
    repaired = run(hub, "reconcile", "sheets", "--repair")
    assert repaired.exit_code == 0, repaired.output
    assert run(hub, "reconcile", "sheets").exit_code == 0
    refs_now = [c.value for c in openpyxl.load_workbook(path)[ORDERS_TAB]["A"]][1:]
    assert sorted(refs_now) == sorted(refs)
    with app.app_context():
        reports = (
            get_session()
            .scalars(
                sa.select(ReconcileReport)
                .where(ReconcileReport.target == "sheets")
                .order_by(ReconcileReport.id)
            )
            .all()
        )
        assert [r.unresolved for r in reports] == [0, 4, 0, 0]
        assert reports[1].details["found"]["counts"] == {
            "missing": 1,
            "extra": 1,
            "duplicates": 1,
            "edited": 1,
        }


def test_rebuild_writes_every_order_again_and_keeps_peoples_notes_on_their_row(
    app: Flask, users: Users, hub: CliRunner
) -> None:
    path, refs = workbook_with_orders(app, users, 5)
    book = openpyxl.load_workbook(path)
    sheet = book[ORDERS_TAB]
    sheet["R1"] = "Notes"
    sheet["R4"] = "rappeler"  # on refs[2]'s row
    sheet.delete_rows(2)
    book.save(path)
    done = run(hub, "sheets", "rebuild")
    assert done.exit_code == 0, done.output
    assert "5 order(s) written" in done.output
    rows = list(openpyxl.load_workbook(path)[ORDERS_TAB].iter_rows(values_only=True))
    assert rows[0][17] == "Notes"
    assert [r[0] for r in rows[1:]] == refs
    assert rows[3][17] == "rappeler"
    assert run(hub, "reconcile", "sheets").exit_code == 0


def test_google_reconcile_repairs_a_sorted_edited_sheet_and_rebuild_keeps_notes(
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
            refs = take_orders(session, users, 6, scheduled=False)
            drain(session, connector, settings(), stopping=threading.Event())
            person = emulator.person(spreadsheet.spreadsheet_id, ORDERS_TAB)
            person.sort_rows("A", descending=True)
            person.type("E2", "Someone Else")  # refs[5]'s customer, by hand
            person.type("Q3", "99")  # refs[4]'s version, by hand
            person.delete_rows(4)  # refs[3]
            person.type("S5", "VIP")  # a note on refs[1]'s row, once refs[3] is gone
            drift, report = reconcile(session, writer, PARIS, repair=False)
            assert drift.missing == [refs[3]]
            assert drift.edited == {refs[5]: ["Client"], refs[4]: ["Version"]}
            assert report.unresolved == 3
            drift, report = reconcile(session, writer, PARIS, repair=True)
            assert report.unresolved == 0
            assert compare(session, writer, PARIS)[0].total == 0

            written = rebuild(session, writer, lambda n: None)
            assert written == 6
            rows = person.rows()[1:]
            assert [r[0] for r in rows] == refs
            assert rows[1][18] == "VIP"
            assert compare(session, writer, PARIS)[0].total == 0
        gc.http_client.session.close()
