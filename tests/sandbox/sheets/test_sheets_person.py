"""A person sorting, deleting, inserting rows and typing in cells, straight in the state."""

from __future__ import annotations

import gspread
import pytest
from gspread.utils import ValueRenderOption

from sandbox.sheets import SheetsEmulator
from sandbox.sheets.person import Person
from sandbox.sheets.store import Spreadsheet

ROWS: list[list[str | int]] = [
    ["ref", "amount"],
    ["C-2", 20],
    ["C-1", 10],
    ["C-3", 30],
]

UNFORMATTED = ValueRenderOption.unformatted


@pytest.fixture
def person(gc: gspread.Client, spreadsheet: Spreadsheet, emulator: SheetsEmulator) -> Person:
    worksheet = gc.open_by_key(spreadsheet.spreadsheet_id).sheet1
    worksheet.update(values=ROWS, range_name="A1")
    someone = emulator.person(spreadsheet.spreadsheet_id, "Commandes")
    someone.type("D2", "call back")  # a note in a column the hub does not own
    return someone


def test_sorting_moves_whole_rows_notes_included(person: Person) -> None:
    person.sort_rows("B", descending=True)

    assert person.rows() == [
        ["ref", "amount"],
        ["C-3", 30],
        ["C-2", 20, "", "call back"],
        ["C-1", 10],
    ]


def test_sorting_by_reference_orders_text(person: Person) -> None:
    person.sort_rows("A")

    assert [row[0] for row in person.rows()] == ["ref", "C-1", "C-2", "C-3"]


def test_deleting_a_row_shifts_the_rows_below_up(person: Person, spreadsheet: Spreadsheet) -> None:
    person.delete_rows(2)

    assert person.rows() == [["ref", "amount"], ["C-1", 10], ["C-3", 30]]
    assert spreadsheet.sheets[0].row_count == 999


def test_inserting_rows_shifts_the_rows_below_down(
    person: Person, spreadsheet: Spreadsheet, gc: gspread.Client
) -> None:
    person.insert_rows(3, count=2)

    assert person.rows() == [
        ["ref", "amount"],
        ["C-2", 20, "", "call back"],
        [],
        [],
        ["C-1", 10],
        ["C-3", 30],
    ]
    assert spreadsheet.sheets[0].row_count == 1002
    worksheet = gc.open_by_key(spreadsheet.spreadsheet_id).sheet1
    assert worksheet.col_values(1) == ["ref", "C-2", "", "", "C-1", "C-3"]


def test_typing_is_parsed_like_the_sheets_ui(person: Person) -> None:
    person.type("B3", "12.5")
    person.type("C3", "2026-01-15")
    person.type("A4", None)

    assert person.rows()[2] == ["C-1", 12.5, 46037]
    assert person.rows()[3] == ["", 30]
    assert person.rows(formatted=True)[2] == ["C-1", "12.5", "2026-01-15"]


def test_a_person_edit_is_seen_by_the_next_read(person: Person, gc: gspread.Client) -> None:
    person.type("B2", "99")

    worksheet = gc.open_by_key(person.spreadsheet_id).sheet1

    assert worksheet.get_values("A2:B2", value_render_option=UNFORMATTED) == [["C-2", 99]]
