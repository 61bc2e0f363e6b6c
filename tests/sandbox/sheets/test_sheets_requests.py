"""spreadsheets.batchUpdate requests sent by gspread change the emulator's state."""

from __future__ import annotations

from typing import Any

import gspread
import pytest

from sandbox.sheets import SheetsEmulator
from sandbox.sheets.store import Spreadsheet


@pytest.fixture
def book(gc: gspread.Client, spreadsheet: Spreadsheet) -> gspread.Spreadsheet:
    return gc.open_by_key(spreadsheet.spreadsheet_id)


def _fill(worksheet: gspread.Worksheet) -> None:
    worksheet.update(
        values=[["ref", "amount"], ["C-2", 20], ["C-1", 10], ["C-3", 30]], range_name="A1"
    )


def test_frozen_header_is_set_by_update_sheet_properties(
    book: gspread.Spreadsheet, spreadsheet: Spreadsheet
) -> None:
    book.batch_update(
        {
            "requests": [
                {
                    "updateSheetProperties": {
                        "properties": {"sheetId": 0, "gridProperties": {"frozenRowCount": 1}},
                        "fields": "gridProperties.frozenRowCount",
                    }
                }
            ]
        }
    )

    grid = spreadsheet.sheet("Commandes").properties["gridProperties"]
    assert grid == {"rowCount": 1000, "columnCount": 26, "frozenRowCount": 1}
    assert (
        book.fetch_sheet_metadata()["sheets"][0]["properties"]["gridProperties"]["frozenRowCount"]
        == 1
    )


def test_update_sheet_properties_renames_only_what_the_mask_names(
    book: gspread.Spreadsheet, spreadsheet: Spreadsheet
) -> None:
    book.sheet1.update_title("Orders")
    book.sheet1.freeze(rows=2)

    properties = spreadsheet.sheets[0].properties
    assert properties["title"] == "Orders"
    assert properties["gridProperties"]["frozenRowCount"] == 2


def test_repeat_cell_sets_the_masked_format_and_keeps_values(
    book: gspread.Spreadsheet, spreadsheet: Spreadsheet, emulator: SheetsEmulator
) -> None:
    worksheet = book.sheet1
    worksheet.update(values=[["amount"], [1234.5], [7]], range_name="A1")
    euro = {"type": "CURRENCY", "pattern": '#,##0.00\\ "€"'}

    book.batch_update(
        {
            "requests": [
                {
                    "repeatCell": {
                        "range": {
                            "sheetId": 0,
                            "startRowIndex": 1,
                            "startColumnIndex": 0,
                            "endColumnIndex": 1,
                        },
                        "cell": {
                            "userEnteredFormat": {
                                "numberFormat": euro,
                                "textFormat": {"bold": True},
                            }
                        },
                        "fields": "userEnteredFormat.numberFormat",
                    }
                }
            ]
        }
    )

    cell = emulator.person(spreadsheet.spreadsheet_id, "Commandes").cell("A2")
    assert cell.value == 1234.5
    assert cell.format == {"numberFormat": euro}
    assert worksheet.get_values("A1:A3") == [["amount"], ["1,234.50 €"], ["7.00 €"]]
    assert spreadsheet.sheets[0].row_count == 1000


def test_format_through_gspread_is_a_repeat_cell(
    book: gspread.Spreadsheet, spreadsheet: Spreadsheet, emulator: SheetsEmulator
) -> None:
    book.sheet1.format("A1:B1", {"textFormat": {"bold": True}})

    person = emulator.person(spreadsheet.spreadsheet_id, "Commandes")
    assert person.cell("B1").format == {"textFormat": {"bold": True}}
    assert person.cell("C1") is None


def _chart_spec(end_row: int) -> dict[str, Any]:
    source = {"sheetId": 0, "startRowIndex": 0, "endRowIndex": end_row}
    return {
        "title": "Chiffre d'affaires",
        "basicChart": {
            "chartType": "COLUMN",
            "domains": [
                {
                    "domain": {
                        "sourceRange": {
                            "sources": [{**source, "startColumnIndex": 0, "endColumnIndex": 1}]
                        }
                    }
                }
            ],
            "series": [
                {
                    "series": {
                        "sourceRange": {
                            "sources": [{**source, "startColumnIndex": 1, "endColumnIndex": 2}]
                        }
                    }
                }
            ],
            "headerCount": 1,
        },
    }


def test_add_chart_then_update_chart_spec(
    book: gspread.Spreadsheet, spreadsheet: Spreadsheet
) -> None:
    position = {"overlayPosition": {"anchorCell": {"sheetId": 0, "rowIndex": 0, "columnIndex": 4}}}
    added = book.batch_update(
        {"requests": [{"addChart": {"chart": {"spec": _chart_spec(10), "position": position}}}]}
    )
    chart_id = added["replies"][0]["addChart"]["chart"]["chartId"]

    book.batch_update(
        {"requests": [{"updateChartSpec": {"chartId": chart_id, "spec": _chart_spec(500)}}]}
    )

    charts = book.fetch_sheet_metadata()["sheets"][0]["charts"]
    assert [c["chartId"] for c in charts] == [chart_id]
    series = charts[0]["spec"]["basicChart"]["series"][0]["series"]["sourceRange"]["sources"]
    assert series[0]["endRowIndex"] == 500
    assert spreadsheet.sheets[0].charts[0]["position"] == position


def test_update_chart_spec_of_an_unknown_chart_is_a_400(book: gspread.Spreadsheet) -> None:
    with pytest.raises(gspread.exceptions.APIError) as refused:
        book.batch_update({"requests": [{"updateChartSpec": {"chartId": 42, "spec": {}}}]})

    assert refused.value.response.status_code == 400
    assert "updateChartSpec" in refused.value.response.json()["error"]["message"]


def test_delete_and_insert_dimension_move_rows(
    book: gspread.Spreadsheet, spreadsheet: Spreadsheet
) -> None:
    worksheet = book.sheet1
    _fill(worksheet)

    worksheet.delete_rows(2)
    worksheet.insert_rows([["C-9", 90]], row=2)

    assert worksheet.get_values("A1:B5") == [
        ["ref", "amount"],
        ["C-9", "90"],
        ["C-1", "10"],
        ["C-3", "30"],
    ]
    assert spreadsheet.sheets[0].row_count == 1000


def test_delete_columns_shifts_cells_left(
    book: gspread.Spreadsheet, spreadsheet: Spreadsheet
) -> None:
    worksheet = book.sheet1
    worksheet.update(values=[["a", "b", "c"]], range_name="A1")

    worksheet.delete_columns(2)

    assert worksheet.get_values("A1:C1") == [["a", "c"]]
    assert spreadsheet.sheets[0].column_count == 25


def test_append_dimension_grows_the_grid(
    book: gspread.Spreadsheet, spreadsheet: Spreadsheet
) -> None:
    book.batch_update(
        {"requests": [{"appendDimension": {"sheetId": 0, "dimension": "ROWS", "length": 500}}]}
    )

    assert spreadsheet.sheets[0].row_count == 1500


def test_sort_range_orders_rows_under_the_header(book: gspread.Spreadsheet) -> None:
    worksheet = book.sheet1
    _fill(worksheet)

    worksheet.sort((2, "des"), range="A2:B4")

    assert worksheet.get_values("A1:B4") == [
        ["ref", "amount"],
        ["C-3", "30"],
        ["C-2", "20"],
        ["C-1", "10"],
    ]


def test_set_basic_filter_keeps_the_filter_and_sorts_by_its_specs(
    book: gspread.Spreadsheet, spreadsheet: Spreadsheet
) -> None:
    worksheet = book.sheet1
    _fill(worksheet)
    grid = {
        "sheetId": 0,
        "startRowIndex": 0,
        "endRowIndex": 4,
        "startColumnIndex": 0,
        "endColumnIndex": 2,
    }

    book.batch_update(
        {
            "requests": [
                {
                    "setBasicFilter": {
                        "filter": {
                            "range": grid,
                            "sortSpecs": [{"dimensionIndex": 0, "sortOrder": "ASCENDING"}],
                        }
                    }
                }
            ]
        }
    )

    assert spreadsheet.sheets[0].basic_filter is not None
    assert worksheet.col_values(1) == ["ref", "C-1", "C-2", "C-3"]
    assert book.fetch_sheet_metadata()["sheets"][0]["basicFilter"]["range"] == grid


def test_add_and_delete_sheet(book: gspread.Spreadsheet, spreadsheet: Spreadsheet) -> None:
    jour = book.add_worksheet("Jour", rows=10, cols=5)

    book.del_worksheet(jour)

    assert spreadsheet.sheet_titles() == ["Commandes"]


def test_update_cells_writes_cell_data_with_formulas(
    book: gspread.Spreadsheet, emulator: SheetsEmulator, spreadsheet: Spreadsheet
) -> None:
    link = '=HYPERLINK("https://invoice.example/1","F-1")'
    book.batch_update(
        {
            "requests": [
                {
                    "updateCells": {
                        "start": {"sheetId": 0, "rowIndex": 0, "columnIndex": 0},
                        "rows": [
                            {
                                "values": [
                                    {"userEnteredValue": {"numberValue": 3}},
                                    {"userEnteredValue": {"formulaValue": link}},
                                ]
                            }
                        ],
                        "fields": "userEnteredValue",
                    }
                }
            ]
        }
    )

    assert book.sheet1.get_values("A1:B1") == [["3", "F-1"]]
    assert emulator.person(spreadsheet.spreadsheet_id, "Commandes").cell("B1").formula == link


def test_a_failing_request_leaves_the_whole_batch_unapplied(
    book: gspread.Spreadsheet, spreadsheet: Spreadsheet
) -> None:
    with pytest.raises(gspread.exceptions.APIError) as refused:
        book.batch_update(
            {
                "requests": [
                    {"addSheet": {"properties": {"title": "Jour"}}},
                    {"deleteSheet": {"sheetId": 123456}},
                ]
            }
        )

    assert refused.value.response.status_code == 400
    assert refused.value.response.json()["error"]["message"].startswith(
        "Invalid requests[1].deleteSheet:"
    )
    assert spreadsheet.sheet_titles() == ["Commandes"]


def test_a_failing_batch_leaves_the_rows_it_changed_as_they_were(
    book: gspread.Spreadsheet, spreadsheet: Spreadsheet
) -> None:
    worksheet = book.sheet1
    _fill(worksheet)
    cell = {"userEnteredValue": {"stringValue": "changed"}}
    span = {"sheetId": 0, "startRowIndex": 1, "endRowIndex": 3}

    with pytest.raises(gspread.exceptions.APIError):
        book.batch_update(
            {
                "requests": [
                    {"repeatCell": {"range": span, "cell": cell, "fields": "userEnteredValue"}},
                    {
                        "deleteDimension": {
                            "range": {
                                "sheetId": 0,
                                "dimension": "COLUMNS",
                                "startIndex": 0,
                                "endIndex": 1,
                            }
                        }
                    },
                    {"sortRange": {"range": span, "sortSpecs": [{"dimensionIndex": 1}]}},
                    {"deleteSheet": {"sheetId": 123456}},
                ]
            }
        )
    worksheet.update(values=[["C-4", 40]], range_name="A5")

    assert worksheet.get_values("A1:B5") == [
        ["ref", "amount"],
        ["C-2", "20"],
        ["C-1", "10"],
        ["C-3", "30"],
        ["C-4", "40"],
    ]
    assert spreadsheet.sheets[0].column_count == 26


def test_a_request_kind_the_emulator_lacks_is_a_clear_400(book: gspread.Spreadsheet) -> None:
    with pytest.raises(gspread.exceptions.APIError) as refused:
        book.batch_update(
            {"requests": [{"mergeCells": {"range": {"sheetId": 0}, "mergeType": "MERGE_ALL"}}]}
        )

    error = refused.value.response.json()["error"]
    assert (error["code"], error["status"]) == (400, "INVALID_ARGUMENT")
    assert "does not support mergeCells" in error["message"]


def test_spreadsheets_get_honours_fields_and_grid_data(
    book: gspread.Spreadsheet, spreadsheet: Spreadsheet
) -> None:
    book.sheet1.update(values=[["ref", 12]], range_name="A1")

    titles = book.fetch_sheet_metadata({"fields": "sheets.properties(title,sheetId)"})
    grid = book.fetch_sheet_metadata({"includeGridData": "true", "ranges": "Commandes!A1:B1"})

    assert titles == {"sheets": [{"properties": {"title": "Commandes", "sheetId": 0}}]}
    cells = grid["sheets"][0]["data"][0]["rowData"][0]["values"]
    assert [c["effectiveValue"] for c in cells] == [{"stringValue": "ref"}, {"numberValue": 12}]


def test_resize_changes_the_grid_through_update_sheet_properties(
    book: gspread.Spreadsheet, spreadsheet: Spreadsheet
) -> None:
    book.sheet1.resize(rows=20, cols=17)

    grid = spreadsheet.sheets[0].properties["gridProperties"]
    assert (grid["rowCount"], grid["columnCount"]) == (20, 17)


def test_worksheet_clear_empties_the_whole_tab(
    book: gspread.Spreadsheet, spreadsheet: Spreadsheet, emulator: SheetsEmulator
) -> None:
    _fill(book.sheet1)
    emulator.traffic.reset()

    book.sheet1.clear()

    assert emulator.traffic.count(endpoint="values.clear") == 1
    assert emulator.person(spreadsheet.spreadsheet_id, "Commandes").rows() == []
