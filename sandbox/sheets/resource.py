"""The Spreadsheet resource as spreadsheets.get answers it."""

from __future__ import annotations

import copy
from typing import Any

from sandbox.sheets import values
from sandbox.sheets.render import cell_data
from sandbox.sheets.store import Sheet, Spreadsheet


def _grid_data(sheet: Sheet, rows: tuple[int, int], columns: tuple[int, int]) -> dict[str, Any]:
    row_data = []
    for row in range(rows[0], min(rows[1], len(sheet.rows))):
        cells = []
        for column in range(columns[0], min(columns[1], len(sheet.rows[row]))):
            cell = sheet.cell(row, column)
            cells.append(cell_data(cell) if cell is not None else {})
        while cells and not cells[-1]:
            cells.pop()
        row_data.append({"values": cells} if cells else {})
    while row_data and not row_data[-1]:
        row_data.pop()
    data: dict[str, Any] = {}
    if rows[0]:
        data["startRow"] = rows[0]
    if columns[0]:
        data["startColumn"] = columns[0]
    if row_data:
        data["rowData"] = row_data
    return data


def spreadsheet_json(
    spreadsheet: Spreadsheet, *, include_grid_data: bool, ranges: list[str]
) -> dict[str, Any]:
    """Return the Spreadsheet JSON, with grid data for the given ranges (all when none)."""
    wanted: dict[int, list[tuple[tuple[int, int], tuple[int, int]]]] = {}
    for text in ranges:
        target = values.resolve(spreadsheet, text)
        wanted.setdefault(target.sheet.sheet_id, []).append(target.read_bounds())
    sheets = []
    for sheet in spreadsheet.sheets:
        if ranges and sheet.sheet_id not in wanted:
            continue
        entry: dict[str, Any] = {"properties": copy.deepcopy(sheet.properties)}
        if sheet.charts:
            entry["charts"] = copy.deepcopy(sheet.charts)
        if sheet.basic_filter:
            entry["basicFilter"] = copy.deepcopy(sheet.basic_filter)
        if include_grid_data:
            bounds = wanted.get(sheet.sheet_id) or [((0, sheet.row_count), (0, sheet.column_count))]
            entry["data"] = [_grid_data(sheet, rows, columns) for rows, columns in bounds]
        sheets.append(entry)
    return {
        "spreadsheetId": spreadsheet.spreadsheet_id,
        "properties": copy.deepcopy(spreadsheet.properties),
        "sheets": sheets,
        "spreadsheetUrl": f"https://docs.google.com/spreadsheets/d/{spreadsheet.spreadsheet_id}/edit",
    }
