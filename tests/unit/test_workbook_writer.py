"""The workbook writer keeps what it saved in memory, and reads the file again once it changed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import openpyxl  # type: ignore[import-untyped]
import pytest

from connectors.payloads import PartyRef
from connectors.sheets.layout import HUB_WIDTH, ORDERS_TAB
from connectors.sheets.workbook import WorkbookWriter
from tests.integration.sheets_fixtures import PARIS, order


def test_a_note_typed_between_two_writes_of_one_writer_stays_on_its_row(tmp_path: Path) -> None:
    path = tmp_path / "hub.xlsx"
    writer = WorkbookWriter(path, zone=PARIS)
    writer.write_orders([order(1), order(2), order(3)])
    book = openpyxl.load_workbook(path)
    sheet = book[ORDERS_TAB]
    sheet.cell(row=3, column=HUB_WIDTH + 2, value="rappeler")  # on order 2's row
    sheet.delete_rows(2)  # order 1's row goes: order 2 moves up
    book.save(path)

    writer.write_orders([order(2, 2), order(4)])

    rows = list(openpyxl.load_workbook(path)[ORDERS_TAB].iter_rows(min_row=2, values_only=True))
    assert [r[0] for r in rows] == [order(2).ref, order(3).ref, order(4).ref]
    assert rows[0][HUB_WIDTH - 1] == 2
    assert rows[0][HUB_WIDTH + 1] == "rappeler"


def test_a_writer_writes_on_top_of_its_last_save_without_reading_it_back(tmp_path: Path) -> None:
    path = tmp_path / "hub.xlsx"
    writer = WorkbookWriter(path, zone=PARIS)
    writer.write_orders([order(1), order(2)])

    writer.write_orders([order(1, 3)])

    assert [(row.ref, row.hub[HUB_WIDTH - 1]) for row in writer.read_orders()] == [
        (order(1).ref, 3),
        (order(2).ref, 1),
    ]
    assert [
        (row.ref, row.hub[HUB_WIDTH - 1]) for row in WorkbookWriter(path, zone=PARIS).read_orders()
    ] == [
        (order(1).ref, 3),
        (order(2).ref, 1),
    ]


def test_control_characters_pasted_into_a_name_do_not_stop_the_workbook(tmp_path: Path) -> None:
    # A vertical tab comes with text pasted from a word processor; Excel's XML refuses it.
    path = tmp_path / "hub.xlsx"
    pasted = "Jeanne\x0bMartin\x01 " + "x" * 60_000
    WorkbookWriter(path, zone=PARIS).write_orders([order(1, customer=PartyRef(1, pasted))])

    (row,) = openpyxl.load_workbook(path)[ORDERS_TAB].iter_rows(min_row=2, values_only=True)
    name = next(cell for cell in row if isinstance(cell, str) and cell.startswith("Jeanne"))
    assert name.startswith("Jeanne Martin ") and len(name) <= 50_000


def test_a_save_that_fails_leaves_the_last_workbook_whole_and_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "hub.xlsx"
    writer = WorkbookWriter(path, zone=PARIS)
    writer.write_orders([order(1)])
    before = path.read_bytes()

    def full_disk(source: str, target: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("os.replace", full_disk)
    with pytest.raises(OSError, match="disk full"):
        writer.write_orders([order(2)])

    assert path.read_bytes() == before  # a reader never sees half a file
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hub.xlsx"]


def test_every_cell_of_a_done_invoiced_paid_order_has_its_value_and_type(tmp_path: Path) -> None:
    done = datetime(2026, 12, 1, 21, 45, tzinfo=UTC)  # 22:45 in Paris
    paid = datetime(2026, 12, 3, 23, 10, tzinfo=UTC)  # 4 December, 00:10 in Paris
    paid_order = order(
        7,
        4,
        status="done",
        billing_status="paid",
        provider=PartyRef(3, "Karim Haddad"),
        scheduled_at=done - timedelta(hours=2),
        completed_at=done,
        invoice_number="F-0042",
        invoice_url="https://invoice.stripe.com/i/acct_1/in_42",
        paid_at=paid,
    )
    path = tmp_path / "hub.xlsx"
    WorkbookWriter(path, zone=PARIS).write_orders([paid_order])

    (row,) = openpyxl.load_workbook(path)[ORDERS_TAB].iter_rows(min_row=2, max_row=2)
    cells = [(cell.value, cell.number_format) for cell in row[:HUB_WIDTH]]
    when, money = "dd/mm/yyyy hh:mm", '#,##0.00 "€"'
    assert cells == [
        ("C-2026-000007", "General"),
        (datetime(2026, 12, 1, 9, 30), when),
        (datetime(2026, 12, 1, 20, 45), when),
        (datetime(2026, 12, 1, 22, 45), when),
        ("Client 7", "General"),
        ("Claire Concierge", "General"),
        ("Karim Haddad", "General"),
        ("Ménage", "General"),
        (1.5, "0.###"),
        (57.5, money),
        (9.58, money),
        ("Faite", "General"),
        ("Payée", "General"),
        ("F-0042", "General"),
        ('=HYPERLINK("https://invoice.stripe.com/i/acct_1/in_42","F-0042")', "General"),
        (datetime(2026, 12, 4, 0, 10), when),
        (4, "0"),
    ]
