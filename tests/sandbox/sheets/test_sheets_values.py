"""The real gspread reads and writes values in the emulator, typed as Sheets types them."""

from __future__ import annotations

import gspread
import pytest
import requests
from gspread.utils import DateTimeOption, Dimension, InsertDataOption, ValueRenderOption

from sandbox.sheets import SheetsEmulator
from sandbox.sheets.store import Spreadsheet

SERIAL_2026_01_15 = 46037

UNFORMATTED = ValueRenderOption.unformatted


def test_gspread_opens_a_spreadsheet_by_key_and_sees_its_tabs(
    gc: gspread.Client, spreadsheet: Spreadsheet
) -> None:
    opened = gc.open_by_key(spreadsheet.spreadsheet_id)

    assert opened.title == "Ops"
    assert [ws.title for ws in opened.worksheets()] == ["Commandes"]
    assert opened.sheet1.row_count == 1000
    assert opened.sheet1.col_count == 26


def test_an_unknown_key_is_gspreads_spreadsheet_not_found(gc: gspread.Client) -> None:
    with pytest.raises(gspread.SpreadsheetNotFound):
        gc.open_by_key("no-such-key")


def test_add_worksheet_creates_a_tab_with_the_asked_grid(
    gc: gspread.Client, spreadsheet: Spreadsheet
) -> None:
    worksheet = gc.open_by_key(spreadsheet.spreadsheet_id).add_worksheet("Jour", rows=50, cols=8)

    tab = spreadsheet.sheet("Jour")
    assert (tab.sheet_id, tab.row_count, tab.column_count) == (worksheet.id, 50, 8)
    assert tab.properties["index"] == 1


def test_user_entered_numbers_and_dates_are_stored_typed(
    gc: gspread.Client, spreadsheet: Spreadsheet, emulator: SheetsEmulator
) -> None:
    worksheet = gc.open_by_key(spreadsheet.spreadsheet_id).sheet1

    worksheet.update(
        values=[["C-1", 12.5, "2026-01-15", "1,234.50", "TRUE", "'0042", "=SUM(B1:B2)"]],
        range_name="A1",
        value_input_option=gspread.utils.ValueInputOption.user_entered,
    )

    person = emulator.person(spreadsheet.spreadsheet_id, "Commandes")
    # The emulator keeps formulas as entered; it does not compute SUM.
    assert person.rows() == [["C-1", 12.5, SERIAL_2026_01_15, 1234.5, True, "0042"]]
    assert person.cell("C1").format["numberFormat"]["type"] == "DATE"
    assert person.cell("G1").formula == "=SUM(B1:B2)"
    assert worksheet.get_values("A1:G1") == [
        ["C-1", "12.5", "2026-01-15", "1234.5", "TRUE", "0042"]
    ]
    assert (
        worksheet.get_values("A1:G1", value_render_option=ValueRenderOption.formula)[0][6]
        == "=SUM(B1:B2)"
    )


def test_raw_input_keeps_text_as_text(
    gc: gspread.Client, spreadsheet: Spreadsheet, emulator: SheetsEmulator
) -> None:
    worksheet = gc.open_by_key(spreadsheet.spreadsheet_id).sheet1

    worksheet.update(values=[["2026-01-15", "12", "=1+1", 7]], range_name="A1", raw=True)

    person = emulator.person(spreadsheet.spreadsheet_id, "Commandes")
    assert person.rows() == [["2026-01-15", "12", "=1+1", 7]]


def test_dates_render_as_serials_or_formatted_strings_on_request(
    gc: gspread.Client, spreadsheet: Spreadsheet
) -> None:
    worksheet = gc.open_by_key(spreadsheet.spreadsheet_id).sheet1
    worksheet.update(values=[["2026-01-15 10:30"]], range_name="A1", raw=False)

    serial = worksheet.get_values("A1", value_render_option=UNFORMATTED)
    text = worksheet.get_values(
        "A1",
        value_render_option=UNFORMATTED,
        date_time_render_option=DateTimeOption.formatted_string,
    )

    assert serial == [[SERIAL_2026_01_15 + 0.4375]]
    assert text == [["2026-01-15 10:30:00"]]


def test_batch_update_writes_several_ranges_in_one_request(
    gc: gspread.Client, spreadsheet: Spreadsheet, emulator: SheetsEmulator
) -> None:
    worksheet = gc.open_by_key(spreadsheet.spreadsheet_id).sheet1
    emulator.traffic.reset()

    response = worksheet.batch_update(
        [
            {"range": "A1:B2", "values": [["ref", "amount"], ["C-1", 10]]},
            {"range": "A5", "values": [["C-5", 50]]},
        ]
    )

    assert emulator.traffic.by_endpoint() == {"values.batchUpdate": 1}
    assert response["totalUpdatedCells"] == 6
    assert [r["updatedRange"] for r in response["responses"]] == [
        "Commandes!A1:B2",
        "Commandes!A5:B5",
    ]
    assert worksheet.get_values("A1:B5", value_render_option=UNFORMATTED) == [
        ["ref", "amount"],
        ["C-1", 10],
        ["", ""],
        ["", ""],
        ["C-5", 50],
    ]


def test_writing_more_rows_than_a_bounded_range_is_refused(
    gc: gspread.Client, spreadsheet: Spreadsheet
) -> None:
    worksheet = gc.open_by_key(spreadsheet.spreadsheet_id).sheet1

    with pytest.raises(gspread.exceptions.APIError) as refused:
        worksheet.update(values=[["a"], ["b"], ["c"]], range_name="A1:A2")

    assert refused.value.response.status_code == 400
    assert "tried writing to row [3]" in refused.value.response.json()["error"]["message"]


def test_append_lands_after_the_table_and_reports_the_range_it_wrote(
    gc: gspread.Client, spreadsheet: Spreadsheet, emulator: SheetsEmulator
) -> None:
    worksheet = gc.open_by_key(spreadsheet.spreadsheet_id).sheet1
    worksheet.update(values=[["ref", "amount"], ["C-1", 10]], range_name="A1")

    response = worksheet.append_rows([["C-2", 20], ["C-3", 30]], table_range="A1")

    assert response["tableRange"] == "Commandes!A1:B2"
    assert response["updates"]["updatedRange"] == "Commandes!A3:B4"
    assert response["updates"]["updatedRows"] == 2
    person = emulator.person(spreadsheet.spreadsheet_id, "Commandes")
    assert person.rows() == [["ref", "amount"], ["C-1", 10], ["C-2", 20], ["C-3", 30]]


def test_append_ends_the_table_at_its_first_empty_row(
    gc: gspread.Client, spreadsheet: Spreadsheet, emulator: SheetsEmulator
) -> None:
    worksheet = gc.open_by_key(spreadsheet.spreadsheet_id).sheet1
    worksheet.update(values=[["ref"], ["C-1"], [""], ["C-3"]], range_name="A1")

    response = worksheet.append_rows([["C-4"]], table_range="A1")

    # Like Google, the table is A1:A2: the new row fills the gap a person left.
    assert response["updates"]["updatedRange"] == "Commandes!A3"
    person = emulator.person(spreadsheet.spreadsheet_id, "Commandes")
    assert person.rows() == [["ref"], ["C-1"], ["C-4"], ["C-3"]]


def test_append_with_insert_rows_pushes_what_lies_below_down(
    gc: gspread.Client, spreadsheet: Spreadsheet, emulator: SheetsEmulator
) -> None:
    worksheet = gc.open_by_key(spreadsheet.spreadsheet_id).sheet1
    worksheet.update(values=[["ref"], ["C-1"]], range_name="A1")
    worksheet.update(values=[["note below"]], range_name="B4")

    worksheet.append_rows(
        [["C-2"], ["C-3"]], table_range="A:A", insert_data_option=InsertDataOption.insert_rows
    )

    person = emulator.person(spreadsheet.spreadsheet_id, "Commandes")
    assert person.rows() == [["ref"], ["C-1"], ["C-2"], ["C-3"], [], ["", "note below"]]
    assert spreadsheet.sheet("Commandes").row_count == 1002


def test_columns_major_dimension_reads_and_writes_columns(
    gc: gspread.Client, spreadsheet: Spreadsheet
) -> None:
    worksheet = gc.open_by_key(spreadsheet.spreadsheet_id).sheet1
    worksheet.update(
        values=[["a", "b", "c"], [1, 2, 3]], range_name="A1", major_dimension=Dimension.cols
    )

    assert worksheet.get_values("A1:B3") == [["a", "1"], ["b", "2"], ["c", "3"]]
    assert worksheet.get_values("A1:B3", major_dimension=Dimension.cols) == [
        ["a", "b", "c"],
        ["1", "2", "3"],
    ]


def test_batch_get_answers_each_range(gc: gspread.Client, spreadsheet: Spreadsheet) -> None:
    worksheet = gc.open_by_key(spreadsheet.spreadsheet_id).sheet1
    worksheet.update(values=[["ref", "amount"], ["C-1", 10], ["C-2", 20]], range_name="A1")

    ranges = worksheet.batch_get(["A:A", "B2:B3"])

    assert [list(r) for r in ranges] == [[["ref"], ["C-1"], ["C-2"]], [["10"], ["20"]]]
    assert ranges[0].range == "Commandes!A1:A1000"


def test_clear_empties_values_but_keeps_formats(
    gc: gspread.Client, spreadsheet: Spreadsheet, emulator: SheetsEmulator
) -> None:
    worksheet = gc.open_by_key(spreadsheet.spreadsheet_id).sheet1
    worksheet.update(values=[["2026-01-15", "x"], ["y", "z"]], range_name="A1", raw=False)

    worksheet.batch_clear(["A1:A2"])
    worksheet.update(values=[[SERIAL_2026_01_15 + 1]], range_name="A1")

    assert worksheet.get_values("A1:B2") == [["2026-01-16", "x"], ["", "z"]]


def test_a_read_entirely_beyond_the_grid_is_refused(
    http: requests.Session, emulator: SheetsEmulator, spreadsheet: Spreadsheet
) -> None:
    url = f"{emulator.base_url}/v4/spreadsheets/{spreadsheet.spreadsheet_id}/values/A1001"

    answer = http.get(url)

    assert answer.status_code == 400
    assert "exceeds grid limits" in answer.json()["error"]["message"]


def test_a_cell_over_50000_characters_is_refused_like_google(
    gc: gspread.Client, spreadsheet: Spreadsheet
) -> None:
    worksheet = gc.open_by_key(spreadsheet.spreadsheet_id).sheet1

    with pytest.raises(gspread.exceptions.APIError) as refused:
        worksheet.update(values=[["ok", "x" * 50_001]], range_name="A1")

    assert refused.value.response.status_code == 400
    assert "maximum of 50000 characters" in refused.value.response.json()["error"]["message"]
    assert spreadsheet.sheets[0].rows == []


def test_growing_past_the_cell_limit_is_refused(clock: object, http: requests.Session) -> None:
    with SheetsEmulator(max_cells=30_000) as small:
        spreadsheet = small.create_spreadsheet("Ops")  # 1000 x 26 = 26,000 cells
        url = f"{small.base_url}/v4/spreadsheets/{spreadsheet.spreadsheet_id}:batchUpdate"
        grow = {"appendDimension": {"sheetId": 0, "dimension": "ROWS", "length": 200}}

        answer = http.post(url, json={"requests": [grow]})

    assert answer.status_code == 400
    assert "above the limit of 30000 cells" in answer.json()["error"]["message"]
    assert spreadsheet.sheets[0].row_count == 1000


def test_an_update_can_echo_what_it_wrote_rendered_as_asked(
    gc: gspread.Client, spreadsheet: Spreadsheet
) -> None:
    worksheet = gc.open_by_key(spreadsheet.spreadsheet_id).sheet1

    response = worksheet.update(
        values=[["2026-01-15", "12.5"]],
        range_name="A1",
        raw=False,
        include_values_in_response=True,
        response_value_render_option=UNFORMATTED,
    )

    assert response["updatedData"]["values"] == [[SERIAL_2026_01_15, 12.5]]
