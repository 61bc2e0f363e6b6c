"""The summary tabs ("Jour", "Mois", "Équipe") as Google requests, and the chart on "Jour".

Each tab is replaced whole in the summaries' one ``batchUpdate``: the grid is fitted to the
table (rows added, or the surplus deleted), the cells written typed with their formats. The
chart (revenue and orders per day) is created once with ``addChart`` under a fixed id, then
kept covering the rows with ``updateChartSpec`` (Google does not widen a chart's ranges when
rows are added at the end).
"""

from __future__ import annotations

from typing import Any

from connectors.sheets.limits import clip
from connectors.sheets.wire import NUMBER_FORMATS, serial
from connectors.tables import Column, Table

TABS = ("Jour", "Mois", "Équipe")
CHART_TAB = "Jour"
CHART_ID = 7101
#: Empty columns kept right of a summary, where the chart sits.
SPARE_COLUMNS = 8
CHART_TITLE = "Chiffre d'affaires et commandes par jour"
HEADER_FORMAT = {
    "textFormat": {"bold": True},
    "backgroundColor": {"red": 0.9, "green": 0.92, "blue": 0.96},
}


def chart_columns(table: Table) -> tuple[int, int | None, int | None]:
    """Return the columns of the day, the revenue and the order count in a "Jour" table."""
    kinds = [c.kind for c in table.columns]
    domain = next((i for i, k in enumerate(kinds) if k in ("date", "datetime")), 0)
    revenue = next((i for i, k in enumerate(kinds) if k == "money"), None)
    orders = next((i for i, k in enumerate(kinds) if k == "int"), None)
    return domain, revenue, orders


def header_cells(titles: list[str]) -> list[dict[str, Any]]:
    return [
        {"userEnteredValue": {"stringValue": title}, "userEnteredFormat": HEADER_FORMAT}
        for title in titles
    ]


def cell_data(value: Any, column: Column) -> dict[str, Any]:
    """Return one typed cell as Google's CellData (an empty dict clears the cell)."""
    if value is None:
        return {}
    number_format = NUMBER_FORMATS.get(column.kind)
    fmt = {"userEnteredFormat": {"numberFormat": number_format}} if number_format else {}
    if column.kind == "money":
        return {"userEnteredValue": {"numberValue": round(int(value) / 100, 2)}, **fmt}
    if column.kind in ("date", "datetime"):
        return {"userEnteredValue": {"numberValue": serial(value)}, **fmt}
    if column.kind in ("int", "number"):
        return {"userEnteredValue": {"numberValue": value}, **fmt}
    if column.kind == "link":
        label, url = value
        text = '=HYPERLINK("{}","{}")'.format(url.replace('"', '""'), label.replace('"', '""'))
        return {"userEnteredValue": {"formulaValue": text}}
    return {"userEnteredValue": {"stringValue": clip(str(value))}}


def update_cells(sheet_id: int, rows: list[list[dict[str, Any]]]) -> dict[str, Any]:
    return {
        "updateCells": {
            "start": {"sheetId": sheet_id, "rowIndex": 0, "columnIndex": 0},
            "rows": [{"values": values} for values in rows],
            "fields": "userEnteredValue,userEnteredFormat",
        }
    }


def replace_requests(sheet_id: int, table: Table, grid: tuple[int, int]) -> list[dict[str, Any]]:
    """Return the requests that make a tab hold exactly the table (header frozen)."""
    width = len(table.columns) + SPARE_COLUMNS
    # Keep one row under the header: Google refuses to delete every non-frozen row.
    height = max(2, len(table.rows) + 1)
    rows_now, columns_now = grid
    found: list[dict[str, Any]] = []
    if rows_now < height:
        found.append(
            {
                "appendDimension": {
                    "sheetId": sheet_id,
                    "dimension": "ROWS",
                    "length": height - rows_now,
                }
            }
        )
    if columns_now < width:
        found.append(
            {
                "appendDimension": {
                    "sheetId": sheet_id,
                    "dimension": "COLUMNS",
                    "length": width - columns_now,
                }
            }
        )
    lines: list[list[dict[str, Any]]] = [header_cells([c.title for c in table.columns])]
    lines += [
        [cell_data(v, c) for v, c in zip(row, table.columns, strict=True)] for row in table.rows
    ]
    lines += [[{} for _ in range(width)] for _ in range(height - len(lines))]
    found.append(update_cells(sheet_id, lines))
    if rows_now > height:
        found.append(delete_dimension(sheet_id, "ROWS", height, rows_now))
    if columns_now > width:
        found.append(delete_dimension(sheet_id, "COLUMNS", width, columns_now))
    found.append(
        {
            "updateSheetProperties": {
                "properties": {"sheetId": sheet_id, "gridProperties": {"frozenRowCount": 1}},
                "fields": "gridProperties.frozenRowCount",
            }
        }
    )
    return found


def delete_dimension(sheet_id: int, dimension: str, start: int, end: int) -> dict[str, Any]:
    """Return the request deleting rows or columns ``start`` to ``end`` (end excluded)."""
    return {
        "deleteDimension": {
            "range": {
                "sheetId": sheet_id,
                "dimension": dimension,
                "startIndex": start,
                "endIndex": end,
            }
        }
    }


def _source(sheet_id: int, column: int, rows: int) -> dict[str, Any]:
    return {
        "sourceRange": {
            "sources": [
                {
                    "sheetId": sheet_id,
                    "startRowIndex": 0,
                    "endRowIndex": rows,
                    "startColumnIndex": column,
                    "endColumnIndex": column + 1,
                }
            ]
        }
    }


def chart_spec(sheet_id: int, table: Table) -> dict[str, Any]:
    """Return the chart's spec: revenue as columns (left axis), orders as a line (right)."""
    domain, revenue, orders = chart_columns(table)
    rows = len(table.rows) + 1
    series = []
    if revenue is not None:
        series.append(
            {
                "series": _source(sheet_id, revenue, rows),
                "targetAxis": "LEFT_AXIS",
                "type": "COLUMN",
            }
        )
    if orders is not None:
        series.append(
            {"series": _source(sheet_id, orders, rows), "targetAxis": "RIGHT_AXIS", "type": "LINE"}
        )
    return {
        "title": CHART_TITLE,
        "basicChart": {
            "chartType": "COMBO",
            "legendPosition": "BOTTOM_LEGEND",
            "headerCount": 1,
            "domains": [{"domain": _source(sheet_id, domain, rows)}],
            "series": series,
        },
    }


def chart_requests(sheet_id: int, table: Table, *, exists: bool) -> list[dict[str, Any]]:
    spec = chart_spec(sheet_id, table)
    if exists:
        return [{"updateChartSpec": {"chartId": CHART_ID, "spec": spec}}]
    anchor = {"sheetId": sheet_id, "rowIndex": 1, "columnIndex": len(table.columns) + 1}
    return [
        {
            "addChart": {
                "chart": {
                    "chartId": CHART_ID,
                    "spec": spec,
                    "position": {"overlayPosition": {"anchorCell": anchor}},
                }
            }
        }
    ]
