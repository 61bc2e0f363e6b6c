"""spreadsheets.batchUpdate: apply each Request kind the emulator supports to a spreadsheet."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from sandbox.sheets import fieldmask
from sandbox.sheets.cells import Cell, check_length, with_formula
from sandbox.sheets.errors import InvalidArgument
from sandbox.sheets.store import Sheet, Spreadsheet

Handler = Callable[[Spreadsheet, dict[str, Any]], dict[str, Any] | None]
_CELL_FIELDS = ("userEnteredValue", "userEnteredFormat", "note")


def apply_requests(spreadsheet: Spreadsheet, requests: list[dict[str, Any]]) -> list[Any]:
    """Apply requests in order and return their replies; any error fails the whole batch."""
    replies: list[Any] = []
    for index, request in enumerate(requests):
        if len(request) != 1:
            raise InvalidArgument(
                f"Invalid requests[{index}]: exactly one kind of request must be set, "
                f"got {sorted(request) or 'none'}."
            )
        ((kind, body),) = request.items()
        handler = HANDLERS.get(kind)
        if handler is None:
            raise InvalidArgument(
                f"Invalid requests[{index}].{kind}: the Sheets emulator does not support "
                f"{kind} (supported: {', '.join(sorted(HANDLERS))})."
            )
        try:
            reply = handler(spreadsheet, body or {})
        except InvalidArgument as error:
            raise InvalidArgument(f"Invalid requests[{index}].{kind}: {error.message}") from error
        replies.append({kind: reply} if reply is not None else {})
    return replies


def _grid_range(spreadsheet: Spreadsheet, grid_range: dict[str, Any]) -> tuple[Sheet, Any, Any]:
    sheet = spreadsheet.sheet_by_id(int(grid_range.get("sheetId", 0)))
    rows = (grid_range.get("startRowIndex", 0), grid_range.get("endRowIndex", sheet.row_count))
    columns = (
        grid_range.get("startColumnIndex", 0),
        grid_range.get("endColumnIndex", sheet.column_count),
    )
    if rows[0] > rows[1] or columns[0] > columns[1] or rows[0] < 0 or columns[0] < 0:
        raise InvalidArgument("The range's start is after its end.")
    if rows[1] > sheet.row_count or columns[1] > sheet.column_count:
        raise InvalidArgument(
            f"Range ({sheet.title}) exceeds grid limits. Max rows: {sheet.row_count}, "
            f"max columns: {sheet.column_count}"
        )
    return sheet, rows, columns


def _cell_mask(fields: str | None) -> fieldmask.Mask:
    if not fields:
        raise InvalidArgument("At least one field must be updated, but none were specified.")
    mask = fieldmask.parse(fields)
    if "*" in mask:
        return {name: {} for name in _CELL_FIELDS}
    unsupported = sorted(set(mask) - set(_CELL_FIELDS))
    if unsupported:
        raise InvalidArgument(
            f"The Sheets emulator does not support the cell fields {unsupported}."
        )
    return mask


def _merge_cell(cell: Cell | None, data: dict[str, Any], mask: fieldmask.Mask) -> Cell | None:
    current = cell or Cell()
    stored: dict[str, Any] = {"userEnteredFormat": dict(current.format)}
    if current.note:
        stored["note"] = current.note
    fieldmask.apply(stored, data, mask)
    merged = replace(current, format=stored.get("userEnteredFormat", {}), note=stored.get("note"))
    if "userEnteredValue" in mask:
        entered = data.get("userEnteredValue") or {}
        formula = entered.get("formulaValue")
        value = next(
            (entered[k] for k in ("numberValue", "stringValue", "boolValue") if k in entered), None
        )
        for text in (value, formula):
            if isinstance(text, str):
                check_length(text)
        merged = with_formula(replace(merged, value=value), formula)
    return None if merged.is_empty else merged


def _repeat_cell(spreadsheet: Spreadsheet, body: dict[str, Any]) -> None:
    sheet, rows, columns = _grid_range(spreadsheet, body.get("range", {}))
    mask = _cell_mask(body.get("fields"))
    data = body.get("cell", {})
    for row in range(*rows):
        for column in range(*columns):
            sheet.put(row, column, _merge_cell(sheet.cell(row, column), data, mask))


def _update_cells(spreadsheet: Spreadsheet, body: dict[str, Any]) -> None:
    mask = _cell_mask(body.get("fields"))
    if "start" in body:
        start = body["start"]
        sheet = spreadsheet.sheet_by_id(int(start.get("sheetId", 0)))
        top, left = start.get("rowIndex", 0), start.get("columnIndex", 0)
    else:
        sheet, rows, columns = _grid_range(spreadsheet, body.get("range", {}))
        top, left = rows[0], columns[0]
    for row_offset, row_data in enumerate(body.get("rows", [])):
        for column_offset, data in enumerate(row_data.get("values", [])):
            row, column = top + row_offset, left + column_offset
            sheet.put(row, column, _merge_cell(sheet.cell(row, column), data, mask))


def _add_sheet(spreadsheet: Spreadsheet, body: dict[str, Any]) -> dict[str, Any]:
    sheet = spreadsheet.add_sheet(body.get("properties", {}))
    return {"properties": copy.deepcopy(sheet.properties)}


def _delete_sheet(spreadsheet: Spreadsheet, body: dict[str, Any]) -> None:
    sheet = spreadsheet.sheet_by_id(int(body.get("sheetId", 0)))
    if len(spreadsheet.sheets) == 1:
        raise InvalidArgument("You can't remove all the sheets in a document.")
    spreadsheet.sheets.remove(sheet)
    spreadsheet.reindex()


def _update_sheet_properties(spreadsheet: Spreadsheet, body: dict[str, Any]) -> None:
    properties = body.get("properties", {})
    sheet = spreadsheet.sheet_by_id(int(properties.get("sheetId", 0)))
    if not body.get("fields"):
        raise InvalidArgument("At least one field must be updated, but none were specified.")
    mask = fieldmask.parse(body["fields"])
    new = copy.deepcopy(sheet.properties)
    fieldmask.apply(new, properties, mask)
    new["sheetId"] = sheet.sheet_id
    title = new.get("title", "")
    if not title or any(
        other is not sheet and other.title.lower() == title.lower() for other in spreadsheet.sheets
    ):
        raise InvalidArgument(f'A sheet with the name "{title}" already exists.')
    grid = new.setdefault("gridProperties", {})
    if grid.get("rowCount", sheet.row_count) < sheet.used_rows():
        raise InvalidArgument("Shrinking the grid would delete rows holding data.")
    sheet.properties = new
    if "index" in properties and "index" in mask:
        spreadsheet.sheets.remove(sheet)
        spreadsheet.sheets.insert(min(int(properties["index"]), len(spreadsheet.sheets)), sheet)
    spreadsheet.reindex()


def _update_spreadsheet_properties(spreadsheet: Spreadsheet, body: dict[str, Any]) -> None:
    if not body.get("fields"):
        raise InvalidArgument("At least one field must be updated, but none were specified.")
    fieldmask.apply(
        spreadsheet.properties, body.get("properties", {}), fieldmask.parse(body["fields"])
    )


def _chart_sheet(spreadsheet: Spreadsheet, position: dict[str, Any]) -> Sheet:
    if position.get("newSheet"):
        return spreadsheet.add_sheet(
            {"title": f"Chart{spreadsheet.next_id}", "sheetType": "OBJECT"}
        )
    if "sheetId" in position:
        return spreadsheet.sheet_by_id(int(position["sheetId"]))
    anchor = position.get("overlayPosition", {}).get("anchorCell", {})
    return spreadsheet.sheet_by_id(int(anchor.get("sheetId", 0)))


def _add_chart(spreadsheet: Spreadsheet, body: dict[str, Any]) -> dict[str, Any]:
    chart = copy.deepcopy(body.get("chart", {}))
    if "spec" not in chart:
        raise InvalidArgument("The chart needs a spec.")
    chart_ids = {c["chartId"] for _, c in spreadsheet.charts()}
    chart.setdefault("chartId", spreadsheet.new_id())
    if chart["chartId"] in chart_ids:
        raise InvalidArgument(f"An object with id {chart['chartId']} already exists.")
    position = chart.setdefault("position", {"newSheet": True})
    _chart_sheet(spreadsheet, position).charts.append(chart)
    return {"chart": copy.deepcopy(chart)}


def _find_chart(spreadsheet: Spreadsheet, chart_id: int) -> tuple[Sheet, dict[str, Any]]:
    for sheet, chart in spreadsheet.charts():
        if chart["chartId"] == chart_id:
            return sheet, chart
    raise InvalidArgument(f"No chart with id: {chart_id}")


def _update_chart_spec(spreadsheet: Spreadsheet, body: dict[str, Any]) -> None:
    _, chart = _find_chart(spreadsheet, int(body.get("chartId", 0)))
    chart["spec"] = copy.deepcopy(body.get("spec", {}))


def _delete_embedded_object(spreadsheet: Spreadsheet, body: dict[str, Any]) -> None:
    sheet, chart = _find_chart(spreadsheet, int(body.get("objectId", 0)))
    sheet.charts.remove(chart)


def _dimension_range(
    spreadsheet: Spreadsheet, span: dict[str, Any]
) -> tuple[Sheet, bool, int, int]:
    sheet = spreadsheet.sheet_by_id(int(span.get("sheetId", 0)))
    rows = span.get("dimension") == "ROWS"
    if span.get("dimension") not in ("ROWS", "COLUMNS"):
        raise InvalidArgument("dimension must be ROWS or COLUMNS.")
    size = sheet.row_count if rows else sheet.column_count
    start, end = int(span.get("startIndex", 0)), int(span.get("endIndex", size))
    if not 0 <= start < end:
        raise InvalidArgument("The dimension range is empty or inverted.")
    return sheet, rows, start, end


def _delete_dimension(spreadsheet: Spreadsheet, body: dict[str, Any]) -> None:
    sheet, rows, start, end = _dimension_range(spreadsheet, body.get("range", {}))
    if rows:
        sheet.delete_rows(start, min(end, sheet.row_count))
    else:
        sheet.delete_columns(start, min(end, sheet.column_count))


def _insert_dimension(spreadsheet: Spreadsheet, body: dict[str, Any]) -> None:
    sheet, rows, start, end = _dimension_range(spreadsheet, body.get("range", {}))
    size = sheet.row_count if rows else sheet.column_count
    if start > size:
        raise InvalidArgument(f"The start index {start} is beyond the grid ({size}).")
    if rows:
        sheet.insert_rows(start, end - start)
    else:
        sheet.insert_columns(start, end - start)


def _append_dimension(spreadsheet: Spreadsheet, body: dict[str, Any]) -> None:
    sheet = spreadsheet.sheet_by_id(int(body.get("sheetId", 0)))
    length = int(body.get("length", 0))
    if length < 1:
        raise InvalidArgument("length must be at least 1.")
    key = "rowCount" if body.get("dimension") == "ROWS" else "columnCount"
    sheet.grid[key] = (sheet.row_count if key == "rowCount" else sheet.column_count) + length


def _sort_specs(specs: list[dict[str, Any]]) -> list[tuple[int, bool]]:
    return [
        (int(spec.get("dimensionIndex", 0)), spec.get("sortOrder") == "DESCENDING")
        for spec in specs
    ]


def _sort_range(spreadsheet: Spreadsheet, body: dict[str, Any]) -> None:
    sheet, rows, columns = _grid_range(spreadsheet, body.get("range", {}))
    specs = _sort_specs(body.get("sortSpecs", []))
    if any(not columns[0] <= column < columns[1] for column, _ in specs):
        raise InvalidArgument("A sort column is outside the range.")
    sheet.sort_rows(rows, columns, specs)


def _set_basic_filter(spreadsheet: Spreadsheet, body: dict[str, Any]) -> None:
    basic_filter = copy.deepcopy(body.get("filter", {}))
    sheet, rows, columns = _grid_range(spreadsheet, basic_filter.get("range", {}))
    basic_filter.setdefault("range", {})["sheetId"] = sheet.sheet_id
    sheet.basic_filter = basic_filter
    specs = _sort_specs(basic_filter.get("sortSpecs", []))
    if specs:
        # The header row stays put: a filter sorts the rows under it.
        sheet.sort_rows((rows[0] + 1, rows[1]), columns, specs)


def _clear_basic_filter(spreadsheet: Spreadsheet, body: dict[str, Any]) -> None:
    spreadsheet.sheet_by_id(int(body.get("sheetId", 0))).basic_filter = None


HANDLERS: dict[str, Handler] = {
    "addChart": _add_chart,
    "addSheet": _add_sheet,
    "appendDimension": _append_dimension,
    "clearBasicFilter": _clear_basic_filter,
    "deleteDimension": _delete_dimension,
    "deleteEmbeddedObject": _delete_embedded_object,
    "deleteSheet": _delete_sheet,
    "insertDimension": _insert_dimension,
    "repeatCell": _repeat_cell,
    "setBasicFilter": _set_basic_filter,
    "sortRange": _sort_range,
    "updateCells": _update_cells,
    "updateChartSpec": _update_chart_spec,
    "updateSheetProperties": _update_sheet_properties,
    "updateSpreadsheetProperties": _update_spreadsheet_properties,
}
