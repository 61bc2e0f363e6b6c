"""The workbook writer keeps what it saved in memory, and reads the file again once it changed."""

from __future__ import annotations

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
